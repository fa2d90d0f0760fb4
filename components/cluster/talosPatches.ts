import { ClusterConfig } from "../../config/cluster";
import { NodeSpec } from "./naming";

/** PCI bus path of the public NIC on Hetzner Cloud servers; Talos names it enp1s0, not eth0. */
export const PUBLIC_NIC_BUS_PATH = "0000:01:00.0";
/** KubePrism's local port; Cilium reaches the API through it (k8sServiceHost localhost:7445). */
export const KUBEPRISM_PORT = 7445;

/** Inputs of a node's machine-config patch. */
export interface MachinePatchArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /** The node the patch is for. */
    readonly node: NodeSpec;
    /** Extra names and addresses the API server certificate must cover (endpoint IP, API DNS name). */
    readonly certSans: readonly string[];
    /**
     * Floating-IP endpoint only: Talos runs a VIP on the control planes and moves the Hetzner
     * floating IP to the leader through the Hetzner API, with this token.
     */
    readonly vip?: { readonly ip: string; readonly hcloudToken: string };
}

/**
 * The strategic-merge patch Talos applies over its generated config for one node: the platform's
 * requirements (no CNI, no kube-proxy, KubePrism, external cloud provider, NIC by bus path,
 * hostname equal to the server name). A plain object, so it is tested without talosctl.
 */
export function machineConfigPatch(args: MachinePatchArgs): Record<string, unknown> {
    const { cluster, node, certSans, vip } = args;
    const controlPlane = node.role === "control-plane";
    const publicInterface: Record<string, unknown> = { deviceSelector: { busPath: PUBLIC_NIC_BUS_PATH }, dhcp: true };
    if (controlPlane && vip) {
        publicInterface.vip = { ip: vip.ip, hcloud: { apiToken: vip.hcloudToken } };
    }
    const clusterPatch: Record<string, unknown> = {
        network: { cni: { name: "none" }, podSubnets: [cluster.network.podCidr], serviceSubnets: [cluster.network.serviceCidr] },
        proxy: { disabled: true },
        externalCloudProvider: { enabled: true },
    };
    if (controlPlane) {
        clusterPatch.apiServer = { certSANs: [...certSans] };
        // etcd peers talk over the private network, never over the public NIC.
        clusterPatch.etcd = { advertisedSubnets: [cluster.network.subnetCidr] };
    }
    return {
        machine: {
            certSANs: [...certSans],
            network: { hostname: node.name, interfaces: [publicInterface] },
            kubelet: { nodeIP: { validSubnets: [cluster.network.subnetCidr] } },
            features: { kubePrism: { enabled: true, port: KUBEPRISM_PORT } },
            install: { disk: "/dev/sda", image: cluster.installerImage },
        },
        cluster: clusterPatch,
    };
}
