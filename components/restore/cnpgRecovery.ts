import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DatabaseRecovery } from "../../config/gitops";
import { objectStore, recoveredCluster } from "./manifests";

/** Arguments of one database's recovery. */
export interface CnpgRecoveryArgs {
    readonly database: DatabaseRecovery;
    readonly generation: number;
    readonly provider: k8s.Provider;
    /** Bucket and endpoint of the archive, and the Secret with the R2 credentials. */
    readonly bucket: string;
    readonly endpoint: string;
    readonly credentialsSecret: string;
    /** The CNPG operator and plugin run, and the credentials exist. */
    readonly after: pulumi.Resource[];
}

/**
 * A new CloudNativePG Cluster recovered from its R2 archive, writing WAL under a new server name.
 * Protected and retained on delete: deleting a Cluster deletes its data, so a destroy must stop
 * at it, and even after `pulumi state unprotect` it is only forgotten.
 */
export class CnpgRecovery extends pulumi.ComponentResource {
    /** The recovered cluster (Ready when created). */
    public readonly cluster: k8s.apiextensions.CustomResource;

    constructor(name: string, args: CnpgRecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:restore:CnpgRecovery", name, {}, opts);
        const { database: db, provider } = args;
        const store = new k8s.apiextensions.CustomResource(
            `${name}-object-store`,
            objectStore(db, args.bucket, args.endpoint, args.credentialsSecret) as k8s.apiextensions.CustomResourceArgs,
            { parent: this, provider, dependsOn: args.after, retainOnDelete: true },
        );
        const manifest = recoveredCluster(db, args.generation);
        this.cluster = new k8s.apiextensions.CustomResource(
            `${name}-cluster`,
            {
                ...manifest,
                metadata: {
                    ...manifest.metadata,
                    annotations: { ...manifest.metadata.annotations, "pulumi.com/waitFor": "condition=Ready" },
                },
            } as k8s.apiextensions.CustomResourceArgs,
            {
                parent: this,
                provider,
                dependsOn: [store, ...args.after],
                protect: true,
                retainOnDelete: true,
                customTimeouts: { create: "2h" },
            },
        );
        this.registerOutputs({});
    }
}
