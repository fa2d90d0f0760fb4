/**
 * platform-dr: `pulumi up` on an empty stack rebuilds the platform; the restore order is the
 * dependency graph below. This file only reads config and wires components.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config/load";
import { GithubCiCredentials } from "./components/ci/githubCiCredentials";
import { TalosCluster } from "./components/cluster/talosCluster";
import { DnsRecords } from "./components/dns/dnsRecords";
import { ClusterNamespaces } from "./components/kubernetes/namespaces";
import { R2BackupStorage, storageNamespaces } from "./components/storage/r2BackupStorage";

const config = loadConfig();

// 1. The cluster layer: Hetzner servers, Talos, the etcd bootstrap, up to a working kubeconfig.
const cluster = new TalosCluster(config.cluster.name, { cluster: config.cluster, apiHostname: config.dns?.apiHostname });

// 2. Namespaces every later layer writes into before Flux exists.
const namespaces = new ClusterNamespaces("namespaces", {
    names: config.storage ? storageNamespaces(config.storage) : [],
    provider: cluster.provider,
});

// 3. Off-cluster artifacts: the surviving backup bucket (adopted), its credentials, DNS, CI secrets.
const storage = config.storage
    ? new R2BackupStorage("backups", { storage: config.storage, stack: pulumi.getStack(), k8sProvider: cluster.provider, namespaces: namespaces.byName })
    : undefined;
if (!storage) {
    pulumi.log.warn("cloudflareAccountId is not set: the R2 backup bucket is not adopted and no backup credentials reach the cluster; restores cannot run");
}

const dns = config.dns
    ? new DnsRecords("dns", {
          dns: config.dns,
          apiEndpointIp: cluster.apiEndpointIp,
          gateway: { k8sProvider: cluster.provider, ready: [cluster.apiReady] },
      })
    : undefined;
if (!dns) {
    pulumi.log.warn("cloudflareZoneId is not set: no DNS records are managed; the kubeconfig uses the endpoint IP");
}

// CI credentials wait only for the kubeconfig and talosconfig, never for the restores.
const githubToken = config.ci.githubToken;
if (githubToken) {
    new GithubCiCredentials("ci", { ci: { ...config.ci, githubToken }, kubeconfig: cluster.kubeconfig, talosconfig: cluster.talosconfig });
} else {
    pulumi.log.info(`github:token is not set: KUBE_CONFIG and TALOS_CONFIG of ${config.ci.owner}/${config.ci.repository} (environment ${config.ci.environment}) are not refreshed`);
}

export const kubeconfig = pulumi.secret(cluster.kubeconfig);
export const talosconfig = pulumi.secret(cluster.talosconfig);
export const talosSecrets = pulumi.secret(cluster.talosSecrets);
export const apiEndpointIp = cluster.apiEndpointIp;
export const apiUrl = cluster.apiUrl;
export const controlPlaneIps = cluster.controlPlaneIps;
export const workerIps = cluster.workerIps;
export const createdNamespaces = Object.keys(namespaces.byName);
export const backupBucket = storage?.bucketName;
export const s3Endpoint = storage?.s3Endpoint;
export const apiHostname = dns?.apiHostname;
