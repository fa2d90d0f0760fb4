/**
 * Rule `rolling-update-max-unavailable-zero`: a Deployment with at least `replicaThreshold`
 * effective replicas rolls with `RollingUpdate`, `maxUnavailable` explicitly `0` or `"0%"`, and a
 * `maxSurge` that resolves above 0 (surge percentages round up, unavailable ones round down).
 * A percentage that merely rounds to 0 at today's count does not pass: an HPA or a scale-up
 * changes the count, not the manifest. StatefulSets are exempt: Kubernetes forbids
 * maxUnavailable 0 for them.
 */
import { DraftFinding } from "./draft";
import { IntOrPercent, formatIntOrPercent, isExplicitZero, scale } from "./intOrPercent";
import { RolloutStrategy, Workload } from "./objects";
import { KnownReplicas, describe, hpaRefs, pluralReplicas, replicaBasis } from "./replicas";

const RULE = "rolling-update-max-unavailable-zero";

/** Kubernetes' default for both maxUnavailable and maxSurge. */
const DEFAULT_PERCENT: IntOrPercent = { type: "percent", percent: 25 };

const FIX =
    'Fix: set spec.strategy.type: RollingUpdate with rollingUpdate.maxUnavailable: 0 and maxSurge: 1 (or a percentage such as "25%").';

/** Explains a maxUnavailable that is not an explicit zero. */
function unavailableIssue(strategy: RolloutStrategy, value: IntOrPercent | undefined, replicas: number): string {
    const effective = value ?? DEFAULT_PERCENT;
    const down = scale(effective, replicas, "down");
    const written =
        value !== undefined
            ? `maxUnavailable: ${formatIntOrPercent(value)}`
            : strategy.declared
              ? "rollingUpdate.maxUnavailable is unset and defaults to 25%, which"
              : "spec.strategy is unset, so Kubernetes rolls with maxUnavailable 25%, which";
    if (down >= 1) {
        return `${written} lets ${down} of ${pluralReplicas(replicas)} be down during every rollout`;
    }
    // Only percentages get here: a positive integer is never 0.
    const percent = (effective as Extract<IntOrPercent, { type: "percent" }>).percent;
    const from = Math.ceil(100 / percent);
    return `${written} rounds down to 0 at today's ${pluralReplicas(replicas)}, yet lets pods go down from ${from} replicas on, which a scale-up or an HPA reaches without any change to the manifest`;
}

/** Explains a maxSurge that resolves to 0, or undefined when the surge is fine. */
function surgeIssue(maxUnavailable: IntOrPercent | undefined, maxSurge: IntOrPercent | undefined, replicas: number): string | undefined {
    const surge = scale(maxSurge ?? DEFAULT_PERCENT, replicas, "up");
    if (surge >= 1) {
        return undefined;
    }
    const both = isExplicitZero(maxUnavailable) ? " (Kubernetes rejects maxUnavailable and maxSurge both 0)" : "";
    return `maxSurge: ${formatIntOrPercent(maxSurge ?? DEFAULT_PERCENT)} leaves no room to start a new pod before an old one stops${both}`;
}

/** The check proper, for a Deployment whose count and strategy are known. */
export function checkRollout<S>(workload: Workload<S>, replicas: KnownReplicas, threshold: number): DraftFinding<S> | undefined {
    const strategy = workload.strategy;
    if (workload.kind !== "Deployment" || typeof strategy !== "object" || replicas.count < threshold) {
        return undefined;
    }
    const head = `${describe(workload.ref)} runs ${pluralReplicas(replicas.count)} (${replicaBasis(replicas)})`;
    const finding = (message: string): DraftFinding<S> => ({
        rule: RULE,
        object: workload.ref,
        related: hpaRefs(replicas),
        message,
        source: workload.source,
    });
    if (strategy.type === "Recreate") {
        return finding(
            `${head} with strategy Recreate, which stops every pod before starting new ones, so every rollout is an outage. ${FIX} ` +
                "If two pods must never run at once (a ReadWriteOnce volume, say), exempt the Deployment instead.",
        );
    }
    if (!strategy.maxUnavailable.ok || !strategy.maxSurge.ok) {
        return undefined;
    }
    const maxUnavailable = strategy.maxUnavailable.value;
    const issues = [
        isExplicitZero(maxUnavailable) ? undefined : unavailableIssue(strategy, maxUnavailable, replicas.count),
        surgeIssue(maxUnavailable, strategy.maxSurge.value, replicas.count),
    ].filter((issue): issue is string => issue !== undefined);
    return issues.length === 0 ? undefined : finding(`${head} but ${issues.join("; and ")}. ${FIX}`);
}

/** A Deployment whose strategy block the API server would reject; reported at any replica count. */
export function malformedStrategy<S>(workload: Workload<S>): DraftFinding<S> | undefined {
    const strategy = workload.strategy;
    const problems =
        typeof strategy === "string"
            ? [strategy]
            : strategy === undefined
              ? []
              : [
                    strategy.maxUnavailable.ok ? undefined : `rollingUpdate.maxUnavailable ${strategy.maxUnavailable.problem}`,
                    strategy.maxSurge.ok ? undefined : `rollingUpdate.maxSurge ${strategy.maxSurge.problem}`,
                ].filter((p): p is string => p !== undefined);
    if (problems.length === 0) {
        return undefined;
    }
    return {
        rule: RULE,
        object: workload.ref,
        related: [],
        message: `${describe(workload.ref)} cannot be evaluated: ${problems.join("; ")}, and Kubernetes rejects it. ${FIX}`,
        source: workload.source,
    };
}
