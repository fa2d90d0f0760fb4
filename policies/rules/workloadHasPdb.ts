/**
 * Rule `workload-has-pdb`: a Deployment or StatefulSet with at least `replicaThreshold` effective
 * replicas is selected by at least one PodDisruptionBudget in its own namespace. Also reports the
 * malformed values that make coverage undecidable (replicas, HPA minReplicas, PDB selectors).
 */
import { DraftFinding } from "./draft";
import { Hpa, Pdb, Workload } from "./objects";
import { KnownReplicas, describe, hpaRefs, pluralReplicas, replicaBasis } from "./replicas";
import { Labels, formatLabels } from "./selector";
import { ObjectRef } from "./types";

const RULE = "workload-has-pdb";

/** `{app: web, tier: api}`: labels as they would be written in a manifest. */
function asYamlMap(labels: Labels): string {
    return `{${Object.entries(labels)
        .map(([k, v]) => `${k}: ${v}`)
        .join(", ")}}`;
}

function suggestedPdb(workload: Workload<unknown>): string {
    const labels = Object.keys(workload.selectorLabels).length > 0 ? workload.selectorLabels : workload.podLabels;
    if (Object.keys(labels).length === 0) {
        return `give the pod template labels, then add a PodDisruptionBudget in namespace "${workload.ref.namespace}" selecting them with maxUnavailable: 1`;
    }
    return `add a policy/v1 PodDisruptionBudget in namespace "${workload.ref.namespace}" with selector.matchLabels ${asYamlMap(labels)} and maxUnavailable: 1`;
}

/** The coverage check proper, for a workload whose effective count is known. */
export function checkCoverage<S>(
    workload: Workload<S>,
    replicas: KnownReplicas,
    selecting: readonly Pdb<S>[],
    threshold: number,
): DraftFinding<S> | undefined {
    if (replicas.count < threshold || selecting.length > 0) {
        return undefined;
    }
    return {
        rule: RULE,
        object: workload.ref,
        related: hpaRefs(replicas),
        message:
            `${describe(workload.ref)} runs ${pluralReplicas(replicas.count)} (${replicaBasis(replicas)}) but no PodDisruptionBudget in namespace ` +
            `"${workload.ref.namespace}" selects its pod labels ${formatLabels(workload.podLabels)}, so a node drain may evict every replica at once. ` +
            `Fix: ${suggestedPdb(workload)}.`,
        source: workload.source,
    };
}

/** A workload whose `spec.replicas` cannot be read. */
export function malformedReplicas<S>(workload: Workload<S>): DraftFinding<S> | undefined {
    if (workload.replicas.ok) {
        return undefined;
    }
    return {
        rule: RULE,
        object: workload.ref,
        related: [],
        message:
            `${describe(workload.ref)} has spec.replicas ${workload.replicas.problem}, so its replica count cannot be determined and no availability rule can judge it. ` +
            "Fix: set spec.replicas to a non-negative integer, or leave it unset when an HPA scales the workload.",
        source: workload.source,
    };
}

/** An HPA whose `minReplicas` cannot be read. */
export function malformedHpa<S>(hpa: Hpa<S>, targets: readonly ObjectRef[]): DraftFinding<S> | undefined {
    if (hpa.minReplicas.ok) {
        return undefined;
    }
    const what = targets.length > 0 ? `the replica floor of ${targets.map(describe).join(", ")}` : "the replica floor of its target";
    return {
        rule: RULE,
        object: hpa.ref,
        related: [...targets],
        message: `${describe(hpa.ref)} has spec.minReplicas ${hpa.minReplicas.problem}, so ${what} cannot be determined. Fix: set spec.minReplicas to an integer of at least 1.`,
        source: hpa.source,
    };
}

/** A PDB whose selector the API server would reject; it protects nothing. */
export function malformedSelector<S>(pdb: Pdb<S>): DraftFinding<S> | undefined {
    if (pdb.selector.problem === undefined) {
        return undefined;
    }
    return {
        rule: RULE,
        object: pdb.ref,
        related: [],
        message:
            `${describe(pdb.ref)} selects no pods: its ${pdb.selector.problem}, which Kubernetes rejects. ` +
            "Fix: write the selector as matchLabels (label: value) and/or matchExpressions with key, operator In/NotIn (with values) or Exists/DoesNotExist (without).",
        source: pdb.source,
    };
}
