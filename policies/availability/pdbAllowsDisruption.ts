/** Stack policy `pdb-allows-disruption`: a PDB's verdict depends on the workloads and HPAs it meets, so it sees the whole stack. */
import { StackValidationPolicy } from "@pulumi/policy";
import { AVAILABILITY_CONFIG_SCHEMA, AvailabilityPolicyConfig, engineOptionsFor } from "../support/config";
import { checkStack } from "../support/kubernetes";

/** Every PDB selecting a workload allows at least one voluntary eviction at the workload's effective replica count. */
export const pdbAllowsDisruption: StackValidationPolicy = {
    name: "pdb-allows-disruption",
    description:
        "Every PodDisruptionBudget that selects a Deployment or StatefulSet allows at least one voluntary disruption at the " +
        "workload's effective replica count, computed like the disruption controller (minAvailable and maxUnavailable " +
        'percentages round up): not maxUnavailable 0 or "0%", not minAvailable >= replicas or "100%". With several PDBs ' +
        "over one workload each must allow one. Malformed budgets are reported too.",
    enforcementLevel: "mandatory",
    configSchema: AVAILABILITY_CONFIG_SCHEMA,
    remediationSteps: "Use maxUnavailable: 1 instead of minAvailable, or run more replicas than minAvailable.",
    validateStack: (args, reportViolation) => {
        const { findings, unknown } = checkStack(
            args.resources,
            engineOptionsFor("pdb-allows-disruption", args.getConfig<AvailabilityPolicyConfig>()),
        );
        for (const finding of findings) {
            reportViolation(finding.message, finding.source);
        }
        if (unknown) {
            throw unknown;
        }
    },
};
