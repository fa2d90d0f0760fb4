/**
 * Resource policy `rolling-update-max-unavailable-zero`: one Deployment is enough to judge its
 * rollout, so it is checked as it is registered, before anything changes. Only an HPA can raise
 * the count above what the Deployment declares; that case is left to `rolling-update-hpa-driven`.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { evaluate } from "../rules";
import { AVAILABILITY_CONFIG_SCHEMA, AvailabilityPolicyConfig, engineOptionsFor } from "../support/config";
import { toKubeObject } from "../support/kubernetes";
import { KUBERNETES_TYPES } from "../support/types";

/** A Deployment with at least `replicaThreshold` declared replicas rolls with maxUnavailable 0 and a positive surge. */
export const rollingUpdateMaxUnavailableZero: ResourceValidationPolicy = {
    name: "rolling-update-max-unavailable-zero",
    description:
        "A Deployment with at least replicaThreshold (default 2) replicas uses strategy RollingUpdate with maxUnavailable set " +
        'explicitly to 0 or "0%" and a maxSurge that resolves above 0. An unset strategy (25%/25%) fails, as does Recreate and ' +
        "a percentage that merely rounds to 0 today. StatefulSets are never asked (Kubernetes forbids maxUnavailable 0 for them). " +
        "Judged on the Deployment's own replicas; HPA-driven counts are judged by rolling-update-hpa-driven.",
    enforcementLevel: "mandatory",
    configSchema: AVAILABILITY_CONFIG_SCHEMA,
    remediationSteps: "Set spec.strategy to type RollingUpdate with rollingUpdate.maxUnavailable: 0 and maxSurge: 1.",
    validateResource: (args, reportViolation) => {
        if (args.type !== KUBERNETES_TYPES.deployment) {
            return args.notApplicable(`applies to ${KUBERNETES_TYPES.deployment} only`);
        }
        const options = engineOptionsFor("rolling-update-max-unavailable-zero", args.getConfig<AvailabilityPolicyConfig>());
        const deployment = toKubeObject(args, options.defaultNamespace as string);
        for (const finding of evaluate([{ object: deployment, source: args.urn }], options).findings) {
            reportViolation(finding.message);
        }
    },
};
