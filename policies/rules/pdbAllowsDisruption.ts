/**
 * Rule `pdb-allows-disruption`: every PDB selecting a workload allows at least one voluntary
 * eviction, computed as the disruption controller does: over all the pods the PDB selects, with
 * each workload at the lowest count it can run at (its HPA floor), percentages of both
 * minAvailable and maxUnavailable rounding up. Several PDBs over one workload: each is judged on
 * its own, and the overlap itself is a finding, as the eviction API refuses such pods.
 */
import { DraftFinding } from "./draft";
import { IntOrPercent, formatIntOrPercent, isExplicitZero, scale } from "./intOrPercent";
import { Pdb, PdbStatus, Workload } from "./objects";
import { KnownReplicas, describe, hpaRefs, lowestBasis, pluralReplicas } from "./replicas";
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

/** A workload a PDB selects, with its replica counts. */
export interface Member<S> {
    /** The workload. */
    readonly workload: Workload<S>;
    /** Its counts; the budget is judged at `lowest`. */
    readonly replicas: KnownReplicas;
}

/** What the budget is compared with: one workload's replicas, or all the pods a shared PDB selects. */
function counted(total: number, shared: boolean): string {
    return shared ? `the ${total} pods it selects` : pluralReplicas(total);
}

function reason(budget: Budget, total: number, shared: boolean): string {
    if (budget.maxUnavailable !== undefined) {
        return `its maxUnavailable: ${formatIntOrPercent(budget.maxUnavailable)} never lets a pod be evicted`;
    }
    const minAvailable = budget.minAvailable as IntOrPercent;
    if (minAvailable.type === "percent") {
        const desired = scale(minAvailable, total, "up");
        return `its minAvailable: ${formatIntOrPercent(minAvailable)} of ${counted(total, shared)} rounds up to ${desired}, so no pod may be down`;
    }
    return minAvailable.value === total
        ? `its minAvailable: ${minAvailable.value} equals ${shared ? counted(total, shared) : "the replica count"}, so no pod may be down`
        : `its minAvailable: ${minAvailable.value} exceeds ${shared ? counted(total, shared) : `the ${pluralReplicas(total)}`}, so no pod may be down`;
}

function fix(budget: Budget, total: number): string {
    if (isExplicitZero(budget.maxUnavailable)) {
        return "Fix: set maxUnavailable: 1 (or a percentage above 0%).";
    }
    const lower = total > 1 ? `, or lower minAvailable to ${total - 1} or less` : "";
    const single = total === 1 ? "; a single replica cannot be evicted without downtime, so also run at least 2 replicas" : "";
    return `Fix: replace minAvailable with maxUnavailable: 1, which allows one eviction at any replica count${lower}${single}.`;
}

/**
 * The check proper, for one PDB and the workloads it selects. The disruption controller counts
 * every pod the PDB selects, so a PDB shared by several workloads is judged at the sum of their
 * lowest counts; each workload with pods gets its own finding naming the PDB.
 */
export function checkDisruption<S>(pdb: Pdb<S>, members: readonly Member<S>[]): DraftFinding<S>[] {
    const budget = budgetOf(pdb);
    let total = 0;
    for (const member of members) {
        total += member.replicas.lowest;
    }
    // No pods, nothing to evict: a scaled-to-zero workload never blocks a drain.
    if (budget === undefined || total === 0 || allowedDisruptions(budget, total) >= 1) {
        return [];
    }
    const shared = members.length > 1;
    const breakdown = shared ? ` (${members.map((m) => `${describe(m.workload.ref)}: ${m.replicas.lowest}`).join(", ")})` : "";
    const findings: DraftFinding<S>[] = [];
    for (const { workload, replicas } of members) {
        if (replicas.lowest === 0) {
            continue;
        }
        const at = shared ? `with ${counted(total, true)}${breakdown}` : `at ${pluralReplicas(total)} (${lowestBasis(replicas)})`;
        findings.push({
            rule: RULE,
            object: workload.ref,
            related: [pdb.ref, ...members.filter((m) => m.workload !== workload).map((m) => m.workload.ref), ...hpaRefs(replicas)],
            message:
                `${describe(pdb.ref)} allows no voluntary disruption of ${describe(workload.ref)} ${at}: ` +
                `${reason(budget, total, shared)}; node drains and node upgrades hang on it. ${fix(budget, total)}`,
            source: workload.source,
        });
    }
    return findings;
}

/**
 * A workload whose pods more than one PDB selects. The eviction API refuses to evict such a pod
 * at all ("This pod has more than one PodDisruptionBudget, which the eviction subresource does
 * not support"), so a drain fails on it however lenient each budget is.
 */
export function overlappingPdbs<S>(
    workload: Workload<S>,
    replicas: KnownReplicas,
    selecting: readonly Pdb<S>[],
): DraftFinding<S> | undefined {
    if (selecting.length < 2 || replicas.count === 0) {
        return undefined;
    }
    return {
        rule: RULE,
        object: workload.ref,
        related: selecting.map((p) => p.ref),
        message:
            `${describe(workload.ref)} is selected by ${selecting.length} PodDisruptionBudgets (${selecting.map((p) => describe(p.ref)).join(", ")}): ` +
            'the eviction API refuses to evict a pod covered by more than one ("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support"), ' +
            "so node drains and node upgrades fail on its pods. Fix: keep one PodDisruptionBudget over these pods (merge the budgets, or narrow the selectors so they do not overlap).",
        source: workload.source,
    };
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

function pods(n: number): string {
    return `${n} ${n === 1 ? "pod" : "pods"}`;
}

/** What the live status says about the pods behind a blocked PDB, and what to do about it. */
function liveReason(status: PdbStatus, ref: ObjectRef): string {
    const { currentHealthy, desiredHealthy, expectedPods } = status;
    const needs = desiredHealthy === undefined ? "" : `, and it needs ${desiredHealthy} healthy`;
    if (expectedPods === undefined || currentHealthy === undefined) {
        return `the status gives no pod counts. Fix: kubectl describe pdb -n ${ref.namespace} ${ref.name}`;
    }
    const unhealthy = Math.max(0, expectedPods - currentHealthy);
    if (unhealthy === 0) {
        return (
            `all ${pods(expectedPods)} it selects are healthy${needs}, so the budget itself leaves no room. ` +
            "Fix: loosen the budget (maxUnavailable: 1) or add replicas before draining."
        );
    }
    return (
        `${unhealthy} of the ${pods(expectedPods)} it selects ${unhealthy === 1 ? "is" : "are"} unhealthy ` +
        `(currentHealthy ${currentHealthy}${desiredHealthy === undefined ? "" : `, desiredHealthy ${desiredHealthy}`}). ` +
        `Fix: get those pods Ready before draining (kubectl get pods -n ${ref.namespace}, then describe the ones not Ready).`
    );
}

/**
 * A live PDB whose `status.disruptionsAllowed` is 0 over at least one pod: the eviction API
 * refuses every eviction it covers at this moment, so a drain started now blocks on it, whatever
 * the manifest would allow with every pod healthy. This is the runbook's "all should show
 * ALLOWED-DISRUPTIONS=1" check. `selected` are the workloads it selects, to name them.
 */
export function blockedNow<S>(pdb: Pdb<S>, selected: readonly ObjectRef[]): DraftFinding<S> | undefined {
    const status = pdb.status;
    // No pods behind it (expectedPods 0) means nothing to evict, so nothing to block.
    if (status === undefined || status.disruptionsAllowed > 0 || status.expectedPods === 0) {
        return undefined;
    }
    return {
        rule: RULE,
        object: pdb.ref,
        related: [...selected],
        message: `${describe(pdb.ref)} has status.disruptionsAllowed 0, so a drain would block now: ${liveReason(status, pdb.ref)}`,
        source: pdb.source,
    };
}
