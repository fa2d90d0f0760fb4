/**
 * Public types of the availability rule engine. The engine is plain TypeScript with no Pulumi
 * imports, so the policy pack, the manifest checker and the benchmark share one implementation.
 */

/** The rules the engine knows, in the order their findings are listed for one object. */
export const RULE_IDS = ["workload-has-pdb", "pdb-allows-disruption", "rolling-update-max-unavailable-zero"] as const;

/** Identifier of one rule. */
export type RuleId = (typeof RULE_IDS)[number];

/** How seriously a finding is meant: errors fail the check, warnings are reported only. */
type Severity = "error" | "warning";

/** What a rule is configured to do: report at a severity, or not run at all. */
export type Enforcement = Severity | "off";

/** The kinds the engine reads; every other kind is ignored. */
export const CHECKED_KINDS = ["Deployment", "StatefulSet", "PodDisruptionBudget", "HorizontalPodAutoscaler"] as const;

/** One of the kinds the engine reads. */
export type CheckedKind = (typeof CHECKED_KINDS)[number];

/** Identifies a Kubernetes object the way people name one: kind, namespace and name. */
export interface ObjectRef {
    /** Object kind, e.g. `Deployment`. */
    readonly kind: string;
    /** Namespace, after the default namespace was applied to objects without one. */
    readonly namespace: string;
    /** `metadata.name` (or `metadata.generateName` when the name is generated). */
    readonly name: string;
}

/**
 * A raw Kubernetes object together with where it came from. The engine never interprets
 * `source`; it hands it back on findings so callers can point at a file line or a Pulumi URN.
 */
export interface SourcedObject<S> {
    /** The object as parsed from YAML or as a Pulumi resource's properties; anything is accepted. */
    readonly object: unknown;
    /** Caller's reference to the object's origin. */
    readonly source?: S;
}

/** One violated rule on one object. */
export interface Finding<S> {
    /** The rule that produced it. */
    readonly rule: RuleId;
    /** The configured severity of that rule. */
    readonly severity: Severity;
    /** The object the finding is about (the workload, or the object holding a malformed value). */
    readonly object: ObjectRef;
    /** Other objects involved: the PodDisruptionBudget at fault, the HPA that set the replica count. */
    readonly related: ObjectRef[];
    /** What is wrong and how to fix it, in one or two sentences. */
    readonly message: string;
    /** The `source` the caller attached to `object`, if any. */
    readonly source: S | undefined;
}

/** How many objects of each checked kind were read. */
export type CheckedCounts = Record<CheckedKind, number>;

/** The outcome of one evaluation. */
export interface EvaluationResult<S> {
    /** Findings in a stable order: by namespace, name and kind of the object, then by rule. */
    readonly findings: Finding<S>[];
    /** Objects read, per kind. */
    readonly checked: CheckedCounts;
}

/**
 * Objects the rules leave alone. Each field is a glob (`*` any run of characters, `?` one
 * character); a missing field matches everything.
 */
export interface Exemption {
    /** Namespace glob. */
    readonly namespace?: string;
    /** Name glob. */
    readonly name?: string;
}

/** Engine settings; every field is optional and has the documented default. */
export interface RuleEngineOptions {
    /** Effective replica count from which a workload must have a PDB and a zero-downtime rollout (default 2). */
    readonly replicaThreshold?: number;
    /** Namespace of objects that do not name one (default `default`, as with kubectl and the Pulumi provider). */
    readonly defaultNamespace?: string;
    /** Objects no rule reports on. */
    readonly exemptions?: readonly Exemption[];
    /** Per-rule enforcement (default `error` for every rule). */
    readonly rules?: Partial<Record<RuleId, Enforcement>>;
}
