/**
 * Effective replica count: what the rules judge a workload by. Without an HPA it is
 * `spec.replicas` (1 when unset). An HPA in the same namespace whose `scaleTargetRef` names the
 * workload's kind and name makes its `minReplicas` (default 1) the floor; with `replicas` unset
 * the workload is HPA-driven and the floor is the count. Coverage and the rollout rule use the
 * count; a disruption budget is judged at the lowest count the workload can run at (the floor),
 * because the HPA may scale down to it and a drain at night meets it there.
 */
import { Hpa, Workload } from "./objects";
import { ObjectRef } from "./types";

/** A workload's effective count and what it was derived from. */
export interface KnownReplicas {
    /** Replicas the rules assume: `spec.replicas`, raised to the HPA floor. */
    readonly count: number;
    /** The fewest replicas it can run at: the HPA floor when an HPA scales it, else `count`. */
    readonly lowest: number;
    /** `spec.replicas` as declared (undefined when unset). */
    readonly declared: number | undefined;
    /** HPAs scaling the workload. */
    readonly hpas: readonly Hpa<unknown>[];
    /** The HPA with the highest floor and that floor, when there is an HPA. */
    readonly floor: { readonly hpa: ObjectRef; readonly minReplicas: number } | undefined;
}

/** `Kind namespace/name`, the way messages name objects. */
export function describe(ref: ObjectRef): string {
    return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** `1 replica`, `3 replicas`. */
export function pluralReplicas(count: number): string {
    return `${count} ${count === 1 ? "replica" : "replicas"}`;
}

/**
 * Computes the effective count; undefined when `replicas` or a matching HPA's `minReplicas` is
 * malformed (those are reported on the object that carries them).
 */
export function effectiveReplicas<S>(workload: Workload<S>, hpas: readonly Hpa<S>[]): KnownReplicas | undefined {
    if (!workload.replicas.ok) {
        return undefined;
    }
    const declared = workload.replicas.value;
    if (hpas.length === 0) {
        const count = declared ?? 1;
        return { count, lowest: count, declared, hpas, floor: undefined };
    }
    let floor: KnownReplicas["floor"];
    for (const hpa of hpas) {
        if (!hpa.minReplicas.ok) {
            return undefined;
        }
        const minReplicas = hpa.minReplicas.value ?? 1;
        // Several HPAs on one target is itself a misconfiguration; the highest floor is what the controllers converge on.
        if (floor === undefined || minReplicas > floor.minReplicas) {
            floor = { hpa: hpa.ref, minReplicas };
        }
    }
    const minimum = (floor as NonNullable<KnownReplicas["floor"]>).minReplicas;
    return { count: declared === undefined ? minimum : Math.max(declared, minimum), lowest: minimum, declared, hpas, floor };
}

/** How the count came about, for messages: `replicas: 3`, `HPA-driven: HorizontalPodAutoscaler shop/web has minReplicas 2`, ... */
export function replicaBasis(replicas: KnownReplicas): string {
    const { declared, floor } = replicas;
    if (floor === undefined) {
        return declared === undefined ? "replicas unset, so 1" : `replicas: ${declared}`;
    }
    const floorText = `${describe(floor.hpa)} has minReplicas ${floor.minReplicas}`;
    if (declared === undefined) {
        return `HPA-driven: ${floorText}`;
    }
    return declared >= floor.minReplicas
        ? `replicas: ${declared}; ${floorText}`
        : `replicas: ${declared}, raised to the floor set by ${floorText}`;
}

/** How the lowest count came about: the HPA floor, noting a higher `replicas` the HPA may scale down from. */
export function lowestBasis(replicas: KnownReplicas): string {
    const { declared, floor } = replicas;
    if (floor !== undefined && declared !== undefined && declared > floor.minReplicas) {
        return `the floor ${describe(floor.hpa)} may scale it down to, from replicas: ${declared}`;
    }
    return replicaBasis(replicas);
}

/** References to the HPAs scaling the workload, for a finding's `related`. */
export function hpaRefs(replicas: KnownReplicas): ObjectRef[] {
    return replicas.hpas.map((h) => h.ref);
}
