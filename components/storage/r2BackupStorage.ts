import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import { StorageConfig } from "../../config/offCluster";
import { HANDED_OVER_SECRET_OPTIONS } from "../kubernetes/fluxAdoptedRelease";
import { FLUX_RECONCILE_DISABLED } from "../restore/manifests";
import { bucketScopedResources, credentialSecretData, objectPermissionGroupIds, r2Endpoint, s3CredentialsFromToken } from "./r2Credentials";

/** Arguments of the backup storage. */
export interface R2BackupStorageArgs {
    /** Validated storage config. */
    readonly storage: StorageConfig;
    /** Stack name, part of the token's name so tokens of different stacks are told apart. */
    readonly stack: string;
    /** Kubernetes provider of the cluster the credentials are delivered to. */
    readonly k8sProvider: k8s.Provider;
    /** Namespace resources by name (the Secrets wait for theirs). */
    readonly namespaces: Readonly<Record<string, pulumi.Resource>>;
}

/** The namespaces the credential Secrets live in. */
export function storageNamespaces(storage: StorageConfig): string[] {
    return [...new Set(storage.credentialTargets.map((t) => t.namespace))];
}

/**
 * The R2 bucket that holds every backup, a token scoped to it, and the S3 credentials delivered
 * into the cluster. The bucket survived the disaster: it is adopted, never created (unless config
 * says this is a first install), and can never be deleted: protect and retainOnDelete.
 */
export class R2BackupStorage extends pulumi.ComponentResource {
    /** The bucket's name. */
    public readonly bucketName: string;
    /** S3 endpoint URL. */
    public readonly s3Endpoint: string;
    /** The delivered Secrets by `namespace/name`: restores depend on them. */
    public readonly credentialSecrets: Readonly<Record<string, k8s.core.v1.Secret>>;

    constructor(name: string, args: R2BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:storage:R2BackupStorage", name, {}, opts);
        const { storage } = args;
        this.bucketName = storage.bucket;
        this.s3Endpoint = r2Endpoint(storage.accountId, storage.jurisdiction);

        const provider = new cloudflare.Provider(`${name}-cloudflare`, { apiToken: storage.cloudflareApiToken }, { parent: this });
        new cloudflare.R2Bucket(
            `${name}-bucket`,
            // Only the identifying inputs: an import fails when declared inputs differ from the real bucket.
            { accountId: storage.accountId, name: storage.bucket, jurisdiction: storage.jurisdiction },
            {
                parent: this,
                provider,
                import: storage.createBucket ? undefined : `${storage.accountId}/${storage.bucket}/${storage.jurisdiction}`,
                protect: true,
                retainOnDelete: true,
            },
        );

        const groups = cloudflare.getApiTokenPermissionGroupsListOutput(
            { scope: "com.cloudflare.edge.r2.bucket" },
            { parent: this, provider },
        );
        const permissionGroups = groups.results.apply(objectPermissionGroupIds);
        // Rotation (Scenario 7): a new generation is a new resource. The engine creates it and
        // updates every Secret first, and deletes the old token last, so credentials never lapse.
        const generation = `g${storage.tokenGeneration}`;
        const token = new cloudflare.ApiToken(
            `${name}-token-${generation}`,
            {
                name: `platform-dr-${args.stack}-r2-${storage.bucket}-${generation}`,
                policies: [
                    {
                        effect: "allow",
                        permissionGroups,
                        resources: bucketScopedResources(storage.accountId, storage.jurisdiction, storage.bucket),
                    },
                ],
            },
            { parent: this, provider, additionalSecretOutputs: ["value"] },
        );
        const creds = pulumi.secret(pulumi.all([token.id, token.value]).apply(([id, value]) => s3CredentialsFromToken(id, value)));
        this.credentialSecrets = Object.fromEntries(
            storage.credentialTargets.map((target) => {
                const id = `${target.namespace}/${target.name}`;
                const handedOver = target.owner === "gitops";
                const secret = new k8s.core.v1.Secret(
                    `${name}-${target.namespace}-${target.name}`,
                    {
                        metadata: {
                            name: target.name,
                            namespace: target.namespace,
                            labels: { "app.kubernetes.io/managed-by": "platform-dr" },
                            // The program's own: should Git still ship a copy (SOPS-encrypted), Flux would
                            // write its stale token over the Secret on every reconcile, undoing each rotation.
                            // Handed over: the tree's ExternalSecret writes it from then on.
                            annotations: handedOver ? {} : { ...FLUX_RECONCILE_DISABLED },
                        },
                        type: "Opaque",
                        stringData: pulumi.secret(
                            creds.apply((c) => credentialSecretData(target.format, c, this.s3Endpoint, storage.bucket)),
                        ),
                    },
                    {
                        parent: this,
                        provider: args.k8sProvider,
                        dependsOn: args.namespaces[target.namespace] ? [args.namespaces[target.namespace]] : [],
                        // Handed over (see HANDED_OVER_SECRET_OPTIONS): created once, then the ExternalSecret's.
                        ...(handedOver ? HANDED_OVER_SECRET_OPTIONS : {}),
                    },
                );
                return [id, secret];
            }),
        );
        this.registerOutputs({ bucketName: this.bucketName, s3Endpoint: this.s3Endpoint });
    }
}
