/**
 * platform-dr: `pulumi up` on an empty stack rebuilds the platform; the restore order is the
 * dependency graph below. This file only reads config and wires components.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "./config/load";
import { TalosCluster } from "./components/cluster/talosCluster";
import { ClusterNamespaces } from "./components/kubernetes/namespaces";

const config = loadConfig();

// 1. The cluster layer: Hetzner servers, Talos, the etcd bootstrap, up to a working kubeconfig.
const cluster = new TalosCluster(config.cluster.name, { cluster: config.cluster });

// 2. Namespaces every later layer writes into before Flux exists.
const namespaces = new ClusterNamespaces("namespaces", { names: [], provider: cluster.provider });

export const kubeconfig = pulumi.secret(cluster.kubeconfig);
export const talosconfig = pulumi.secret(cluster.talosconfig);
export const talosSecrets = pulumi.secret(cluster.talosSecrets);
export const apiEndpointIp = cluster.apiEndpointIp;
export const apiUrl = cluster.apiUrl;
export const controlPlaneIps = cluster.controlPlaneIps;
export const workerIps = cluster.workerIps;
export const createdNamespaces = Object.keys(namespaces.byName);
