/** Pulumi type tokens the policies look at. */
import { CheckedKind } from "../rules";
import { checkedKindOf } from "../rules/objects";

/**
 * The current API version of each Kubernetes kind the availability rules read. The stack
 * policies read every API version the rule engine accepts (see `availabilityKindOf`); these are
 * for the resource policy, which judges `apps/v1` Deployments, and for tests.
 */
export const KUBERNETES_TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    horizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
} as const;

/** Resources that hold backups. */
export const BACKUP_HOLDER_TYPES = {
    r2Bucket: "cloudflare:index/r2Bucket:R2Bucket",
    cnpgCluster: "kubernetes:postgresql.cnpg.io/v1:Cluster",
} as const;

/** Resources whose outputs carry credentials. */
export const SECRET_BEARING_TYPES = {
    command: "command:local:Command",
    apiToken: "cloudflare:index/apiToken:ApiToken",
} as const;

/**
 * The header line a script under scripts/ carries when its stdout is a credential
 * (`# Stdout: secret (what it prints)`). It travels in the command's `create` input, which the
 * policy sees, so renaming the command cannot drop it from `secrets-stay-secret`.
 */
export const SECRET_STDOUT_MARKER = /^# Stdout: secret\b(.*)$/m;

/** The Hetzner firewall in front of the Kubernetes and Talos APIs. */
export const FIREWALL_TYPE = "hcloud:index/firewall:Firewall";

/**
 * `apiVersion` and `kind` of a Kubernetes type token: `kubernetes:apps/v1:Deployment` gives
 * `apps/v1` and `Deployment`; the core group (`core/v1`) is written `v1` in manifests.
 */
export function kubernetesTypeOf(type: string): { apiVersion: string; kind: string } | undefined {
    const match = /^kubernetes:([^:]+):([^:]+)$/.exec(type);
    if (!match) {
        return undefined;
    }
    const [, groupVersion, kind] = match;
    return { apiVersion: groupVersion.startsWith("core/") ? groupVersion.slice("core/".length) : groupVersion, kind };
}

/**
 * The kind the availability rules read for a Pulumi type, or undefined when they ignore it. Chosen
 * by kind and API group exactly as the rule engine chooses manifests (`checkedKindOf`), so every
 * version the engine accepts counts: an `autoscaling/v1` HPA sets a replica floor just as an
 * `autoscaling/v2` one does, and a CRD that reuses a kind name in another group is ignored.
 */
export function availabilityKindOf(type: string): CheckedKind | undefined {
    const kubernetesType = kubernetesTypeOf(type);
    return kubernetesType && checkedKindOf(kubernetesType);
}
