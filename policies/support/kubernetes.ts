/**
 * Turns Pulumi Kubernetes resources into the plain objects the rule engine reads, and runs the
 * engine over a stack. Only the fields the rules need are copied, each read through the
 * unknown-checking proxy: an unknown in a field that matters throws `UnknownValueError`, while
 * unknowns elsewhere (status, uid, container images) never get in the way.
 */
import { PolicyProviderResource } from "@pulumi/policy";
import { DEFAULT_NAMESPACE, Finding, RULE_FIELDS, RuleEngineOptions, SourcedObject, evaluate } from "../rules";
import { availabilityKindOf, kubernetesTypeOf } from "./types";
import { UnknownValueError, isUnknownValueError, withContext } from "./unknowns";

/** The parts of a Pulumi resource the conversion reads (a stack policy's PolicyResource, or a resource policy's args). */
export interface KubernetesResourceView {
    /** Type token, e.g. `kubernetes:apps/v1:Deployment`. */
    readonly type: string;
    /** Pulumi logical name; stands in for `metadata.name` only if the props have none. */
    readonly name: string;
    /** URN: the finding's source. */
    readonly urn: string;
    /** Inputs (resource policies) or outputs (stack policies), behind the unknown-checking proxy. */
    readonly props: Record<string, unknown>;
    /** The Kubernetes provider: its `namespace` is the default namespace of its resources, and it identifies the cluster. */
    readonly provider?: PolicyProviderResource;
}

type Path = readonly string[];

/** The fields each kind's rules read; nothing else is touched. */
const FIELDS: Readonly<Record<string, readonly Path[]>> = RULE_FIELDS;

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null;
}

/** Reads `path` from `value`; every step goes through the proxy, so an unknown on the way throws. */
function readPath(value: unknown, path: Path): unknown {
    let current = value;
    for (const key of path) {
        if (!isObject(current)) {
            return undefined;
        }
        current = current[key];
    }
    return current;
}

/** A deep copy made of plain values, reading (and so checking) every nested field. */
function plainCopy(value: unknown): unknown {
    if (Array.isArray(value)) {
        // Index reads rather than map(): species lookups on a proxied array would read through the proxy too.
        const copy: unknown[] = [];
        for (let i = 0; i < value.length; i++) {
            copy.push(plainCopy(value[i]));
        }
        return copy;
    }
    if (isObject(value)) {
        const copy: Record<string, unknown> = {};
        for (const key of Object.keys(value)) {
            copy[key] = plainCopy(value[key]);
        }
        return copy;
    }
    return value;
}

function writePath(target: Record<string, unknown>, path: Path, value: unknown): void {
    let current = target;
    for (const key of path.slice(0, -1)) {
        if (!isObject(current[key])) {
            current[key] = {};
        }
        current = current[key] as Record<string, unknown>;
    }
    current[path[path.length - 1]] = value;
}

/** The provider's `namespace` setting, which Pulumi applies to resources that name no namespace. */
function providerNamespace(resource: KubernetesResourceView): string | undefined {
    const namespace = resource.provider ? readPath(resource.provider.props, ["namespace"]) : undefined;
    return typeof namespace === "string" && namespace !== "" ? namespace : undefined;
}

/**
 * The namespace the resource lands in (`metadata.namespace`, else the provider's, else
 * `defaultNamespace`). Throws `UnknownValueError` when that cannot be known yet.
 */
function namespaceOf(resource: KubernetesResourceView, defaultNamespace: string): string {
    const declared = readPath(resource.props, ["metadata", "namespace"]);
    return typeof declared === "string" && declared !== "" ? declared : (providerNamespace(resource) ?? defaultNamespace);
}

/**
 * The plain Kubernetes object for a workload, PDB or HPA resource: apiVersion and kind from the
 * type token, the fields the rules read, and the namespace Pulumi would use. Throws
 * `UnknownValueError` when one of those fields is unknown.
 */
export function toKubeObject(resource: KubernetesResourceView, defaultNamespace: string): Record<string, unknown> {
    const type = kubernetesTypeOf(resource.type);
    if (!type || !FIELDS[type.kind]) {
        throw new TypeError(`${resource.type} is not a type the availability rules read`);
    }
    const object: Record<string, unknown> = { apiVersion: type.apiVersion, kind: type.kind };
    for (const path of FIELDS[type.kind]) {
        const value = readPath(resource.props, path);
        if (value !== undefined) {
            writePath(object, path, plainCopy(value));
        }
    }
    const metadata = (object.metadata ?? {}) as Record<string, unknown>;
    object.metadata = { ...metadata, name: metadata.name ?? resource.name, namespace: namespaceOf(resource, defaultNamespace) };
    return object;
}

/** The outcome of running the rules over a stack. */
export interface StackCheck {
    /** Findings whose namespace was fully known; `source` is the offending resource's URN. */
    readonly findings: Finding<string>[];
    /** The first unknown value met, if any: findings in its namespace were withheld. */
    readonly unknown?: UnknownValueError;
}

/** One cluster's worth of resources: namespaces only mean something within a cluster. */
function byCluster(resources: readonly KubernetesResourceView[]): Map<string, KubernetesResourceView[]> {
    const clusters = new Map<string, KubernetesResourceView[]>();
    for (const resource of resources) {
        if (availabilityKindOf(resource.type) !== undefined) {
            const key = resource.provider?.urn ?? "";
            const cluster = clusters.get(key);
            if (cluster) {
                cluster.push(resource);
            } else {
                clusters.set(key, [resource]);
            }
        }
    }
    return clusters;
}

function checkCluster(resources: readonly KubernetesResourceView[], options: RuleEngineOptions, defaultNamespace: string): StackCheck {
    const objects: SourcedObject<string>[] = [];
    // Namespaces holding an object with an unknown field: a missing PDB or HPA there could change every verdict in it.
    const uncertain = new Set<string>();
    let everythingUncertain = false;
    let unknown: { error: UnknownValueError; resource: KubernetesResourceView } | undefined;
    for (const resource of resources) {
        try {
            objects.push({ object: toKubeObject(resource, defaultNamespace), source: resource.urn });
        } catch (error) {
            if (!isUnknownValueError(error)) {
                throw error;
            }
            unknown ??= { error, resource };
            try {
                uncertain.add(namespaceOf(resource, defaultNamespace));
            } catch (namespaceError) {
                if (!isUnknownValueError(namespaceError)) {
                    throw namespaceError;
                }
                everythingUncertain = true;
            }
        }
    }
    if (unknown === undefined) {
        return { findings: evaluate(objects, options).findings };
    }
    const notJudged = everythingUncertain
        ? "no namespace judged"
        : `namespace${uncertain.size === 1 ? "" : "s"} ${[...uncertain].sort().join(", ")} not judged`;
    const annotated = withContext(unknown.error, `in ${unknown.resource.type} ${unknown.resource.name}; ${notJudged}`);
    const findings = everythingUncertain ? [] : evaluate(objects, options).findings.filter((f) => !uncertain.has(f.object.namespace));
    return { findings, unknown: annotated };
}

/**
 * Runs the engine over the Kubernetes resources of a stack, cluster by cluster. Findings in a
 * namespace where some relevant value is unknown (during preview) are withheld rather than
 * guessed, and the first such unknown is returned for the caller to rethrow.
 */
export function checkStack(resources: readonly KubernetesResourceView[], options: RuleEngineOptions): StackCheck {
    const defaultNamespace = options.defaultNamespace ?? DEFAULT_NAMESPACE;
    const findings: Finding<string>[] = [];
    let unknown: UnknownValueError | undefined;
    for (const cluster of byCluster(resources).values()) {
        const result = checkCluster(cluster, options, defaultNamespace);
        findings.push(...result.findings);
        unknown ??= result.unknown;
    }
    return { findings, unknown };
}
