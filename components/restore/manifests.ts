/**
 * The custom resources the restore layer emits, as plain objects: tested against their CRDs'
 * structure without a cluster. Names derive only from config and the chosen backup, never from
 * time, so a second run produces the same objects.
 */
import { createHash } from "crypto";
import { DatabaseRecovery } from "../../config/gitops";

/** The barman-cloud plugin's name, as CloudNativePG expects it. */
const BARMAN_PLUGIN = "barman-cloud.cloudnative-pg.io";

/**
 * `restore-<backup>`, or `restore-<backup>-<scope>` for a restore into a running cluster (the
 * stack's name: that cluster may already hold `restore-<backup>` from its own rebuild, and a
 * Restore of the same name would be taken as done), cut to a valid name. Deterministic: the same
 * backup and scope give the same restore.
 */
export function restoreName(backup: string, scope?: string): string {
    if (!scope) {
        return `restore-${backup}`.slice(0, 63).replace(/-+$/, "");
    }
    // A stack name may hold upper case, `_` or `.`, and be long; the readable part is cut, so a
    // hash of the whole name keeps two stacks' restores apart (`Prod.A` and `prod_a`, say).
    const readable = scope
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .slice(0, 20)
        .replace(/^-+|-+$/g, "");
    const suffix = `-${readable ? `${readable}-` : ""}${createHash("sha256").update(scope).digest("hex").slice(0, 6)}`;
    return `${`restore-${backup}`.slice(0, 63 - suffix.length).replace(/-+$/, "")}${suffix}`;
}

/** Arguments of a Velero Restore. */
export interface VeleroRestoreSpecArgs {
    readonly backup: string;
    readonly includedNamespaces: readonly string[];
    readonly excludedNamespaces: readonly string[];
    /** Resources the program recovers itself (CNPG clusters come back from their archives instead). */
    readonly excludedResources: readonly string[];
    /** Restore into a running cluster: the stack's name, part of the Restore's name. */
    readonly scope?: string;
    /** Objects carrying any of these labels are not restored (a restore cannot exclude by label otherwise). */
    readonly excludedLabels?: readonly string[];
}

/** A velero.io/v1 Restore. */
export function veleroRestore(args: VeleroRestoreSpecArgs) {
    return {
        apiVersion: "velero.io/v1",
        kind: "Restore",
        metadata: { name: restoreName(args.backup, args.scope), namespace: "velero" },
        spec: {
            backupName: args.backup,
            includedNamespaces: [...args.includedNamespaces],
            excludedNamespaces: [...args.excludedNamespaces],
            excludedResources: [...args.excludedResources],
            restorePVs: true,
            existingResourcePolicy: "none",
            // Requirements are ANDed: only objects carrying none of the labels are restored.
            ...(args.excludedLabels?.length
                ? { labelSelector: { matchExpressions: args.excludedLabels.map((key) => ({ key, operator: "DoesNotExist" })) } }
                : {}),
        },
    };
}

/** Velero's change-storage-class plugin configuration. */
export function storageClassConfigMap(mapping: Readonly<Record<string, string>>) {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
            name: "change-storage-class-config",
            namespace: "velero",
            labels: { "velero.io/plugin-config": "", "velero.io/change-storage-class": "RestoreItemAction" },
        },
        data: { ...mapping },
    };
}

/** The archive name a recovered cluster writes to: new, so it never collides with the old one. */
export function recoveredServerName(db: DatabaseRecovery, generation: number): string {
    return `${db.recoverAs}-r${generation}`;
}

/**
 * The program's own ObjectStore for a recovery. Not the platform's (`db.objectStore`, which Flux
 * declares): two owners of one object would fight, and Scenario 5's running cluster already has it.
 */
export function recoveryStoreName(db: DatabaseRecovery): string {
    return `${db.recoverAs}-recovery`;
}

/**
 * Flux leaves an in-cluster object with this annotation alone (no apply, no prune). A rebuild's
 * recovered Cluster has the name Flux declares; without it, the `apps` Kustomization would apply
 * its own spec (initdb, the old server name) over a recovery in progress. The R2 credential
 * Secrets carry it too: they are this program's alone.
 */
export const FLUX_RECONCILE_DISABLED = { "kustomize.toolkit.fluxcd.io/reconcile": "disabled" } as const;

/** A postgresql.cnpg.io/v1 Cluster bootstrapped from its object store. */
export function recoveredCluster(db: DatabaseRecovery, generation: number) {
    const recovery: { source: string; recoveryTarget?: { targetTime: string } } = { source: "origin" };
    if (db.targetTime) {
        recovery.recoveryTarget = { targetTime: db.targetTime };
    }
    return {
        apiVersion: "postgresql.cnpg.io/v1",
        kind: "Cluster",
        metadata: {
            name: db.recoverAs,
            namespace: db.namespace,
            labels: { "app.kubernetes.io/managed-by": "platform-dr" },
            annotations: { ...FLUX_RECONCILE_DISABLED },
        },
        spec: {
            instances: db.instances,
            imageName: db.image,
            storage: { size: db.size, storageClass: db.storageClass },
            bootstrap: { recovery },
            externalClusters: [
                {
                    name: "origin",
                    plugin: { name: BARMAN_PLUGIN, parameters: { barmanObjectName: recoveryStoreName(db), serverName: db.name } },
                },
            ],
            plugins: [
                {
                    name: BARMAN_PLUGIN,
                    isWALArchiver: true,
                    parameters: { barmanObjectName: recoveryStoreName(db), serverName: recoveredServerName(db, generation) },
                },
            ],
        },
    };
}

/**
 * A barmancloud.cnpg.io/v1 ObjectStore on R2 over the same archive as the platform's store
 * `db.objectStore` (the platform archives store X under `s3://<bucket>/cnpg/X`), owned by the program.
 */
export function objectStore(db: DatabaseRecovery, bucket: string, endpoint: string, credentialsSecret: string) {
    return {
        apiVersion: "barmancloud.cnpg.io/v1",
        kind: "ObjectStore",
        metadata: { name: recoveryStoreName(db), namespace: db.namespace, labels: { "app.kubernetes.io/managed-by": "platform-dr" } },
        spec: {
            configuration: {
                destinationPath: `s3://${bucket}/cnpg/${db.objectStore}`,
                endpointURL: endpoint,
                s3Credentials: {
                    accessKeyId: { name: credentialsSecret, key: "ACCESS_KEY_ID" },
                    secretAccessKey: { name: credentialsSecret, key: "SECRET_ACCESS_KEY" },
                    region: { name: credentialsSecret, key: "REGION" },
                },
                wal: { compression: "gzip" },
            },
            retentionPolicy: "30d",
        },
    };
}
