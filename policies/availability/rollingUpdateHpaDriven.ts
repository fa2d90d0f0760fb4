/**
 * Stack policy `rolling-update-hpa-driven`: the zero-downtime rollout rule for Deployments that
 * only an HPA brings to the replica threshold. The resource policy cannot see HPAs, so this one
 * reports exactly the findings that appear once HPAs are taken into account.
 */
import { StackValidationPolicy } from "@pulumi/policy";
import { AVAILABILITY_CONFIG_SCHEMA, AvailabilityPolicyConfig, engineOptionsFor } from "../support/config";
import { checkStack } from "../support/kubernetes";
import { availabilityKindOf } from "../support/types";

/** A Deployment whose HPA floor reaches `replicaThreshold` rolls with maxUnavailable 0 and a positive surge. */
export const rollingUpdateHpaDriven: StackValidationPolicy = {
    name: "rolling-update-hpa-driven",
    description:
        "The rolling-update-max-unavailable-zero rule for Deployments whose declared replicas are below replicaThreshold but " +
        "whose HorizontalPodAutoscaler (same namespace, scaleTargetRef kind and name) has a minReplicas at or above it.",
    enforcementLevel: "mandatory",
    configSchema: AVAILABILITY_CONFIG_SCHEMA,
    remediationSteps: "Set spec.strategy to type RollingUpdate with rollingUpdate.maxUnavailable: 0 and maxSurge: 1.",
    validateStack: (args, reportViolation) => {
        const options = engineOptionsFor("rolling-update-max-unavailable-zero", args.getConfig<AvailabilityPolicyConfig>());
        const withHpas = checkStack(args.resources, options);
        const withoutHpas = checkStack(
            // Every HPA version, as checkStack reads them all.
            args.resources.filter((r) => availabilityKindOf(r.type) !== "HorizontalPodAutoscaler"),
            options,
        );
        const seenByResourcePolicy = new Set(withoutHpas.findings.map((f) => f.source));
        for (const finding of withHpas.findings) {
            if (!seenByResourcePolicy.has(finding.source)) {
                reportViolation(finding.message, finding.source);
            }
        }
        if (withHpas.unknown) {
            throw withHpas.unknown;
        }
    },
};
