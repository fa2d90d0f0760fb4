/**
 * platform-dr: `pulumi up` on an empty stack rebuilds the platform; the restore order is the
 * dependency graph below. This file only reads config and wires components.
 *
 * Two modes: a full rebuild (the default), and Scenario 5, a restore into an existing cluster
 * (`clusterMode: existing`): no servers, DNS or CI secrets, only the restores.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { REHEARSAL_ENV, loadConfig, runningUnderMocks } from "./config/load";
import { preflightTools } from "./preflight/tools";
import { GithubCiCredentials } from "./components/ci/githubCiCredentials";
import { ClusterAutoscaler } from "./components/cluster/clusterAutoscaler";
import { TalosCluster } from "./components/cluster/talosCluster";
import { DnsRecords } from "./components/dns/dnsRecords";
import { GitopsBootstrap } from "./components/gitops/gitopsBootstrap";
import { KustomizationResume, kustomizationsToSuspend, kustomizationTimeUntil } from "./components/gitops/kustomizationResume";
import { preFluxInstalls } from "./components/gitops/preFlux";
import { PreFluxComponents } from "./components/gitops/preFluxComponents";
import { ClusterNamespaces } from "./components/kubernetes/namespaces";
import { SecretHandover } from "./components/kubernetes/secretHandover";
import { CnpgRecovery } from "./components/restore/cnpgRecovery";
import { OpenbaoRecovery } from "./components/restore/openbaoRecovery";
import { CNPG_INSTANCE_LABELS, VeleroRestore, restoreExclusions, veleroRepoCredentials } from "./components/restore/veleroRestore";
import { R2BackupStorage, storageNamespaces } from "./components/storage/r2BackupStorage";
import { fluxInstance } from "./components/gitops/values";
import { checkConvergence } from "./gitops/preflight";

const config = loadConfig();
// talosctl (the release of talosVersion), kubectl and curl, before anything is registered.
preflightTools(config, runningUnderMocks());

// 0. The convergence pre-flight (README, "Convergence pre-flight"): the platform's Flux tree, read
// offline, must find every CRD it applies installed before it. Errors stop here, before anything
// is registered, unless gitopsPreflight says warn.
checkConvergence({
    mode: config.gitopsTree.mode,
    skipReason: config.restore.existingClusterKubeconfig ? "a restore into an existing cluster (Scenario 5) bootstraps no Flux" : undefined,
    tree: { configured: config.gitopsTree.path, absolute: config.gitopsTree.absolute, present: config.gitopsTree.present },
    syncPath: config.gitops.source.path,
    sourceKind: config.gitops.source.kind,
    // What the program installs before the FluxInstance (components/gitops/preFlux.ts).
    preInstalled: preFluxInstalls(config.gitops),
    fluxComponents: [...fluxInstance(config.gitops, undefined).spec.components],
    // The rehearsal prints the report in its own section.
    log: process.env[REHEARSAL_ENV] === "1" ? undefined : (lines, errors) => (errors ? pulumi.log.warn : pulumi.log.info)(lines.join("\n")),
});
const existingKubeconfig = config.restore.existingClusterKubeconfig;

// 1. The cluster layer (rebuild) or the running cluster (Scenario 5).
const cluster = existingKubeconfig
    ? undefined
    : new TalosCluster(config.cluster.name, {
          cluster: config.cluster,
          apiHostname: config.dns?.apiHostname,
          teardownDeletesSnapshots: config.autoscaler.teardownDeletesSnapshots,
      });
const provider = cluster
    ? cluster.provider
    : new k8s.Provider("existing-cluster", { kubeconfig: existingKubeconfig, clusterIdentifier: `existing-${config.cluster.name}` });
// The program's own kubectl calls reach the API by the endpoint IP: the DNS name may still resolve
// to the dead cluster during a disaster. The exported kubeconfig and KUBE_CONFIG keep the name.
const clusterKubeconfig = cluster ? cluster.kubeconfigByIp : pulumi.secret(existingKubeconfig!);

// 2. Namespaces the program writes into before Flux exists. A running cluster has them: creating
// one there would fail (it exists), and its stack must never own it.
const namespaces = new ClusterNamespaces("namespaces", {
    names: cluster ? [...(config.storage ? storageNamespaces(config.storage) : []), "flux-system", "velero"] : [],
    provider,
});

// 3. The surviving backup bucket (adopted), its credentials in the cluster. Config requires it
// for a rebuild; only a Scenario 5 restore without databases goes without.
const storage = config.storage
    ? new R2BackupStorage("backups", {
          storage: config.storage,
          stack: pulumi.getStack(),
          k8sProvider: provider,
          namespaces: namespaces.byName,
      })
    : undefined;
const credentials = storage ? Object.values(storage.credentialSecrets) : [];

// 4. Velero's Kopia password must exist before Velero starts, or it makes a new one.
const repoPassword = config.restore.veleroRepoPassword
    ? veleroRepoCredentials("velero-repo-credentials", config.restore.veleroRepoPassword, provider, {
          dependsOn: namespaces.byName.velero ? [namespaces.byName.velero] : [],
      })
    : undefined;
if (cluster && !config.gitops.ghcrDockerConfig && /^oci:\/\/ghcr\.io\//.test(config.gitops.source.url)) {
    pulumi.log.warn(
        `ghcrDockerConfig is not set: Flux pulls ${config.gitops.source.url} anonymously, and the platform's GHCR pulls need a docker-config secret; if the artifact is private the bootstrap Kustomization fails after its timeout. Set it with \`pulumi config set --secret ghcrDockerConfig < docker-config.json\``,
    );
}
if (cluster && !repoPassword) {
    pulumi.log.warn(
        "veleroRepoPassword is NOT set: Velero will create a new Kopia repository password and every restore of volume data will FAIL. Set it with `pulumi config set --secret veleroRepoPassword`",
    );
}

// 5. What ksail installs before Flux (Gateway API CRDs, Cilium, the cloud controller, cert-manager,
// metrics-server, hcloud-csi, Kyverno, the CapacityBuffer CRD, the autoscaler), then Flux and the
// Kustomizations in order (rebuild only).
const preFlux = cluster
    ? new PreFluxComponents("pre-flux", {
          gitops: config.gitops,
          network: { location: config.cluster.location, podCidr: config.cluster.network.podCidr, networkCidr: config.cluster.network.cidr },
          provider,
          kubeconfig: clusterKubeconfig,
          hcloudSecret: cluster.hcloudSecret,
      })
    : undefined;
// Scenario 2: a bump of talosVersion or kubernetesVersion rolls the nodes, once the CNI and the cloud
// controller run (an upgraded node is Ready only then).
if (cluster && preFlux) {
    cluster.rollingUpgrade([preFlux.releases.cilium, preFlux.releases.hcloudCcm]);
}
// The Cluster Autoscaler, installed by the program as ksail does (not through Flux), before Flux:
// in ksail's order beside metrics-server, hcloud-csi and Kyverno, here after them and after the
// CapacityBuffer CRD its buffer controller watches (a pre-Flux component, one owner). The
// platform's CapacityBuffer and the autoscaler's VPA come with the first Kustomizations. Config
// requires a static worker whenever pools are set (their config is the base).
const autoscaler =
    cluster && preFlux && config.autoscaler.pools.length && cluster.workerMachineConfig
        ? new ClusterAutoscaler("cluster-autoscaler", {
              cluster: config.cluster,
              autoscaler: config.autoscaler,
              workerConfig: cluster.workerMachineConfig,
              provider,
              after: [cluster.hcloudSecret, preFlux.releases.hcloudCcm, ...preFlux.ready],
          })
        : undefined;
// The Kustomizations after Velero's are suspended until the restores are done, so nothing
// Flux creates races them.
const restoresFromVelero = config.restore.veleroBackup !== "none";
const suspendedUntilRestore =
    cluster && restoresFromVelero ? kustomizationsToSuspend(config.gitops.kustomizations, config.restore.veleroAfterKustomization) : [];
const gitops = preFlux
    ? new GitopsBootstrap("gitops", {
          gitops: config.gitops,
          provider,
          kubeconfig: clusterKubeconfig,
          namespaces: namespaces.byName,
          beforeFlux: [...credentials, ...(repoPassword ? [repoPassword] : []), ...(autoscaler ? [autoscaler.release] : [])],
          suspendUntilRestore: suspendedUntilRestore.map((k) => k.name),
          beforeOperator: preFlux.ready,
      })
    : undefined;
/** The wait after which Kustomization `name` is Ready, from the first component that waits for it (none when nobody does). */
const readyIn =
    (...waits: (Readonly<Record<string, pulumi.Resource>> | undefined)[]) =>
    (name: string): pulumi.Resource[] =>
        waits.flatMap((w) => (w?.[name] ? [w[name]] : [])).slice(0, 1);

// 6. The restores, each as early as is safe.
const databases = config.restore.cnpgDatabases;
const velero = restoresFromVelero
    ? new VeleroRestore("velero", {
          restore: config.restore,
          provider,
          kubeconfig: clusterKubeconfig,
          // Once Flux runs (it installs Velero), with the credentials this program writes and the hold
          // in place; not after veleroAfterKustomization is Ready: that Kustomization may need what
          // this restore brings back (the platform's Dex needs its Secret). A running Velero has its own.
          veleroReady: gitops ? [gitops.fluxInstance, ...credentials, ...(gitops.suspended ? [gitops.suspended] : [])] : [],
          veleroWaitSeconds: cluster ? kustomizationTimeUntil(config.gitops.kustomizations, config.restore.veleroAfterKustomization) : 600,
          excludedResources: restoreExclusions(databases.length > 0),
          excludedLabels: databases.length ? CNPG_INSTANCE_LABELS : [],
          scope: cluster ? undefined : pulumi.getStack(),
      })
    : undefined;
const veleroDone = velero ? [velero.done] : [];

// The suspended Kustomizations resume once Velero has restored (openbao-unseal, app volumes): the
// vault-config Job in them then restores OpenBao's raft snapshot instead of initializing it.
const resume = suspendedUntilRestore.length
    ? new KustomizationResume("gitops-release", {
          kustomizations: suspendedUntilRestore,
          kubeconfig: clusterKubeconfig,
          after: [...veleroDone, ...(gitops?.suspended ? [gitops.suspended] : [])],
          readyBefore: readyIn(gitops?.kustomizationReady)(config.restore.veleroAfterKustomization),
      })
    : undefined;
const ready = readyIn(gitops?.kustomizationReady, resume?.kustomizationReady);
// OpenBao's vault-config Job is watched from the moment its Kustomization resumes: it is deleted
// ten minutes after it finishes, which can be before the Kustomization is Ready.
const openbaoSuspended = resume && suspendedUntilRestore.some((k) => k.name === config.restore.openbaoKustomization);
new OpenbaoRecovery("openbao", {
    restore: config.restore,
    kubeconfig: clusterKubeconfig,
    after: [...veleroDone, ...(openbaoSuspended ? [resume.resumed] : ready(config.restore.openbaoKustomization))],
});
if (storage) {
    for (const db of databases) {
        // Validation guarantees a cnpg-format credential Secret in the database's namespace.
        const secret = config.storage!.credentialTargets.find((t) => t.namespace === db.namespace && t.format === "cnpg")!;
        new CnpgRecovery(`cnpg-${db.namespace}-${db.name}`, {
            database: db,
            generation: config.restore.cnpgRecoveryGeneration,
            provider,
            bucket: storage.bucketName,
            endpoint: storage.s3Endpoint,
            credentialsSecret: secret.name,
            after: [...ready(config.restore.cnpgAfterKustomization), storage.credentialSecrets[`${secret.namespace}/${secret.name}`]],
        });
    }
}

// The credential Secrets the platform's tree also writes (its ExternalSecrets from OpenBao) are the
// tree's once the last Kustomization is Ready: the hand-over is checked, not assumed.
const handedOver = cluster && config.storage ? config.storage.credentialTargets.filter((t) => t.owner === "gitops") : [];
if (handedOver.length) {
    new SecretHandover("secret-handover", {
        secrets: handedOver,
        kubeconfig: clusterKubeconfig,
        after: ready(config.gitops.kustomizations[config.gitops.kustomizations.length - 1]?.name ?? ""),
        timeoutSeconds: 600,
    });
}

// 7. DNS and CI credentials (rebuild only). They wait for the API, never for the restores.
// Config sets both whenever the cluster is rebuilt.
const dns =
    cluster && config.dns
        ? new DnsRecords("dns", {
              dns: config.dns,
              apiEndpointIp: cluster.apiEndpointIp,
              gateway: {
                  k8sProvider: provider,
                  kubeconfig: clusterKubeconfig,
                  ready: ready(config.gitops.kustomizations[config.gitops.kustomizations.length - 1]?.name ?? ""),
              },
          })
        : undefined;
const ci = config.ci;
if (cluster && ci?.githubToken) {
    new GithubCiCredentials("ci", {
        ci: { ...ci, githubToken: ci.githubToken },
        kubeconfig: cluster.kubeconfigByName,
        talosconfig: cluster.talosconfig,
        apiReady: cluster.apiReady,
    });
} else if (cluster && ci) {
    pulumi.log.warn(
        `github:token is not set: KUBE_CONFIG and TALOS_CONFIG of ${ci.owner}/${ci.repository} (environment ${ci.environment}) are NOT refreshed and CI deploys will fail against the new cluster; set it with \`pulumi config set --secret github:token\` and re-run`,
    );
}

export const mode = cluster ? "rebuild" : "restore-into-existing-cluster";
export const kubeconfig = cluster ? pulumi.secret(cluster.kubeconfigByName) : undefined;
export const talosconfig = cluster ? pulumi.secret(cluster.talosconfig) : undefined;
export const talosSecrets = cluster ? pulumi.secret(cluster.talosSecrets) : undefined;
export const apiEndpointIp = cluster?.apiEndpointIp;
export const apiUrl = cluster?.apiUrl;
export const autoscalerSnapshotId = autoscaler?.snapshotId;
export const controlPlaneIps = cluster?.controlPlaneIps;
export const workerIps = cluster?.workerIps;
export const createdNamespaces = Object.keys(namespaces.byName);
export const backupBucket = storage?.bucketName;
export const s3Endpoint = storage?.s3Endpoint;
export const apiHostname = dns?.apiHostname;
export const restoredBackup = velero?.backupName;
export const restoreOutcome = velero?.outcome;
