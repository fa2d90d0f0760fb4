/**
 * Rule `pdb-allows-disruption`: every PDB selecting a workload allows at least one voluntary
 * eviction at the workload's effective replica count, computed as the disruption controller does
 * (percentages of both minAvailable and maxUnavailable round up). With several PDBs over one
 * workload an eviction needs all of them to agree, so each one is judged on its own.
 */
import { DraftFinding } from "./draft";
import { IntOrPercent, formatIntOrPercent, isExplicitZero, scale } from "./intOrPercent";
import { Pdb, Workload } from "./objects";
import { KnownReplicas, describe, hpaRefs, pluralReplicas, replicaBasis } from "./replicas";
import { ObjectRef } from "./types";

const RULE = "pdb-allows-disruption";

/** A PDB's budget, validated: at most one of the two fields is set. */
export interface Budget {
    /** `spec.minAvailable`. */
    readonly minAvailable?: IntOrPercent;
    /** `spec.maxUnavailable`. */
    readonly maxUnavailable?: IntOrPercent;
}

/**
 * Evictions the budget permits when all `replicas` pods are healthy: `replicas - desiredHealthy`,
 * where desiredHealthy is `replicas - maxUnavailable` (floored at 0) or `minAvailable`. A PDB with
 * neither field allows every eviction, as the controller treats desiredHealthy as 0.
 */
export function allowedDisruptions(budget: Budget, replicas: number): number {
    if (budget.maxUnavailable !== undefined) {
        const desiredHealthy = Math.max(0, replicas - scale(budget.maxUnavailable, replicas, "up"));
        return replicas - desiredHealthy;
    }
    if (budget.minAvailable !== undefined) {
        return Math.max(0, replicas - scale(budget.minAvailable, replicas, "up"));
    }
    return replicas;
}

/** The budget of a well-formed PDB, or undefined when its values are malformed (reported by `malformedBudget`). */
export function budgetOf(pdb: Pdb<unknown>): Budget | undefined {
    const { minAvailable, maxUnavailable } = pdb;
    if (!minAvailable.ok || !maxUnavailable.ok || (minAvailable.value !== undefined && maxUnavailable.value !== undefined)) {
        return undefined;
    }
    return { minAvailable: minAvailable.value, maxUnavailable: maxUnavailable.value };
}

function reason(budget: Budget, replicas: number): string {
    if (budget.maxUnavailable !== undefined) {
        return `its maxUnavailable: ${formatIntOrPercent(budget.maxUnavailable)} never lets a pod be evicted`;
    }
    const minAvailable = budget.minAvailable as IntOrPercent;
    if (minAvailable.type === "percent") {
        const desired = scale(minAvailable, replicas, "up");
        return `its minAvailable: ${formatIntOrPercent(minAvailable)} of ${pluralReplicas(replicas)} rounds up to ${desired}, so no replica may be down`;
    }
    return minAvailable.value === replicas
        ? `its minAvailable: ${minAvailable.value} equals the replica count, so no replica may be down`
        : `its minAvailable: ${minAvailable.value} exceeds the ${pluralReplicas(replicas)}, so no replica may be down`;
}

function fix(budget: Budget, replicas: number): string {
    if (isExplicitZero(budget.maxUnavailable)) {
        return "Fix: set maxUnavailable: 1 (or a percentage above 0%).";
    }
    const lower = replicas > 1 ? `, or lower minAvailable to ${replicas - 1} or less` : "";
    const single = replicas === 1 ? "; a single replica cannot be evicted without downtime, so also run at least 2 replicas" : "";
    return `Fix: replace minAvailable with maxUnavailable: 1, which allows one eviction at any replica count${lower}${single}.`;
}

/** The check proper, for one workload and the PDBs selecting it. */
export function checkDisruption<S>(workload: Workload<S>, replicas: KnownReplicas, selecting: readonly Pdb<S>[]): DraftFinding<S>[] {
    // No pods, nothing to evict: a scaled-to-zero workload never blocks a drain.
    if (replicas.count === 0) {
        return [];
    }
    const findings: DraftFinding<S>[] = [];
    for (const pdb of selecting) {
        const budget = budgetOf(pdb);
        if (budget === undefined || allowedDisruptions(budget, replicas.count) >= 1) {
            continue;
        }
        findings.push({
            rule: RULE,
            object: workload.ref,
            related: [pdb.ref, ...hpaRefs(replicas)],
            message:
                `${describe(pdb.ref)} allows no voluntary disruption of ${describe(workload.ref)} at ${pluralReplicas(replicas.count)} (${replicaBasis(replicas)}): ` +
                `${reason(budget, replicas.count)}; node drains and node upgrades hang on it. ${fix(budget, replicas.count)}`,
            source: workload.source,
        });
    }
    return findings;
}

/** A PDB whose minAvailable/maxUnavailable the API server would reject. `selected` are the workloads it selects. */
export function malformedBudget<S>(pdb: Pdb<S>, selected: readonly ObjectRef[]): DraftFinding<S> | undefined {
    const problems: string[] = [];
    if (!pdb.minAvailable.ok) {
        problems.push(`spec.minAvailable ${pdb.minAvailable.problem}`);
    }
    if (!pdb.maxUnavailable.ok) {
        problems.push(`spec.maxUnavailable ${pdb.maxUnavailable.problem}`);
    }
    if (pdb.minAvailable.ok && pdb.maxUnavailable.ok && pdb.minAvailable.value !== undefined && pdb.maxUnavailable.value !== undefined) {
        problems.push("it sets both minAvailable and maxUnavailable, which are mutually exclusive");
    }
    if (problems.length === 0) {
        return undefined;
    }
    return {
        rule: RULE,
        object: pdb.ref,
        related: [...selected],
        message:
            `${describe(pdb.ref)} cannot be evaluated: ${problems.join("; ")}, and Kubernetes rejects it. ` +
            'Fix: set exactly one of minAvailable or maxUnavailable, as an integer (e.g. 1) or a percentage of at most 100% (e.g. "50%"); maxUnavailable: 1 suits most workloads.',
        source: pdb.source,
    };
}
