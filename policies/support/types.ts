/** Pulumi type tokens the policies look at. */

/** Kubernetes workloads, budgets and autoscalers: what the availability rules read. */
export const KUBERNETES_TYPES = {
    deployment: "kubernetes:apps/v1:Deployment",
    statefulSet: "kubernetes:apps/v1:StatefulSet",
    podDisruptionBudget: "kubernetes:policy/v1:PodDisruptionBudget",
    horizontalPodAutoscaler: "kubernetes:autoscaling/v2:HorizontalPodAutoscaler",
} as const;

/** Every type the availability rules read, as a set for lookups. */
export const AVAILABILITY_TYPES: ReadonlySet<string> = new Set(Object.values(KUBERNETES_TYPES));

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
