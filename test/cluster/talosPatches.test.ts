import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import Ajv2020, { ErrorObject, ValidateFunction } from "ajv/dist/2020";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { validateConfig } from "../../config";
import { ClusterConfig } from "../../config/cluster";
import { TalosPatchFile, patchFilesFor } from "../../config/talosPatches";
import { checkTalosDocument } from "../../config/talosSchema";
import {
    ingressFirewallPatch,
    kubeletCertApproverObjects,
    nodePatches,
    programPatches,
    snapshotKernelArgsWarning,
} from "../../components/cluster/talosPatches";
import { planNodes } from "../../components/cluster/naming";
import { deriveFacts } from "../../tools/talos-schema-facts";
import { renderPlaceholder } from "../../rehearsal/cli";
import { describeTalosPatches } from "../../rehearsal/talosPatchSummary";
import { FIXTURE_TALOS_PATCH_DIR, FIXTURE_TALOS_VARIABLES, validProdRaw } from "../support/config";

const ROOT = path.resolve(__dirname, "../..");
const SCHEMA_FILE = path.resolve(ROOT, "../shared/talos/v1.13.8/config.schema.json");
const PLATFORM_TALOS = path.resolve(ROOT, "../shared/reference/platform/talos");
/** Values for the platform's variables; never printed (the secrets tests below look for them). */
const PLATFORM_VARIABLES = {
    GHCR_USERNAME: "platform-bot",
    GHCR_TOKEN: "ghp_" + "T0k".repeat(12),
    GHCR_PULL_REVISION: "rev-" + "9".repeat(16),
    WG_SERVER_PRIVATE_KEY: "wGk3y" + "Q".repeat(38) + "=",
};

/** A NetworkRuleConfig as the program writes it. */
interface Rule {
    readonly name?: string;
    readonly portSelector: { readonly ports: (number | string)[]; readonly protocol: string };
    readonly ingress: { readonly subnet: string }[];
}

/** The fields of a Kubernetes object these tests read. */
interface K8sObject {
    readonly kind: string;
    readonly metadata: { readonly name: string };
    readonly rules?: { readonly resources: string[]; readonly resourceNames?: string[] }[];
}

function cluster(overrides: Record<string, unknown> = {}): ClusterConfig {
    const result = validateConfig(validProdRaw(overrides));
    if (!result.ok) {
        throw new Error(result.problems.map((p) => `${p.key} = ${p.value}: ${p.message}`).join("\n"));
    }
    return result.config.cluster;
}

function problemsOf(overrides: Record<string, unknown>, rehearsal = false): { key: string; value: string; message: string }[] {
    const result = validateConfig({ ...validProdRaw(overrides), rehearsal });
    return result.ok ? [] : [...result.problems];
}

/** The resolved text of an Output (test-only: reads through secrets). */
function textOf(output: pulumi.Input<string>): Promise<string> {
    return new Promise((resolve) => pulumi.output(output).apply((t) => resolve(t)));
}

/** Talos's own schema, compiled with ajv: every document kind and the v1alpha1 config, `required` ignored (a patch is partial). */
class TalosSchema {
    private readonly ajv: Ajv2020;
    private readonly byKind = new Map<string, string>();
    private readonly id: string;

    constructor(schema: Record<string, unknown>) {
        const strip = (n: unknown): unknown =>
            Array.isArray(n)
                ? n.map(strip)
                : n && typeof n === "object"
                  ? Object.fromEntries(
                        Object.entries(n)
                            .filter(([k]) => k !== "required")
                            .map(([k, v]) => [k, strip(v)]),
                    )
                  : n;
        const patchSchema = strip(schema) as Record<string, unknown> & {
            $id: string;
            $defs: Record<string, { properties?: { kind?: { enum?: string[] } } }>;
        };
        this.id = patchSchema.$id;
        // Formats (uri, ...) are not what this compares: names, types and enums are. Without this, ajv
        // prints a notice per unknown format into the test output.
        this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
        this.ajv.addSchema(patchSchema);
        for (const [name, def] of Object.entries(patchSchema.$defs)) {
            for (const kind of def.properties?.kind?.enum ?? []) {
                this.byKind.set(kind, name);
            }
        }
    }

    /** ajv's errors for one document, or a note that the schema has no such kind. */
    validate(doc: Record<string, unknown>): ErrorObject[] | "unknown kind" {
        const def = doc.kind === undefined ? "v1alpha1.Config" : this.byKind.get(String(doc.kind));
        if (!def) {
            return "unknown kind";
        }
        const validate = this.ajv.getSchema(`${this.id}#/$defs/${def}`) as ValidateFunction;
        return validate(doc) ? [] : [...(validate.errors ?? [])];
    }
}

/** ajv's findings as `path: keyword (field)` strings, to compare with the documented exceptions. */
function findings(errors: ErrorObject[]): string[] {
    return errors.map(
        (e) => `${e.instancePath || "/"}: ${e.keyword}${e.params.additionalProperty ? ` ${e.params.additionalProperty}` : ""}`,
    );
}

function haveShared(this: Mocha.Context): void {
    if (!fs.existsSync(SCHEMA_FILE)) {
        this.skip(); // ../shared/talos (Talos's schema) is not on this machine
    }
}

describe("Talos patches: facts from Talos's schema", () => {
    it("a kind or field named like one of JavaScript's own (constructor, toString) is unknown, not a crash", () => {
        assert.deepEqual(
            checkTalosDocument({ apiVersion: "v1alpha1", kind: "constructor" }).issues.map((i) => i.path),
            ["kind"],
        );
        assert.deepEqual(
            checkTalosDocument({ machine: { constructor: 1, toString: { a: 1 } } }).issues.map((i) => i.path),
            ["machine.constructor", "machine.toString"],
        );
    });

    it("the committed facts are what tools/talos-schema-facts.ts derives from the v1.13.8 schema", function () {
        haveShared.call(this);
        const derived = deriveFacts(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
        const committed = JSON.parse(fs.readFileSync(path.join(ROOT, "config/talos-schema-facts.json"), "utf8"));
        assert.deepEqual({ ...derived, talosVersion: "v1.13.8" }, committed, "re-run npm run facts:talos and commit the output");
    });

    it("hold names, types and enums only: no prose from the schema", () => {
        const text = fs.readFileSync(path.join(ROOT, "config/talos-schema-facts.json"), "utf8");
        assert.doesNotMatch(text, /"(description|markdownDescription|title|x-intellij-html-description|examples?)"/);
    });
});

describe("Talos patches: every document checked against Talos's own schema (ajv)", () => {
    let schema: TalosSchema;
    before(function () {
        haveShared.call(this);
        schema = new TalosSchema(JSON.parse(fs.readFileSync(SCHEMA_FILE, "utf8")));
    });

    it("the platform's patches, after expansion: valid, except the three things Talos 1.13 reads outside its published schema", async function () {
        if (!fs.existsSync(PLATFORM_TALOS)) {
            this.skip(); // ../shared/reference/platform/talos (the platform's patches) is not on this machine
        }
        const c = cluster({ talosPatchDir: PLATFORM_TALOS, talosPatchVariables: PLATFORM_VARIABLES });
        assert.equal(c.talosPatches.files.length, 34);
        const outside: string[] = [];
        for (const file of c.talosPatches.files) {
            const docs = parseAllDocuments(await textOf(file.text)).map((d) => d.toJS() as Record<string, unknown>);
            docs.forEach((doc, i) => {
                const errors = schema.validate(doc);
                const found = errors === "unknown kind" ? [`kind ${String(doc.kind)} not in the schema`] : findings(errors);
                outside.push(...found.map((f) => `${file.file}#${i + 1} ${f}`));
                // Our own checker agrees: nothing wrong with any of them.
                assert.deepEqual(checkTalosDocument(doc).issues, [], `${file.file}#${i + 1}`);
            });
        }
        assert.deepEqual(outside.sort(), [
            // AppArmor: deprecated (docgen:nodoc), still read; grubUseUKICmdline: false beside it.
            "cluster/enable-apparmor.yaml#1 /machine/install: additionalProperties extraKernelArgs",
            // Talos registers ImageVerificationConfig but leaves it out of the published schema.
            "cluster/verify-first-party-images.yaml#1 kind ImageVerificationConfig not in the schema",
            // The WireGuard listener: machine.network is deprecated and left out, still read.
            "control-planes/wireguard.yaml#1 /machine: additionalProperties network",
        ]);
    });

    it("the program's own patches, for every role, boot mode and endpoint: valid, except machine.network (deliberate) and $patch (a merge directive)", function () {
        const variants = [
            cluster(),
            cluster({ talosBoot: "snapshot" }),
            cluster({ apiEndpoint: "load-balancer" }),
            cluster({ firewallOpenToWorld: "false", firewallSources: ["203.0.113.0/24", "2001:db8::/32"] }),
        ];
        const outside = new Set<string>();
        let checked = 0;
        for (const c of variants) {
            for (const node of [...planNodes(c), { role: "worker" as const }]) {
                const vip = { ip: "198.51.100.7", hcloudToken: "t".repeat(64) };
                for (const patch of programPatches({ cluster: c, node, certSans: ["198.51.100.7", "api.example.org"], vip })) {
                    for (const doc of patch.documents) {
                        const errors = schema.validate(doc);
                        assert.notEqual(errors, "unknown kind", `${patch.name}: ${String(doc.kind)}`);
                        findings(errors as ErrorObject[]).forEach((f) => outside.add(`${patch.name} ${f}`));
                        assert.deepEqual(checkTalosDocument(doc).issues, [], patch.name);
                        checked++;
                    }
                }
            }
        }
        assert.ok(checked > 50);
        assert.deepEqual([...outside].sort(), [
            "hostname /: additionalProperties $patch",
            "machine /machine: additionalProperties network",
        ]);
    });

    it("what ajv refuses, the program's checker refuses too (the bad fixtures)", () => {
        const docs = parseAllDocuments(
            fs.readFileSync(path.join(ROOT, "test/cluster/fixtures/talos-bad/unknown-field/workers/typo-field.yaml"), "utf8"),
        ).map((d) => d.toJS());
        assert.deepEqual(findings(schema.validate(docs[1]) as ErrorObject[]), ["/machine/kubelet: additionalProperties extraMount"]);
        assert.deepEqual(
            checkTalosDocument(docs[1]).issues.map((i) => i.path),
            ["machine.kubelet.extraMount"],
        );
        const wrongType = { machine: { kubelet: { extraMounts: "not a list" } } };
        assert.ok((schema.validate(wrongType) as ErrorObject[]).length > 0);
        assert.deepEqual(
            checkTalosDocument(wrongType).issues.map((i) => i.path),
            ["machine.kubelet.extraMounts"],
        );
        const badEnum = { apiVersion: "v1alpha1", kind: "NetworkRuleConfig", name: "x", portSelector: { ports: [1], protocol: "sctp" } };
        assert.ok((schema.validate(badEnum) as ErrorObject[]).length > 0);
        assert.match(checkTalosDocument(badEnum).issues[0].message, /one of "tcp", "udp", "icmp", "icmpv6"/);
    });
});

describe("Talos patches: ksail's layout, order and variables", () => {
    it("reads cluster/ then the role's directory, only *.yaml/*.yml directly inside, in lexical order", () => {
        const c = cluster();
        assert.deepEqual(
            c.talosPatches.files.map((f) => f.file),
            [
                "cluster/a-sysctls.yml",
                "cluster/b-registry-auth.yaml",
                "cluster/c-block-ingress.yaml",
                "control-planes/listener.yaml",
                "workers/labels.yaml",
            ],
        );
        const names = (files: TalosPatchFile[]) => files.map((f) => f.file);
        assert.deepEqual(names(patchFilesFor(c.talosPatches, "worker")), [
            "cluster/a-sysctls.yml",
            "cluster/b-registry-auth.yaml",
            "cluster/c-block-ingress.yaml",
            "workers/labels.yaml",
        ]);
        const cp = nodePatches({ cluster: c, node: planNodes(c)[0], certSans: [] }).map((p) => p.source);
        assert.deepEqual(cp, [
            "platform:cluster/a-sysctls.yml",
            "platform:cluster/b-registry-auth.yaml",
            "platform:cluster/c-block-ingress.yaml",
            "platform:control-planes/listener.yaml",
            "program:machine",
            "program:hostname",
            "program:ingress-firewall",
            "program:kubelet-cert-rotation",
        ]);
    });

    it("expands ${VAR}, ${VAR:-default} and ${VAR:=default}; variables only in comments are not required", async () => {
        const c = cluster();
        const auth = c.talosPatches.files.find((f) => f.file === "cluster/b-registry-auth.yaml")!;
        assert.deepEqual(auth.variables, ["REGISTRY_TOKEN", "REGISTRY_USER"]);
        const text = await textOf(auth.text);
        assert.match(text, /^username: robot$/m, "the default");
        assert.ok(text.includes(`password: ${FIXTURE_TALOS_VARIABLES.REGISTRY_TOKEN}`));
        assert.equal(await pulumi.isSecret(pulumi.output(auth.text)), true, "a file using a variable is secret");
        const plain = c.talosPatches.files.find((f) => f.file === "cluster/c-block-ingress.yaml")!;
        assert.equal(await pulumi.isSecret(pulumi.output(plain.text)), false);
        const withDefault = cluster({ talosPatchVariables: { ...FIXTURE_TALOS_VARIABLES, REGISTRY_USER: "someone" } });
        assert.match(await textOf(withDefault.talosPatches.files[1].text), /^username: someone$/m);
    });

    it("ksail's additions are left out when the patch directory has ksail's own files", () => {
        const c = cluster();
        const own = { ...c, talosPatches: { ...c.talosPatches, ownIngressFirewall: true, ownKubeletCertRotation: true } };
        assert.deepEqual(
            programPatches({ cluster: own, node: planNodes(c)[0], certSans: [] }).map((p) => p.name),
            ["machine", "hostname"],
        );
    });
});

describe("Talos patches: conflicts resolved on purpose", () => {
    it("the node's HostnameConfig comes after the platform's auto: off, names the server and keeps auto off", () => {
        const c = cluster({ talosPatchDir: FIXTURE_TALOS_PATCH_DIR });
        const [hostname] = programPatches({ cluster: c, node: planNodes(c)[4], certSans: [] }).filter((p) => p.name === "hostname");
        assert.deepEqual(hostname.documents, [{ apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: "prod-worker-2", auto: "off" }]);
    });

    it("ksail's default rules sit beside the platform's: the same default action, other rule names, few rules", () => {
        const c = cluster();
        for (const role of ["control-plane", "worker"] as const) {
            const docs = ingressFirewallPatch(c, role).documents;
            assert.deepEqual(docs[0], { apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" });
            const rules = docs.slice(1);
            assert.ok(rules.length <= 3, "consolidated: Talos's nftables flush fails with ENOBUFS on many rules");
            for (const r of rules) {
                assert.match(String(r.name), /^ksail-default-/);
            }
        }
        const cp = ingressFirewallPatch(c, "control-plane").documents.slice(1) as unknown as Rule[];
        const ports = (proto: string) => cp.filter((r) => r.portSelector.protocol === proto).flatMap((r) => r.portSelector.ports);
        assert.deepEqual(ports("tcp").sort(), [10250, 50001, 6443, 50000, "2379-2380"].sort());
        assert.deepEqual(ports("udp"), [8472]);
        const closed = cluster({ firewallOpenToWorld: "false", firewallSources: ["203.0.113.0/24"] });
        const api = (ingressFirewallPatch(closed, "control-plane").documents as unknown as Rule[]).find((r) =>
            r.portSelector?.ports?.includes(6443),
        );
        assert.deepEqual(api?.ingress, [{ subnet: "203.0.113.0/24" }], "apid and the API only from firewallSources");
    });

    it("extraKernelArgs stay in the config only with grubUseUKICmdline: false after them (Talos refuses the pair otherwise)", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "talos-kargs-"));
        try {
            fs.mkdirSync(path.join(dir, "cluster"));
            fs.writeFileSync(path.join(dir, "cluster/apparmor.yaml"), "machine:\n  install:\n    extraKernelArgs: [security=apparmor]\n");
            const problems = problemsOf({ talosPatchDir: dir, talosPatchVariables: undefined });
            assert.equal(problems.length, 1, JSON.stringify(problems));
            assert.equal(problems[0].key, "talosPatchDir");
            assert.match(problems[0].value, /cluster\/apparmor\.yaml/);
            assert.match(problems[0].message, /extraKernelArgs, but no patch sets machine\.install\.grubUseUKICmdline: false/);
            fs.writeFileSync(path.join(dir, "cluster/zz-grub.yaml"), "machine:\n  install:\n    grubUseUKICmdline: false\n");
            assert.deepEqual(problemsOf({ talosPatchDir: dir, talosPatchVariables: undefined }), []);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("snapshot boot: kernel arguments from the patches wait for an upgrade, and the run says so; ISO boot installs with them", () => {
        assert.match(
            String(snapshotKernelArgsWarning(cluster({ talosBoot: "snapshot" }))),
            /^cluster\/a-sysctls\.yml sets machine\.install\.extraKernelArgs, which take effect only when Talos installs or upgrades/,
        );
        assert.equal(snapshotKernelArgsWarning(cluster()), undefined);
    });

    it("the approver's objects are what the platform's Flux tree takes over: the upstream names, only kubelet-serving CSRs", () => {
        const objects = kubeletCertApproverObjects() as unknown as K8sObject[];
        assert.deepEqual(
            objects.map((o) => `${o.kind}/${o.metadata.name}`),
            [
                "Namespace/kubelet-serving-cert-approver",
                "ServiceAccount/kubelet-serving-cert-approver",
                "ClusterRole/certificates:kubelet-serving-cert-approver",
                "ClusterRoleBinding/kubelet-serving-cert-approver",
                "Deployment/kubelet-serving-cert-approver",
            ],
        );
        const signer = objects[2].rules!.find((r) => r.resources.includes("signers"))!;
        assert.deepEqual(signer.resourceNames, ["kubernetes.io/kubelet-serving"]);
    });
});

describe("Talos patches: bad input is reported before anything is registered, naming file and key", () => {
    const bad = (name: string) => path.join(ROOT, "test/cluster/fixtures/talos-bad", name);
    const cases: [string, RegExp, RegExp][] = [
        ["broken-yaml", /cluster\/broken\.yaml/, /document 1, line 4: invalid YAML/],
        [
            "unknown-kind",
            /cluster\/typo-kind\.yaml/,
            /line 2: kind "HostnameConfg" is not a Talos document kind; did you mean "HostnameConfig"\?/,
        ],
        [
            "unknown-field",
            /workers\/typo-field\.yaml/,
            /document 2 \(v1alpha1 patch\), line 9: machine\.kubelet\.extraMount is an unknown field; did you mean "extraMounts"\?/,
        ],
        ["unreadable", /cluster\/gone\.yaml/, /cannot be read \(ENOENT\)/],
    ];
    for (const [name, file, message] of cases) {
        it(name, () => {
            const problems = problemsOf({ talosPatchDir: bad(name), talosPatchVariables: undefined });
            assert.ok(
                problems.some((p) => p.key === "talosPatchDir" && file.test(p.value) && message.test(p.message)),
                JSON.stringify(problems, null, 1),
            );
        });
    }

    it("an unset variable used outside comments names the variable and every file using it (comments do not count)", () => {
        const problems = problemsOf({ talosPatchDir: bad("unset-variable"), talosPatchVariables: undefined });
        assert.deepEqual(
            problems.map((p) => p.key),
            ["talosPatchVariables.MISSING_TOKEN"],
        );
        assert.match(problems[0].message, /cluster\/auth\.yaml \(line 4\), workers\/annotate\.yaml \(line 4\) use it/);
        assert.match(problems[0].message, /pulumi config set --secret --path 'talosPatchVariables\.MISSING_TOKEN'/);
    });

    it("a missing patch directory: a real run refuses; a rehearsal stands in a placeholder", () => {
        const missing = { talosPatchDir: "../no-such-platform/talos" };
        const real = problemsOf(missing);
        assert.equal(real[0].key, "talosPatchDir");
        assert.match(real[0].message, /is not a directory/);
        const rehearsal = validateConfig({ ...validProdRaw(missing), rehearsal: true });
        assert.ok(rehearsal.ok);
        assert.ok(rehearsal.placeholders.some((p) => p.key === "talosPatchDir" && /check out the platform repository/.test(p.hint ?? "")));
        assert.equal(rehearsal.config.cluster.talosPatches.placeholder, true);
    });

    it("variables stored in plain text are refused, without echoing them", () => {
        const raw = validProdRaw();
        const plain = validateConfig({ ...raw, secretKeys: new Set([...raw.secretKeys].filter((k) => k !== "talosPatchVariables")) });
        assert.ok(!plain.ok);
        const p = plain.problems.find((x) => x.key === "talosPatchVariables")!;
        assert.match(p.message, /plain text/);
        assert.equal(p.value, "[secret]");
    });

    it("messages never echo an expanded value, even when expansion breaks the YAML", () => {
        const problems = problemsOf({
            talosPatchVariables: { ...FIXTURE_TALOS_VARIABLES, REGISTRY_TOKEN: "s3cr3t: [broken" },
        });
        assert.ok(problems.length > 0);
        assert.ok(!JSON.stringify(problems).includes("s3cr3t"), JSON.stringify(problems));
        assert.match(problems[0].message, /no longer parses once .*REGISTRY_TOKEN.* expanded; quote the expression/);
    });
});

describe("Talos patches: the rehearsal's account", () => {
    it("a fresh clone: the missing checkout is a placeholder, said in words and listed with how to fix it", () => {
        const result = validateConfig({ ...validProdRaw({ talosPatchDir: "../no-platform-checkout/talos" }), rehearsal: true });
        assert.ok(result.ok);
        const lines = describeTalosPatches(result.config.cluster, true);
        assert.match(
            lines[0],
            /talosPatchDir \.\.\/no-platform-checkout\/talos is not checked out: the plan shows no platform patch .* a real run refuses to start/,
        );
        assert.match(
            lines.join("\n"),
            /control planes, in order:\n {2}1\. program: machine \(NICs by bus path with DHCP, the floating-IP VIP/,
        );
        const placeholder = result.placeholders.find((p) => p.key === "talosPatchDir")!;
        assert.match(
            renderPlaceholder(placeholder),
            /! talosPatchDir +required: check out the platform repository so that \.\.\/no-platform-checkout\/talos is its talos\/ directory/,
        );
    });

    it("map entries are set with --path", () => {
        assert.match(
            renderPlaceholder({ key: "talosPatchVariables.GHCR_TOKEN", secret: true }),
            /required: pulumi config set --secret --path 'talosPatchVariables\.GHCR_TOKEN' <value>$/,
        );
        assert.match(renderPlaceholder({ key: "sopsAgeKey", secret: true }), /required: pulumi config set --secret sopsAgeKey$/);
    });
});

describe("Talos patches: Scenario 5 builds no node", () => {
    it("reads no patch directory", () => {
        const result = validateConfig(
            validProdRaw({ clusterMode: "existing", existingClusterKubeconfig: "apiVersion: v1", talosPatchDir: "../nowhere" }, [
                "existingClusterKubeconfig",
            ]),
        );
        if (result.ok) {
            assert.deepEqual(result.config.cluster.talosPatches.files, []);
        } else {
            assert.ok(!result.problems.some((p) => p.key.startsWith("talosPatch")), JSON.stringify(result.problems));
        }
    });
});
