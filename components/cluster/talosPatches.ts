import { ClusterConfig, PUBLIC_NIC_BUS_PATH } from "../../config/cluster";
import { NodeSpec } from "./naming";

export { PUBLIC_NIC_BUS_PATH };
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
 * requirements (no CNI, no kube-proxy, KubePrism, external cloud provider, both NICs by bus path,
 * hostname equal to the server name). A plain object, so it is tested without talosctl.
 *
 * NICs are selected by PCI bus path, never by name: booted from the ISO, Talos runs as the metal
 * platform and names them enp1s0/enp7s0; booted from a snapshot it runs as the hcloud platform,
 * which sets net.ifnames=0 (eth0/eth1) and configures only the public NIC from Hetzner's metadata.
 * The bus path is the same in both. The private NIC is configured explicitly on both paths:
 * kubelet (validSubnets), etcd (advertisedSubnets) and the load balancer's private targets need
 * its address, and Talos's fallback DHCP on unconfigured links stops as soon as any network
 * config document is added, so the cluster must not depend on it.
 */
export function machineConfigPatch(args: MachinePatchArgs): Record<string, unknown> {
    const { cluster, node, certSans, vip } = args;
    const controlPlane = node.role === "control-plane";
    const publicInterface: Record<string, unknown> = { deviceSelector: { busPath: PUBLIC_NIC_BUS_PATH }, dhcp: true };
    if (controlPlane && vip) {
        publicInterface.vip = { ip: vip.ip, hcloud: { apiToken: vip.hcloudToken } };
    }
    // Hetzner's DHCP on the private network hands out the server's fixed private IP (naming.ts).
    const privateInterface = { deviceSelector: { busPath: cluster.network.privateNicBusPath }, dhcp: true };
    const clusterPatch: Record<string, unknown> = {
        network: { cni: { name: "none" }, podSubnets: [cluster.network.podCidr], serviceSubnets: [cluster.network.serviceCidr] },
        proxy: { disabled: true },
        // Nodes stay tainted node.cloudprovider.kubernetes.io/uninitialized until the Hetzner cloud
        // controller initializes them; HetznerCloudController installs it right after the bootstrap
        // (a Helm release Flux adopts, not Talos manifests: see cloudController.ts).
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
            network: {
                ...(hostnameDocument(cluster.talosVersion, node.name) ? {} : { hostname: node.name }),
                interfaces: [publicInterface, privateInterface],
            },
            kubelet: { nodeIP: { validSubnets: [cluster.network.subnetCidr] } },
            features: { kubePrism: { enabled: true, port: KUBEPRISM_PORT } },
            install: { disk: "/dev/sda", image: cluster.installerImage },
        },
        cluster: clusterPatch,
    };
}

/**
 * Talos 1.12 and later name the machine in a separate `HostnameConfig` document, which `talosctl
 * gen config` emits with `auto: stable`: a `machine.network.hostname` beside it is refused ("static
 * hostname is already set"), and the generated name would not be the server's, so the Hetzner
 * cloud controller could not match the node. This document sets the server's name and turns the
 * generated one off. Undefined for older Talos, where `machine.network.hostname` does it.
 */
export function hostnameDocument(talosVersion: string, hostname: string): Record<string, unknown> | undefined {
    const [major, minor] = talosVersion.replace(/^v/, "").split(".").map(Number);
    return major > 1 || (major === 1 && minor >= 12)
        ? { apiVersion: "v1alpha1", kind: "HostnameConfig", hostname, auto: "off" }
        : undefined;
}

/** Every patch document for one node, as the multi-document YAML `talosctl --config-patch` reads. */
export function machineConfigPatchText(args: MachinePatchArgs): string {
    const hostname = hostnameDocument(args.cluster.talosVersion, args.node.name);
    return [machineConfigPatch(args), ...(hostname ? [hostname] : [])].map((d) => JSON.stringify(d)).join("\n---\n");
}
