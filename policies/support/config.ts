/**
 * Configuration shared by the availability policies (`pulumi config` of the policy pack, or a
 * `--policy-pack-config` file). The server applies no schema defaults in tests and not all
 * callers validate, so defaults live in code as well.
 */
import { PolicyConfigSchema } from "@pulumi/policy";
import { DEFAULT_NAMESPACE, DEFAULT_REPLICA_THRESHOLD, Exemption, RuleEngineOptions, RuleId, parseExemptionPattern } from "../rules";

/** Settings of an availability policy. */
export interface AvailabilityPolicyConfig {
    /** Effective replica count from which a workload needs a PDB and a zero-downtime rollout (default 2). */
    readonly replicaThreshold?: number;
    /** Namespace of resources that set none and whose provider sets none (default `default`). */
    readonly defaultNamespace?: string;
    /** `namespace/name` glob patterns of exempt objects, e.g. `kube-system/*`, `*\/coredns`. */
    readonly exemptions?: readonly string[];
}

/** The JSON schema Pulumi validates the settings against. */
export const AVAILABILITY_CONFIG_SCHEMA: PolicyConfigSchema = {
    properties: {
        replicaThreshold: {
            type: "integer",
            minimum: 1,
            default: DEFAULT_REPLICA_THRESHOLD,
            description: "Effective replica count from which a workload needs a PDB (and, for Deployments, a zero-downtime rollout).",
        },
        defaultNamespace: {
            type: "string",
            minLength: 1,
            default: DEFAULT_NAMESPACE,
            description: "Namespace of resources that set none and whose provider sets none.",
        },
        exemptions: {
            type: "array",
            items: { type: "string", pattern: "^[^/]+/[^/]+$" },
            default: [],
            description: 'Exempt objects as "namespace/name" glob patterns, e.g. "kube-system/*" or "*/coredns".',
        },
    },
};

/**
 * Engine options for one policy: only `rule` runs, at `error` (the pack's enforcement level
 * decides whether that blocks). Patterns the schema let through but the engine cannot read
 * throw, which the policy server reports as a policy failure naming the pattern.
 */
export function engineOptionsFor(rule: RuleId, config: AvailabilityPolicyConfig): RuleEngineOptions {
    const exemptions: Exemption[] = (config.exemptions ?? []).map((pattern) => {
        const exemption = parseExemptionPattern(pattern);
        if (typeof exemption === "string") {
            throw new Error(exemption);
        }
        return exemption;
    });
    return {
        replicaThreshold: config.replicaThreshold ?? DEFAULT_REPLICA_THRESHOLD,
        defaultNamespace: config.defaultNamespace ?? DEFAULT_NAMESPACE,
        exemptions,
        rules: { "workload-has-pdb": "off", "pdb-allows-disruption": "off", "rolling-update-max-unavailable-zero": "off", [rule]: "error" },
    };
}
