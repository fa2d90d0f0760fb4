/**
 * Effective replica count: what the rules judge a workload by. Without an HPA it is
 * `spec.replicas` (1 when unset). An HPA in the same namespace whose `scaleTargetRef` names the
 * workload's kind and name makes its `minReplicas` (default 1) the floor; with `replicas` unset
 * the workload is HPA-driven and the floor is the count.
 */
import { Hpa, Workload } from "./objects";
import { ObjectRef } from "./types";

/** The count and, for messages, how it was arrived at. */
export type EffectiveReplicas =
    | {
          readonly ok: true;
          /** Replicas the rules assume. */
          readonly count: number;
          /** Why, e.g. `replicas: 3` or `HPA-driven: HorizontalPodAutoscaler shop/web has minReplicas 2`. */
          readonly basis: string;
          /** HPAs that took part. */
          readonly hpas: readonly ObjectRef[];
      }
    | {
          readonly ok: false;
      };

/** `Kind namespace/name`, the way messages name objects. */
export function describe(ref: ObjectRef): string {
    return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

/** `1 replica`, `3 replicas`. */
export function pluralReplicas(count: number): string {
    return `${count} ${count === 1 ? "replica" : "replicas"}`;
}

/**
 * Computes the effective count. Not ok when `replicas` or a matching HPA's `minReplicas` is
 * malformed; those are reported on the object that carries them.
 */
export function effectiveReplicas<S>(workload: Workload<S>, hpas: readonly Hpa<S>[]): EffectiveReplicas {
    if (!workload.replicas.ok || hpas.some((h) => !h.minReplicas.ok)) {
        return { ok: false };
    }
    const declared = workload.replicas.value;
    if (hpas.length === 0) {
        return declared === undefined ? { ok: true, count: 1, basis: "replicas unset, so 1", hpas: [] } : { ok: true, count: declared, basis: `replicas: ${declared}`, hpas: [] };
    }
    // Several HPAs on one target is itself a misconfiguration; the highest floor is what the controllers converge on.
    const floors = hpas.map((h) => ({ ref: h.ref, min: h.minReplicas.ok ? (h.minReplicas.value ?? 1) : 1 }));
    const highest = floors.reduce((a, b) => (b.min > a.min ? b : a));
    const hpaRefs = hpas.map((h) => h.ref);
    const floorText = `${describe(highest.ref)} has minReplicas ${highest.min}`;
    if (declared === undefined) {
        return { ok: true, count: highest.min, basis: `HPA-driven: ${floorText}`, hpas: hpaRefs };
    }
    return declared >= highest.min
        ? { ok: true, count: declared, basis: `replicas: ${declared}; ${floorText}`, hpas: hpaRefs }
        : { ok: true, count: highest.min, basis: `replicas: ${declared}, raised to the floor set by ${floorText}`, hpas: hpaRefs };
}
