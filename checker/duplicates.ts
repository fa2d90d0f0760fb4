/**
 * The same object (kind, namespace, name) more than once in one input: a base and an overlay
 * both read raw, or one file pasted twice. The cluster would hold one object, the last one
 * applied, so the checker keeps the last one and says which sources it dropped; two copies of a
 * PDB must never count as two PDBs.
 */
import { SourcedObject, checkedKindOf } from "../policies/rules";
import { ManifestSource } from "./load";

/** What deduplication left: one object per identity, in input order, and one warning per duplicated identity. */
export interface Deduplicated {
    /** Objects, each identity once (its last occurrence, at that position). */
    readonly objects: SourcedObject<ManifestSource>[];
    /** One message per identity seen more than once, naming every source. */
    readonly warnings: string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The identity the API server stores an object under: API group, kind, namespace, name. Kinds the
 * rules read are keyed by kind alone, as the engine reads them (a Deployment under extensions/ and
 * apps/ is one object). Undefined for objects without a name (generateName creates a new one each time).
 */
function identity(object: unknown, defaultNamespace: string): { key: string; label: string } | undefined {
    if (!isRecord(object) || !isRecord(object.metadata)) {
        return undefined;
    }
    const name = text(object.metadata.name);
    const kind = text(object.kind);
    if (name === undefined || kind === undefined) {
        return undefined;
    }
    const declared = text(object.metadata.namespace);
    const namespace = declared ?? defaultNamespace;
    const apiVersion = text(object.apiVersion) ?? "";
    const checked = checkedKindOf(object) !== undefined;
    const group = checked ? "" : apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "";
    // Without a namespace, a kind the rules do not read may be cluster-scoped (a Namespace): name it without one.
    const label = declared === undefined && !checked ? `${kind} ${name}` : `${kind} ${namespace}/${name}`;
    return { key: `${group}\u0000${kind}\u0000${namespace}\u0000${name}`, label };
}

function at(source: ManifestSource | undefined): string {
    return source === undefined ? "(unknown source)" : `${source.file}:${source.line}`;
}

function list(items: readonly string[]): string {
    return items.length <= 2 ? items.join(" and ") : `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}

function times(n: number): string {
    return n === 2 ? "twice" : `${n} times`;
}

/** Keeps the last of each identity, as `kubectl apply` of the whole input would leave it. */
export function dropDuplicates(objects: readonly SourcedObject<ManifestSource>[], defaultNamespace: string): Deduplicated {
    const keys: (string | undefined)[] = [];
    const seen = new Map<string, { label: string; sources: (ManifestSource | undefined)[]; last: number }>();
    objects.forEach((object, index) => {
        const id = identity(object.object, defaultNamespace);
        keys.push(id?.key);
        if (id === undefined) {
            return;
        }
        const entry = seen.get(id.key);
        if (entry) {
            entry.sources.push(object.source);
            entry.last = index;
        } else {
            seen.set(id.key, { label: id.label, sources: [object.source], last: index });
        }
    });
    const kept: SourcedObject<ManifestSource>[] = [];
    objects.forEach((object, index) => {
        const key = keys[index];
        if (key === undefined || (seen.get(key) as { last: number }).last === index) {
            kept.push(object);
        }
    });
    const warnings: string[] = [];
    for (const { label, sources } of seen.values()) {
        if (sources.length > 1) {
            const last = sources[sources.length - 1];
            warnings.push(
                `${label} is defined ${times(sources.length)}, at ${list(sources.map(at))}: ` +
                    `only the last (${at(last)}) is checked, as kubectl apply would leave it`,
            );
        }
    }
    return { objects: kept, warnings };
}
