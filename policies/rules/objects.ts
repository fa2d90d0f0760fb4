/**
 * Reads raw Kubernetes objects into the few fields the rules need. Reading never throws on bad
 * data: a malformed field is kept as a problem and becomes a finding. (Errors thrown by the object
 * itself, such as a Pulumi preview's unknown-value proxy, are deliberately not caught here.)
 */
import { FieldValue, IntOrPercent, readCount, readIntOrPercent, show } from "./intOrPercent";
import { Labels, ParsedSelector, parseSelector, readLabels } from "./selector";
import { CheckedKind, ObjectRef } from "./types";

/** Fields every read object carries. */
interface ReadObject<S> {
    /** Kind, namespace (defaulted) and name. */
    readonly ref: ObjectRef;
    /** The caller's source reference. */
    readonly source: S | undefined;
    /** Position in the input, to keep results in input order where order matters. */
    readonly order: number;
}

/** How a Deployment replaces its pods. */
export interface RolloutStrategy {
    /** False when `spec.strategy` is absent altogether (every value is a default). */
    readonly declared: boolean;
    /** `spec.strategy.type`, with an unset type read as the default `RollingUpdate`. */
    readonly type: "RollingUpdate" | "Recreate";
    /** `rollingUpdate.maxUnavailable`; undefined means the 25% default. */
    readonly maxUnavailable: FieldValue<IntOrPercent>;
    /** `rollingUpdate.maxSurge`; undefined means the 25% default. */
    readonly maxSurge: FieldValue<IntOrPercent>;
}

/** A Deployment or StatefulSet. */
export interface Workload<S> extends ReadObject<S> {
    /** Which workload kind. */
    readonly kind: "Deployment" | "StatefulSet";
    /** `spec.template.metadata.labels`: what PDB selectors are matched against. */
    readonly podLabels: Labels;
    /** `spec.selector.matchLabels`, to suggest a PDB selector in fixes. */
    readonly selectorLabels: Labels;
    /** Declared `spec.replicas` (undefined when unset, or malformed). */
    readonly replicas: FieldValue<number>;
    /** Deployment rollout; a string says why the strategy block is malformed; undefined for StatefulSets. */
    readonly strategy: RolloutStrategy | string | undefined;
}

/**
 * What the disruption controller last wrote into a live PDB's `status` (`kubectl get -o yaml`
 * shows it; manifests and the policy pack's copies have none). A count it did not write, or wrote
 * as something other than a non-negative integer, is undefined.
 */
export interface PdbStatus {
    /** `status.disruptionsAllowed`: evictions the API would grant right now. */
    readonly disruptionsAllowed: number;
    /** `status.currentHealthy`: selected pods that are Ready. */
    readonly currentHealthy: number | undefined;
    /** `status.desiredHealthy`: Ready pods the budget insists on. */
    readonly desiredHealthy: number | undefined;
    /** `status.expectedPods`: pods the controller counts the budget over. */
    readonly expectedPods: number | undefined;
}

/** A PodDisruptionBudget. */
export interface Pdb<S> extends ReadObject<S> {
    /** Which pods it covers. */
    readonly selector: ParsedSelector;
    /** `spec.minAvailable`. */
    readonly minAvailable: FieldValue<IntOrPercent>;
    /** `spec.maxUnavailable`. */
    readonly maxUnavailable: FieldValue<IntOrPercent>;
    /** The live status, when the object came from a cluster and its status says how many evictions are allowed. */
    readonly status: PdbStatus | undefined;
}

/** A HorizontalPodAutoscaler (any autoscaling/* version: the fields read are the same). */
export interface Hpa<S> extends ReadObject<S> {
    /** `spec.scaleTargetRef.kind`. */
    readonly targetKind: string | undefined;
    /** `spec.scaleTargetRef.name`. */
    readonly targetName: string | undefined;
    /** `spec.minReplicas` (undefined means the default 1). */
    readonly minReplicas: FieldValue<number>;
}

/** Any object the engine reads. */
export type KubeObject<S> = Workload<S> | Pdb<S> | Hpa<S>;

const METADATA = [
    ["metadata", "name"],
    ["metadata", "namespace"],
] as const;

/**
 * The fields the rules read, per kind (each path and everything under it); nothing else matters to
 * a verdict. The policy pack copies only these out of Pulumi's outputs (so an unknown elsewhere is
 * harmless), and the checker looks only here for unresolved `${var}`s. Live PDB status is read
 * besides, when present.
 */
export const RULE_FIELDS: Readonly<Record<CheckedKind, readonly (readonly string[])[]>> = {
    Deployment: [
        ...METADATA,
        ["spec", "replicas"],
        ["spec", "selector", "matchLabels"],
        ["spec", "template", "metadata", "labels"],
        ["spec", "strategy"],
    ],
    StatefulSet: [...METADATA, ["spec", "replicas"], ["spec", "selector", "matchLabels"], ["spec", "template", "metadata", "labels"]],
    PodDisruptionBudget: [...METADATA, ["spec", "selector"], ["spec", "minAvailable"], ["spec", "maxUnavailable"]],
    HorizontalPodAutoscaler: [...METADATA, ["spec", "scaleTargetRef", "kind"], ["spec", "scaleTargetRef", "name"], ["spec", "minReplicas"]],
};

/** API group prefixes a kind must come from, so a CRD that reuses a kind name is not mistaken for it. */
const API_GROUP_PREFIXES: Record<CheckedKind, readonly string[]> = {
    Deployment: ["apps/", "extensions/"],
    StatefulSet: ["apps/"],
    PodDisruptionBudget: ["policy/"],
    HorizontalPodAutoscaler: ["autoscaling/"],
};

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function record(value: unknown): Record<string, unknown> {
    return isRecord(value) ? value : {};
}

function nonEmptyString(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined;
}

/** The checked kind of `raw`, or undefined when the engine ignores it. A missing apiVersion is accepted (Pulumi inputs may omit it). */
export function checkedKindOf(raw: unknown): CheckedKind | undefined {
    if (!isRecord(raw) || typeof raw.kind !== "string" || !Object.prototype.hasOwnProperty.call(API_GROUP_PREFIXES, raw.kind)) {
        return undefined;
    }
    const kind = raw.kind as CheckedKind;
    const apiVersion = raw.apiVersion;
    if (apiVersion === undefined) {
        return kind;
    }
    return typeof apiVersion === "string" && API_GROUP_PREFIXES[kind].some((prefix) => apiVersion.startsWith(prefix)) ? kind : undefined;
}

function refOf(kind: CheckedKind, metadata: Record<string, unknown>, defaultNamespace: string): ObjectRef {
    return {
        kind,
        namespace: nonEmptyString(metadata.namespace) ?? defaultNamespace,
        name: nonEmptyString(metadata.name) ?? nonEmptyString(metadata.generateName) ?? "(unnamed)",
    };
}

function readStrategy(spec: Record<string, unknown>): RolloutStrategy | string {
    const raw = spec.strategy ?? {};
    if (!isRecord(raw)) {
        return `spec.strategy ${show(raw)} is not an object`;
    }
    const type = raw.type ?? "RollingUpdate";
    if (type !== "RollingUpdate" && type !== "Recreate") {
        return `spec.strategy.type ${show(type)} is neither RollingUpdate nor Recreate`;
    }
    const rollingUpdate = raw.rollingUpdate ?? {};
    if (!isRecord(rollingUpdate)) {
        return `spec.strategy.rollingUpdate ${show(rollingUpdate)} is not an object`;
    }
    return {
        declared: spec.strategy !== undefined && spec.strategy !== null,
        type,
        // Kubernetes caps maxUnavailable at 100%; maxSurge has no upper bound.
        maxUnavailable: readIntOrPercent(rollingUpdate.maxUnavailable, 100),
        maxSurge: readIntOrPercent(rollingUpdate.maxSurge),
    };
}

function statusCount(value: unknown): number | undefined {
    return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

function readPdbStatus(raw: unknown): PdbStatus | undefined {
    const status = record(raw);
    const disruptionsAllowed = statusCount(status.disruptionsAllowed);
    if (disruptionsAllowed === undefined) {
        return undefined;
    }
    return {
        disruptionsAllowed,
        currentHealthy: statusCount(status.currentHealthy),
        desiredHealthy: statusCount(status.desiredHealthy),
        expectedPods: statusCount(status.expectedPods),
    };
}

/**
 * Reads one raw object; undefined when it is not a checked kind. `order` is the object's
 * position in the input.
 */
export function readObject<S>(raw: unknown, source: S | undefined, order: number, defaultNamespace: string): KubeObject<S> | undefined {
    const kind = checkedKindOf(raw);
    if (!kind) {
        return undefined;
    }
    const object = raw as Record<string, unknown>;
    const ref = refOf(kind, record(object.metadata), defaultNamespace);
    const spec = record(object.spec);
    // Literal objects rather than a spread of shared fields: this runs once per input object.
    switch (kind) {
        case "Deployment":
        case "StatefulSet":
            return {
                ref,
                source,
                order,
                kind,
                podLabels: readLabels(record(record(spec.template).metadata).labels),
                selectorLabels: readLabels(record(spec.selector).matchLabels),
                replicas: readCount(spec.replicas),
                strategy: kind === "Deployment" ? readStrategy(spec) : undefined,
            };
        case "PodDisruptionBudget":
            return {
                ref,
                source,
                order,
                selector: parseSelector(spec.selector, object.apiVersion !== "policy/v1beta1"),
                // The API server rejects PDB percentages above 100%.
                minAvailable: readIntOrPercent(spec.minAvailable, 100),
                maxUnavailable: readIntOrPercent(spec.maxUnavailable, 100),
                status: object.status === undefined ? undefined : readPdbStatus(object.status),
            };
        case "HorizontalPodAutoscaler": {
            const target = record(spec.scaleTargetRef);
            return {
                ref,
                source,
                order,
                targetKind: nonEmptyString(target.kind),
                targetName: nonEmptyString(target.name),
                minReplicas: readCount(spec.minReplicas),
            };
        }
    }
}

/** Type guard for workloads. */
export function isWorkload<S>(object: KubeObject<S>): object is Workload<S> {
    return object.ref.kind === "Deployment" || object.ref.kind === "StatefulSet";
}

/** Type guard for PDBs. */
export function isPdb<S>(object: KubeObject<S>): object is Pdb<S> {
    return object.ref.kind === "PodDisruptionBudget";
}
