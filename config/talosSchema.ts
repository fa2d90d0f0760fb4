/**
 * Checks one Talos config document (a patch) against the facts derived from Talos's own schema
 * (config/talos-schema-facts.json, written by tools/talos-schema-facts.ts): the document kind is
 * known, and every field exists with the right type and, where the schema lists them, an allowed
 * value. A patch is partial, so nothing is required. Values are never echoed in a message: after
 * variable expansion they may be secrets.
 */
import factsJson from "./talos-schema-facts.json";
import { closest } from "./closest";

/** One node of the facts tree (see tools/talos-schema-facts.ts). */
interface FactNode {
    readonly type?: readonly string[];
    readonly enum?: readonly (string | number | boolean)[];
    readonly ref?: string;
    readonly properties?: Readonly<Record<string, FactNode>>;
    readonly additional?: FactNode | false;
    readonly items?: FactNode;
    readonly oneOf?: readonly FactNode[];
    readonly deprecated?: boolean;
}

interface Facts {
    readonly talosVersion: string;
    readonly root: string;
    readonly kinds: Readonly<
        Record<string, { readonly apiVersions: readonly string[]; readonly definition: string; readonly unpublished?: boolean }>
    >;
    readonly definitions: Readonly<Record<string, FactNode>>;
}

const FACTS = factsJson as unknown as Facts;

/** The Talos release whose schema the facts come from. */
const TALOS_SCHEMA_VERSION = FACTS.talosVersion;

/** The document kind of a strategic-merge patch of the v1alpha1 config (it has no `kind`). */
export const V1ALPHA1 = "v1alpha1";

/** What is wrong with one field of a document. */
interface SchemaIssue {
    /** Dotted path of the field, e.g. `machine.install.extraKernelArgs[0]`; empty for the document itself. */
    readonly path: string;
    /** The same path as keys and list indexes. */
    readonly segments: readonly (string | number)[];
    readonly message: string;
}

/** The outcome of checking one document. */
export interface DocumentCheck {
    /** `v1alpha1` for a strategic-merge patch of the machine config, else the document's kind. */
    readonly kind: string;
    /** The document's `name`, for named kinds (NetworkRuleConfig, VolumeConfig, ...). */
    readonly name?: string;
    readonly issues: readonly SchemaIssue[];
    /** Fields used that Talos still reads but left out of its schema as deprecated. */
    readonly deprecated: readonly string[];
    /** A kind Talos registers but leaves out of its published schema (checked against facts from its source). */
    readonly unpublished?: boolean;
}

/** Every multi-document kind Talos knows, sorted. */
function knownKinds(): string[] {
    return Object.keys(FACTS.kinds).sort();
}

function describeType(node: FactNode): string {
    if (node.enum) {
        return `one of ${node.enum.map((v) => JSON.stringify(v)).join(", ")}`;
    }
    if (node.oneOf) {
        return node.oneOf.map((n) => describeType(resolve(n))).join(" or ");
    }
    if (node.type) {
        return node.type.map((t) => (t === "array" && node.items ? `list of ${describeType(resolve(node.items))}` : t)).join(" or ");
    }
    return "any value";
}

function resolve(node: FactNode): FactNode {
    let n = node;
    while (n.ref) {
        const target = FACTS.definitions[n.ref];
        if (!target) {
            throw new Error(`talos-schema-facts.json: no definition ${n.ref}; re-run npm run facts:talos`);
        }
        n = target;
    }
    return n;
}

function typeMatches(value: unknown, type: string): boolean {
    switch (type) {
        case "string":
            return typeof value === "string";
        case "integer":
            return typeof value === "number" && Number.isInteger(value);
        case "number":
            return typeof value === "number";
        case "boolean":
            return typeof value === "boolean";
        case "array":
            return Array.isArray(value);
        case "object":
            return !!value && typeof value === "object" && !Array.isArray(value);
        case "null":
            return value === null;
        default:
            return false;
    }
}

type Segments = readonly (string | number)[];

function format(segments: Segments): string {
    return segments.map((s, i) => (typeof s === "number" ? `[${s}]` : i ? `.${s}` : s)).join("");
}

function issue(segments: Segments, message: string): SchemaIssue {
    return { path: format(segments), segments, message };
}

function walk(value: unknown, raw: FactNode, path: Segments, issues: SchemaIssue[], deprecated: string[]): void {
    const node = resolve(raw);
    if (raw.deprecated || node.deprecated) {
        deprecated.push(format(path));
    }
    if (node.oneOf) {
        const fits = node.oneOf.some((alt) => {
            const trial: SchemaIssue[] = [];
            walk(value, alt, path, trial, []);
            return trial.length === 0;
        });
        if (!fits) {
            issues.push(issue(path, `must be ${describeType(node)}`));
        }
        return;
    }
    if (node.enum && !node.enum.includes(value as string | number | boolean)) {
        issues.push(issue(path, `must be ${describeType(node)}`));
        return;
    }
    if (node.type && !node.type.some((t) => typeMatches(value, t))) {
        issues.push(issue(path, `must be ${describeType(node)}`));
        return;
    }
    if (Array.isArray(value) && node.items) {
        value.forEach((v, i) => walk(v, node.items!, [...path, i], issues, deprecated));
        return;
    }
    if (value && typeof value === "object" && !Array.isArray(value)) {
        const known = Object.keys(node.properties ?? {});
        for (const [key, v] of Object.entries(value)) {
            const at = [...path, key];
            // Talos's strategic merge deletes the section (or the document) marked `$patch: delete`.
            if (key === "$patch") {
                if (v !== "delete") {
                    issues.push(issue(at, 'must be "delete" (Talos strategic-merge directive)'));
                }
                continue;
            }
            // Own fields only: a key such as `constructor` must not find Object's.
            const child =
                (node.properties && Object.hasOwn(node.properties, key) ? node.properties[key] : undefined) ??
                (node.additional === false ? undefined : node.additional);
            if (child) {
                walk(v, child, at, issues, deprecated);
            } else if (node.additional === false) {
                const hint = closest(key, known);
                issues.push(
                    issue(
                        at,
                        `is an unknown field${hint ? `; did you mean "${hint}"?` : ""} (Talos ${TALOS_SCHEMA_VERSION} has: ${known.join(", ") || "no fields here"})`,
                    ),
                );
            }
        }
    }
}

/**
 * Checks one parsed YAML document of a patch file. A document with a `kind` is a multi-document
 * config (HostnameConfig, NetworkRuleConfig, ...); one without is a strategic-merge patch of the
 * v1alpha1 machine config. A YAML list (a JSON 6902 patch) is refused: Talos applies those only to
 * single-document configs, and a rebuilt node's config has several documents.
 */
export function checkTalosDocument(doc: unknown): DocumentCheck {
    const issues: SchemaIssue[] = [];
    const deprecated: string[] = [];
    if (Array.isArray(doc)) {
        return {
            kind: "json6902",
            issues: [issue([], "is a list (a JSON 6902 patch); write a strategic-merge patch (a YAML mapping) instead")],
            deprecated,
        };
    }
    if (!doc || typeof doc !== "object") {
        return { kind: "?", issues: [issue([], "must be a YAML mapping (a Talos config document)")], deprecated };
    }
    const record = doc as Record<string, unknown>;
    if (record.kind === undefined) {
        const { apiVersion: stray, ...patch } = record;
        if (stray !== undefined) {
            issues.push(issue(["apiVersion"], "is set but kind is not: a multi-document config needs both, a v1alpha1 patch neither"));
        }
        walk(patch, { ref: FACTS.root }, [], issues, deprecated);
        return { kind: V1ALPHA1, issues, deprecated };
    }
    const kind = String(record.kind);
    const entry = typeof record.kind === "string" && Object.hasOwn(FACTS.kinds, kind) ? FACTS.kinds[kind] : undefined;
    if (!entry) {
        const hint = closest(kind, knownKinds());
        return {
            kind,
            issues: [
                issue(
                    ["kind"],
                    `"${kind}" is not a Talos document kind${hint ? `; did you mean "${hint}"?` : ""} (Talos ${TALOS_SCHEMA_VERSION} knows ${knownKinds().join(", ")})`,
                ),
            ],
            deprecated,
        };
    }
    const { apiVersion, ...body } = record;
    if (!entry.apiVersions.includes(apiVersion as string)) {
        issues.push(issue(["apiVersion"], `must be ${entry.apiVersions.map((v) => JSON.stringify(v)).join(" or ")} for kind ${kind}`));
    }
    walk(body, { ref: entry.definition }, [], issues, deprecated);
    return {
        kind,
        name: typeof record.name === "string" ? record.name : undefined,
        issues,
        deprecated,
        ...(entry.unpublished ? { unpublished: true } : {}),
    };
}
