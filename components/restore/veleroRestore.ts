import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { RestoreConfig } from "../../config/gitops";
import { scriptCommand } from "../shell";
import { KubeWaiter } from "../waiters/kubeWaiter";
import { restoreName, storageClassConfigMap, veleroRestore } from "./manifests";
import { parseRestoreOutcome, RESTORE_REPORT_JSONPATH, RestoreOutcome, restoreOutcomeNotice } from "./restoreOutcome";
import { loadScript } from "../scripts";

/** Arguments of the Velero restore. */
export interface VeleroRestoreArgs {
    readonly restore: RestoreConfig;
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Input<string>;
    /**
     * What must be done before the program looks for Velero: Flux started (it installs Velero), the
     * credentials and Kopia password Velero reads, the hold. Never the Kustomization that installs
     * Velero being Ready (see VELERO_WORKLOADS).
     */
    readonly veleroReady: pulumi.Resource[];
    /** How long Velero may take to come up (Flux installs it within the Kustomizations before). */
    readonly veleroWaitSeconds: number;
    /** Resources Velero must not restore because the program recovers them itself. */
    readonly excludedResources: readonly string[];
    /** Set for a restore into a running cluster: a name unique to this stack (see `restoreName`). */
    readonly scope?: string;
    /** Objects with any of these labels stay out of the restore (the recovered databases' PVCs and pods). */
    readonly excludedLabels?: readonly string[];
}

/**
 * What Velero needs to restore, and nothing more: its server (Restores, the backup list) and its
 * node agent (file-system and data-mover restores of volumes), in the namespace the platform
 * installs it (the chart's names). The restore starts once both run and BackupStorageLocation
 * `default` is Available, not when the whole Kustomization that installs Velero is Ready: on the
 * platform, `infrastructure-controllers` also holds Dex, whose Secret `dex/dex-github-connector`
 * comes from OpenBao, which comes back only through this restore (the restored copy of that Secret
 * is what lets Dex, and so the Kustomization, become Ready). Velero restores the CRDs of the custom
 * resources it restores first (a backup carries them) and waits until they are served; volumes wait
 * for their StorageClass and CSI driver within Velero's operation timeouts.
 */
export const VELERO_WORKLOADS = [
    { kind: "deployments.apps", name: "velero", field: "{.status.availableReplicas}" },
    { kind: "daemonsets.apps", name: "node-agent", field: "{.status.numberAvailable}" },
] as const;

/**
 * Flux's own objects. Restored from a backup they would come back without the hold's `suspend`
 * and reconcile at once (a tenant Kustomization, a HelmRelease): Git recreates them when the suspended
 * Kustomizations resume, so they are never restored.
 */
const FLUX_KINDS = [
    "kustomizations.kustomize.toolkit.fluxcd.io",
    "helmreleases.helm.toolkit.fluxcd.io",
    "gitrepositories.source.toolkit.fluxcd.io",
    "ocirepositories.source.toolkit.fluxcd.io",
    "helmrepositories.source.toolkit.fluxcd.io",
    "helmcharts.source.toolkit.fluxcd.io",
    "buckets.source.toolkit.fluxcd.io",
] as const;

/**
 * The labels CloudNativePG puts on a cluster's instance volumes and instance pods. When the program
 * recovers the databases from their archives, neither comes back from the Velero backup: an old
 * instance volume under a recovered instance's name would collide with the recovery. The cluster's
 * Secrets (`<name>-app` and the like, labelled `cnpg.io/cluster` only) still come back, so the
 * applications' database credentials stay what they were.
 */
export const CNPG_INSTANCE_LABELS = ["cnpg.io/pvcRole", "cnpg.io/podRole"] as const;

/**
 * What a Velero restore leaves out: Flux's objects; Jobs (a Job caught mid-run by the backup, the
 * platform's vault-config say, would run again at once, past the hold; GitOps and CronJobs create
 * the ones that should run); and CNPG clusters when the program recovers them from their archives.
 */
export function restoreExclusions(recoversDatabases: boolean): string[] {
    return [...FLUX_KINDS, "jobs.batch", ...(recoversDatabases ? ["clusters.postgresql.cnpg.io", "backups.postgresql.cnpg.io"] : [])];
}

/** The Kopia repository password Secret; written before Velero starts (see index.ts). */
export function veleroRepoCredentials(
    name: string,
    password: pulumi.Input<string>,
    provider: k8s.Provider,
    opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(
        name,
        { metadata: { name: "velero-repo-credentials", namespace: "velero" }, stringData: { "repository-password": password } },
        { ...opts, provider },
    );
}

/**
 * Restores the chosen backup once: waits for BackupStorageLocation `default`, resolves `latest`
 * once (kept in state), then restores it with one command that creates the Restore named after
 * the backup and waits for its phase (scripts/velero/restore.sh: once; again only after a failure).
 */
export class VeleroRestore extends pulumi.ComponentResource {
    /** The backup restored. */
    public readonly backupName: pulumi.Output<string>;
    /** Done when the restore finished (Completed, or PartiallyFailed when allowed). */
    public readonly done: pulumi.Resource;
    /** How it ended: phase, error and warning counts. A PartiallyFailed one is also logged as a warning. */
    public readonly outcome: pulumi.Output<RestoreOutcome>;

    constructor(name: string, args: VeleroRestoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:restore:VeleroRestore", name, {}, opts);
        const { restore, provider } = args;
        const mapping = Object.keys(restore.veleroStorageClassMapping).length
            ? [
                  new k8s.core.v1.ConfigMap(
                      `${name}-storage-class-map`,
                      storageClassConfigMap(restore.veleroStorageClassMapping) as k8s.core.v1.ConfigMapArgs,
                      { parent: this, provider, dependsOn: args.veleroReady },
                  ),
              ]
            : [];
        const locationReady = this.waitForStorageLocation(name, args);
        this.backupName =
            restore.veleroBackup === "latest" ? this.latestBackup(name, args, locationReady) : pulumi.output(restore.veleroBackup);
        const run = this.restoreAndWait(name, args, [locationReady, ...mapping]);
        this.done = run;
        // An accepted PartiallyFailed is still data missing: say so on every run until it is looked at,
        // not only in the waiter's console line.
        this.outcome = pulumi.all([this.backupName, run.stdout]).apply(([backup, result]) => {
            const outcome = parseRestoreOutcome(restoreName(backup, args.scope), result);
            const notice = restoreOutcomeNotice(outcome);
            if (notice) {
                pulumi.log.warn(notice, this);
            }
            return outcome;
        });
        this.registerOutputs({ backupName: this.backupName, outcome: this.outcome });
    }

    /** Velero's workloads have an available replica, then BackupStorageLocation `default` is Available. */
    private waitForStorageLocation(name: string, args: VeleroRestoreArgs): pulumi.Resource {
        const workloads = VELERO_WORKLOADS.map(
            (w) =>
                new KubeWaiter(
                    `${name}-${w.name}`,
                    {
                        kubeconfig: args.kubeconfig,
                        kind: w.kind,
                        namespace: "velero",
                        name: w.name,
                        condition: { field: w.field },
                        timeoutSeconds: args.veleroWaitSeconds,
                        after: args.veleroReady,
                    },
                    { parent: this },
                ).done,
        );
        return new KubeWaiter(
            `${name}-bsl`,
            {
                kubeconfig: args.kubeconfig,
                kind: "backupstoragelocations.velero.io",
                namespace: "velero",
                name: "default",
                condition: { phase: { accept: ["Available"], fail: [] } },
                timeoutSeconds: 600,
                after: workloads,
            },
            { parent: this },
        ).done;
    }

    /** `veleroBackup: latest`, resolved once and kept in state (scripts/velero/latest-backup.sh). */
    private latestBackup(name: string, args: VeleroRestoreArgs, locationReady: pulumi.Resource): pulumi.Output<string> {
        return scriptCommand(
            `${name}-latest-backup`,
            {
                script: loadScript("velero/latest-backup.sh"),
                environment: {
                    KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
                    SCHEDULE: args.restore.veleroBackupSchedule,
                    CUTOFF_NAMESPACE: args.scope ? "" : "velero",
                    TIMEOUT_SECONDS: "900",
                },
                runOnce: true,
            },
            { parent: this, dependsOn: [locationReady] },
        ).stdout;
    }

    /** One command restores and waits: see scripts/velero/restore.sh (run once; again only after a failure). */
    private restoreAndWait(name: string, args: VeleroRestoreArgs, after: pulumi.Resource[]): ReturnType<typeof scriptCommand> {
        const { restore } = args;
        const manifest = this.backupName.apply((backup) =>
            veleroRestore({
                backup,
                includedNamespaces: restore.veleroIncludedNamespaces,
                excludedNamespaces: restore.veleroExcludedNamespaces,
                excludedResources: args.excludedResources,
                scope: args.scope,
                excludedLabels: args.excludedLabels,
            }),
        );
        const accept = restore.veleroAllowPartiallyFailed ? ["Completed", "PartiallyFailed"] : ["Completed"];
        return scriptCommand(
            `${name}-restore`,
            {
                script: loadScript("velero/restore.sh"),
                environment: {
                    KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
                    BACKUP: this.backupName,
                    NAME: this.backupName.apply((b) => restoreName(b, args.scope)),
                    MANIFEST: manifest.apply((m) => JSON.stringify(m)),
                    KIND: "restores.velero.io",
                    NAMESPACE: "velero",
                    ACCEPT: accept.join(" "),
                    FAIL: ["Failed", "FailedValidation", "PartiallyFailed"].filter((p) => !accept.includes(p)).join(" "),
                    REPORT: RESTORE_REPORT_JSONPATH,
                    TIMEOUT_SECONDS: "7200",
                },
                runOnce: true,
            },
            { parent: this, dependsOn: after },
        );
    }
}
