/**
 * Derives the facts the program checks Talos patches against (field names, types, enums; no prose)
 * from Talos's own machine-config JSON schema, and writes them into the project:
 *
 *   npm run facts:talos -- ../shared/talos/v1.13.8/config.schema.json
 *
 * The product never reads the schema itself (it is not shipped with the program); it reads the
 * committed output, config/talos-schema-facts.json. Re-run this when talosVersion moves to a
 * release whose schema changed, and commit both.
 */
import * as fs from "fs";
import * as path from "path";

/** One node of the facts tree: the subset of JSON Schema the Talos schema uses, prose removed. */
export interface FactNode {
    readonly type?: string[];
    readonly enum?: (string | number | boolean)[];
    readonly ref?: string;
    readonly properties?: Record<string, FactNode>;
    /** false: closed object; a node: every other key must match it; absent: any key. */
    readonly additional?: FactNode | false;
    readonly items?: FactNode;
    readonly oneOf?: FactNode[];
    /** Left out of the schema (`docgen:nodoc`, deprecated) but still read by this Talos release. */
    readonly deprecated?: true;
}

/** The facts file. */
export interface TalosSchemaFacts {
    readonly talosVersion: string;
    readonly source: string;
    /** The v1alpha1 machine config document (strategic-merge patches have no apiVersion/kind). */
    readonly root: string;
    /** Multi-document kinds: kind -> its apiVersions and its definition. */
    readonly kinds: Record<string, { readonly apiVersions: string[]; readonly definition: string; readonly unpublished?: true }>;
    readonly definitions: Record<string, FactNode>;
}

type Json = Record<string, unknown>;

const DEF_PREFIX = "#/$defs/";

function node(schema: Json, where: string): FactNode {
    const out: Record<string, unknown> = {};
    if (typeof schema.$ref === "string") {
        if (!schema.$ref.startsWith(DEF_PREFIX)) {
            throw new Error(`${where}: unsupported $ref ${schema.$ref}`);
        }
        out.ref = schema.$ref.slice(DEF_PREFIX.length);
    }
    if (schema.type !== undefined) {
        out.type = Array.isArray(schema.type) ? schema.type : [schema.type];
    }
    if (Array.isArray(schema.enum)) {
        out.enum = schema.enum;
    }
    if (schema.properties) {
        out.properties = Object.fromEntries(
            Object.entries(schema.properties as Record<string, Json>).map(([k, v]) => [k, node(v, `${where}.${k}`)]),
        );
    }
    const pattern = schema.patternProperties as Record<string, Json> | undefined;
    if (pattern) {
        const keys = Object.keys(pattern);
        if (keys.length !== 1 || keys[0] !== ".*") {
            throw new Error(`${where}: unsupported patternProperties ${keys.join(", ")}`);
        }
        out.additional = node(pattern[".*"], `${where}.*`);
    } else if (schema.additionalProperties === false) {
        out.additional = false;
    } else if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
        out.additional = node(schema.additionalProperties as Json, `${where}.*`);
    }
    if (schema.items) {
        out.items = node(schema.items as Json, `${where}[]`);
    }
    if (Array.isArray(schema.oneOf)) {
        out.oneOf = (schema.oneOf as Json[]).map((s, i) => node(s, `${where}|${i}`));
    }
    return out as FactNode;
}

/**
 * Fields Talos 1.13 still reads but leaves out of its schema (`docgen:nodoc`, deprecated), which the
 * platform's own patches use: `machine.network` (its WireGuard listener is a `machine.network.interfaces`
 * entry) and `machine.install.extraKernelArgs` (AppArmor). Names and types from siderolabs/talos
 * pkg/machinery/config/types/v1alpha1/v1alpha1_types.go (NetworkConfig, Device, DeviceWireguardConfig,
 * DeviceVIPConfig, InstallConfig). Sub-objects the program and the platform do not use are left open.
 */
const DEPRECATED: Record<string, Record<string, FactNode>> = {
    "v1alpha1.MachineConfig": {
        network: {
            type: ["object"],
            deprecated: true,
            additional: false,
            properties: {
                hostname: { type: ["string"] },
                interfaces: { type: ["array"], items: { ref: "deprecated.Device" } },
                nameservers: { type: ["array"], items: { type: ["string"] } },
                searchDomains: { type: ["array"], items: { type: ["string"] } },
                disableSearchDomain: { type: ["boolean"] },
                extraHostEntries: { type: ["array"], items: { type: ["object"] } },
                kubespan: { type: ["object"] },
            },
        },
    },
    "v1alpha1.InstallConfig": {
        extraKernelArgs: { type: ["array"], items: { type: ["string"] }, deprecated: true },
    },
};

const DEPRECATED_DEFINITIONS: Record<string, FactNode> = {
    "deprecated.Device": {
        type: ["object"],
        additional: false,
        properties: {
            interface: { type: ["string"] },
            deviceSelector: {
                type: ["object"],
                additional: false,
                properties: {
                    busPath: { type: ["string"] },
                    hardwareAddr: { type: ["string"] },
                    permanentAddr: { type: ["string"] },
                    pciID: { type: ["string"] },
                    driver: { type: ["string"] },
                    physical: { type: ["boolean"] },
                },
            },
            addresses: { type: ["array"], items: { type: ["string"] } },
            routes: { type: ["array"], items: { type: ["object"] } },
            bond: { type: ["object"] },
            bridge: { type: ["object"] },
            bridgePort: { type: ["object"] },
            vlans: { type: ["array"], items: { type: ["object"] } },
            mtu: { type: ["integer"] },
            dhcp: { type: ["boolean"] },
            ignore: { type: ["boolean"] },
            dummy: { type: ["boolean"] },
            dhcpOptions: { type: ["object"] },
            wireguard: {
                type: ["object"],
                additional: false,
                properties: {
                    privateKey: { type: ["string"] },
                    listenPort: { type: ["integer"] },
                    firewallMark: { type: ["integer"] },
                    peers: {
                        type: ["array"],
                        items: {
                            type: ["object"],
                            additional: false,
                            properties: {
                                publicKey: { type: ["string"] },
                                endpoint: { type: ["string"] },
                                persistentKeepaliveInterval: { type: ["string"] },
                                allowedIPs: { type: ["array"], items: { type: ["string"] } },
                            },
                        },
                    },
                },
            },
            vip: {
                type: ["object"],
                additional: false,
                properties: {
                    ip: { type: ["string"] },
                    equinixMetal: { type: ["object"] },
                    hcloud: { type: ["object"], additional: false, properties: { apiToken: { type: ["string"] } } },
                },
            },
        },
    },
};

/**
 * Document kinds Talos 1.13 registers (its config loader accepts them) but leaves out of the
 * published schema. The platform's cluster/verify-first-party-images.yaml is one. Names and types
 * from siderolabs/talos pkg/machinery/config/types/security/image_verification.go.
 */
const UNPUBLISHED_KINDS: Record<string, { apiVersions: string[]; definition: FactNode }> = {
    ImageVerificationConfig: {
        apiVersions: ["v1alpha1"],
        definition: {
            type: ["object"],
            additional: false,
            properties: {
                apiVersion: { enum: ["v1alpha1"] },
                kind: { enum: ["ImageVerificationConfig"] },
                rules: {
                    type: ["array"],
                    items: {
                        type: ["object"],
                        additional: false,
                        properties: {
                            image: { type: ["string"] },
                            verify: { type: ["boolean"] },
                            keyless: {
                                type: ["object"],
                                additional: false,
                                properties: {
                                    issuer: { type: ["string"] },
                                    subject: { type: ["string"] },
                                    subjectRegex: { type: ["string"] },
                                    rekorURL: { type: ["string"] },
                                },
                            },
                            publicKey: { type: ["object"], additional: false, properties: { certificates: { type: ["string"] } } },
                        },
                    },
                },
            },
        },
    },
};

/** Pure: the facts of one schema document. */
export function deriveFacts(schema: Json): TalosSchemaFacts {
    const defs = schema.$defs as Record<string, Json>;
    const definitions: Record<string, FactNode> = {};
    for (const [name, def] of Object.entries(defs)) {
        definitions[name] = node(def, name);
    }
    for (const [def, fields] of Object.entries(DEPRECATED)) {
        const target = definitions[def];
        if (!target?.properties) {
            throw new Error(`the schema has no ${def}: update the deprecated-field overlay`);
        }
        for (const [field, fact] of Object.entries(fields)) {
            if (target.properties[field]) {
                throw new Error(`${def}.${field} is in the schema again: drop it from the deprecated-field overlay`);
            }
            target.properties[field] = fact;
        }
    }
    Object.assign(definitions, DEPRECATED_DEFINITIONS);

    const kinds: TalosSchemaFacts["kinds"] = {};
    let root = "";
    for (const ref of schema.oneOf as Json[]) {
        const name = String(ref.$ref).slice(DEF_PREFIX.length);
        const props = (defs[name].properties ?? {}) as Record<string, Json>;
        if (!props.kind) {
            root = name; // v1alpha1.Config: the one document without a kind
            continue;
        }
        for (const kind of props.kind.enum as string[]) {
            kinds[kind] = { apiVersions: (props.apiVersion?.enum as string[]) ?? [], definition: name };
        }
    }
    for (const [kind, { apiVersions, definition }] of Object.entries(UNPUBLISHED_KINDS)) {
        if (kinds[kind]) {
            throw new Error(`${kind} is in the schema now: drop it from the unpublished kinds`);
        }
        const name = `unpublished.${kind}`;
        definitions[name] = definition;
        kinds[kind] = { apiVersions, definition: name, unpublished: true };
    }
    const version = /\/(v\d+\.\d+)\//.exec(String(schema.$id))?.[1] ?? "";
    return {
        talosVersion: version,
        source: `siderolabs/talos pkg/machinery/config/schemas/config.schema.json (${String(schema.$id)}, MPL-2.0): names, types and enums only`,
        root,
        kinds,
        definitions,
    };
}

/** Where the facts are written. */
export const FACTS_FILE = path.join(__dirname, "..", "config", "talos-schema-facts.json");

if (require.main === module) {
    const input = process.argv[2];
    if (!input) {
        process.stderr.write("usage: npm run facts:talos -- <path to config.schema.json>\n");
        process.exit(2);
    }
    const schema = JSON.parse(fs.readFileSync(input, "utf8")) as Json;
    const facts = deriveFacts(schema);
    // The exact patch release is the directory the schema sits in (v1.13.8/config.schema.json).
    const release = /v\d+\.\d+\.\d+/.exec(path.basename(path.dirname(path.resolve(input))))?.[0];
    fs.writeFileSync(FACTS_FILE, JSON.stringify({ ...facts, talosVersion: release ?? facts.talosVersion }) + "\n");
    process.stdout.write(`wrote ${path.relative(process.cwd(), FACTS_FILE)}: ${Object.keys(facts.kinds).length} document kinds\n`);
}
