/**
 * The restores in words, for the rehearsal's reader: which backup, what is suspended until it is
 * restored, which way OpenBao comes back, which databases and to what point. Pure: config in,
 * lines out. Never names a secret value (the seed secrets are counted, not listed).
 */
import { kustomizationsToSuspend } from "../components/gitops/kustomizationResume";
import { VELERO_WORKLOADS } from "../components/restore/veleroRestore";
import { PlatformConfig } from "../config";

/** One line per restore step, in the order they run. */
export function describeRestores(config: PlatformConfig): string[] {
    const { restore, gitops } = config;
    const rebuild = restore.existingClusterKubeconfig === undefined;
    const lines: string[] = [];
    if (restore.veleroBackup === "none") {
        lines.push("Velero: no restore (veleroBackup none).");
    } else {
        const backup =
            restore.veleroBackup === "latest"
                ? `the newest Completed backup${restore.veleroBackupSchedule ? ` of schedule ${restore.veleroBackupSchedule}` : ""}${rebuild ? " made before this rebuild" : ""} (looked up once, then kept)`
                : `backup ${restore.veleroBackup}`;
        const namespaces = restore.veleroIncludedNamespaces.includes("*")
            ? "every namespace"
            : `namespaces ${restore.veleroIncludedNamespaces.join(", ")}`;
        const excluded = restore.veleroExcludedNamespaces.length ? ` except ${restore.veleroExcludedNamespaces.join(", ")}` : "";
        const partial = restore.veleroAllowPartiallyFailed
            ? "PartiallyFailed is accepted and reported"
            : "PartiallyFailed fails the update";
        const when = rebuild
            ? `, as soon as Velero can restore (${VELERO_WORKLOADS.map((w) => `${w.kind.split(".")[0].replace(/s$/, "")} velero/${w.name}`).join(" and ")} available, BackupStorageLocation default Available), not once Kustomization ${restore.veleroAfterKustomization} is Ready`
            : ", into the running cluster (what exists there is skipped)";
        lines.push(`Velero: restores ${namespaces}${excluded} from ${backup}${when}; ${partial}.`);
        if (rebuild) {
            lines.push(
                `Why that is safe: Velero restores the CRDs of the custom resources it restores first and waits until they are served; volumes wait for their StorageClass and CSI driver; Velero skips what Flux already applied (Git's copy wins). Waiting for ${restore.veleroAfterKustomization} instead could deadlock: on the platform it holds Dex, whose Secret dex/dex-github-connector comes from OpenBao, which only this restore brings back.`,
            );
        }
        const suspended = rebuild ? kustomizationsToSuspend(gitops.kustomizations, restore.veleroAfterKustomization) : [];
        if (suspended.length) {
            lines.push(
                `Suspended until the Velero restore is done: Kustomizations ${suspended.map((k) => k.name).join(", ")} (suspended as soon as Flux creates them, then resumed and awaited in order).`,
            );
        }
    }
    switch (restore.openbaoRecovery) {
        case "snapshot":
            lines.push(
                `OpenBao: snapshot. The vault-config Job in Kustomization ${restore.openbaoKustomization} restores the newest raft snapshot from R2 with the restored openbao-unseal key; the program waits for it and fails if it initialized an empty vault instead.`,
            );
            break;
        case "manual":
            lines.push(
                "OpenBao: manual. Once openbao-0 is unsealed, the program writes the user-fed secrets of openbaoSeedSecrets (values never shown).",
            );
            break;
        default:
            lines.push("OpenBao: not restored by the program (openbaoRecovery none).");
    }
    for (const db of restore.cnpgDatabases) {
        const point = db.targetTime ? `to ${db.targetTime}` : "to the end of its WAL archive";
        lines.push(
            `CloudNativePG: ${db.namespace}/${db.name} recovered as ${db.namespace}/${db.recoverAs} from archive cnpg/${db.objectStore}, ${point}, archiving as ${db.recoverAs}-r${restore.cnpgRecoveryGeneration} (${db.instances} instance${db.instances === 1 ? "" : "s"}, ${db.image}).`,
        );
    }
    return lines;
}
