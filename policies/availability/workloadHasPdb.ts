/** Stack policy `workload-has-pdb`: coverage needs every workload and every PDB, so it sees the whole stack. */
import { StackValidationPolicy } from "@pulumi/policy";
import { AVAILABILITY_CONFIG_SCHEMA, AvailabilityPolicyConfig, engineOptionsFor } from "../support/config";
import { checkStack } from "../support/kubernetes";

/** Every Deployment and StatefulSet with at least `replicaThreshold` effective replicas is selected by a PDB in its namespace. */
export const workloadHasPdb: StackValidationPolicy = {
    name: "workload-has-pdb",
    description:
        "Every Deployment and StatefulSet with at least replicaThreshold (default 2) effective replicas is selected by a " +
        "PodDisruptionBudget in its own namespace (label selector semantics: matchLabels and matchExpressions ANDed, " +
        "empty selector selects all, missing selector none). An HPA targeting the workload makes its minReplicas the floor. " +
        "Namespaces are per Kubernetes provider. During preview, namespaces with unknown relevant values are not judged.",
    enforcementLevel: "mandatory",
    configSchema: AVAILABILITY_CONFIG_SCHEMA,
    remediationSteps: "Add a policy/v1 PodDisruptionBudget selecting the workload's pod labels, with maxUnavailable: 1.",
    validateStack: (args, reportViolation) => {
        const { findings, unknown } = checkStack(
            args.resources,
            engineOptionsFor("workload-has-pdb", args.getConfig<AvailabilityPolicyConfig>()),
        );
        for (const finding of findings) {
            reportViolation(finding.message, finding.source);
        }
        // Rethrown after reporting what could be judged: the server turns it into a "could not check during preview" advisory.
        if (unknown) {
            throw unknown;
        }
    },
};
