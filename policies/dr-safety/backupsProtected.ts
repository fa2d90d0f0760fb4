/**
 * Resource policy `backups-protected`: the resources that hold the platform's backups must not be
 * deletable by a `pulumi destroy` or an accidental replacement.
 *
 * What a policy can see: @pulumi/policy 1.21 passes `opts.protect` (with ignoreChanges, aliases,
 * customTimeouts, additionalSecretOutputs, deleteBeforeReplace and parent), but neither its
 * PolicyResourceOptions nor the engine's AnalyzerResourceOptions message carries
 * `retainOnDelete`. So this policy can only accept `protect: true`; a resource kept safe by
 * `retainOnDelete` alone is reported, and the message says why.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { BACKUP_HOLDER_TYPES } from "../support/types";

const WHAT_IT_HOLDS: Record<string, string> = {
    [BACKUP_HOLDER_TYPES.r2Bucket]: "an R2 bucket holding Velero and CloudNativePG backups",
    [BACKUP_HOLDER_TYPES.cnpgCluster]: "a CloudNativePG cluster, whose data and backup configuration the restore depends on",
};

/** R2 buckets and CloudNativePG clusters are protected. */
export const backupsProtected: ResourceValidationPolicy = {
    name: "backups-protected",
    description:
        "Resources that hold backups (cloudflare:index/r2Bucket:R2Bucket, kubernetes:postgresql.cnpg.io/v1:Cluster) have " +
        "protect: true. retainOnDelete would also keep the data, but policies cannot see it (@pulumi/policy 1.21 passes " +
        "protect, not retainOnDelete), so protect is required.",
    enforcementLevel: "mandatory",
    remediationSteps: "Add { protect: true } to the resource options (keep retainOnDelete: true as well if you use it).",
    validateResource: (args, reportViolation) => {
        const holds = WHAT_IT_HOLDS[args.type];
        if (holds === undefined) {
            return args.notApplicable("applies to resources that hold backups only");
        }
        if (!args.opts.protect) {
            reportViolation(
                `${args.name} is ${holds}, but it is not protected, so a destroy or a replacement would delete it. ` +
                    "Fix: set the resource option protect: true. (retainOnDelete: true alone is not enough for this policy: " +
                    "policies cannot see retainOnDelete.)",
            );
        }
    },
};
