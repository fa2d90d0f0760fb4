import { ClusterConfig, NODE_IP_LAYOUT } from "../../config/cluster";
import { hostAt, parseIpv4Cidr } from "../../config/cidr";

/** The two kinds of Talos node. */
export type NodeRole = "control-plane" | "worker";

/** Everything that identifies one node; the same on every run, so a lost node comes back identical. */
export interface NodeSpec {
    /** Server name and Talos hostname (they must be equal, or the Hetzner cloud controller cannot match nodes). */
    readonly name: string;
    /** Control plane or worker. */
    readonly role: NodeRole;
    /** 1-based position within its role. */
    readonly index: number;
    /** Hetzner server type. */
    readonly serverType: string;
    /** Fixed private address in the node subnet. */
    readonly privateIp: string;
    /** Hetzner labels: `cluster`, `role`, `index`. */
    readonly labels: Readonly<Record<string, string>>;
}

/** `<cluster>-<suffix>`: the platform's naming scheme (`prod-network`, `prod-firewall`, ...). */
export function clusterResourceName(clusterName: string, suffix: string): string {
    return `${clusterName}-${suffix}`;
}

/** Labels every Hetzner resource of the cluster carries. */
export function clusterLabels(clusterName: string, role?: NodeRole): Record<string, string> {
    return role ? { cluster: clusterName, role } : { cluster: clusterName };
}

/** Hetzner label selector of the control planes (load balancer targets, firewall). */
export function controlPlaneSelector(clusterName: string): string {
    return `cluster=${clusterName},role=control-plane`;
}

/** The nodes of the cluster, control planes first, each with its fixed name, labels and address. */
export function planNodes(cluster: ClusterConfig): NodeSpec[] {
    const subnet = parseIpv4Cidr(cluster.network.subnetCidr);
    if (typeof subnet === "string") {
        throw new Error(`nodeSubnetCidr ${subnet}`); // validated config never reaches here
    }
    const pool = (role: NodeRole, count: number, serverType: string, offset: number): NodeSpec[] =>
        Array.from({ length: count }, (_, i) => ({
            name: clusterResourceName(cluster.name, `${role}-${i + 1}`),
            role,
            index: i + 1,
            serverType,
            privateIp: hostAt(subnet, offset + i + 1),
            labels: { ...clusterLabels(cluster.name, role), index: String(i + 1) },
        }));
    return [
        ...pool("control-plane", cluster.controlPlane.count, cluster.controlPlane.serverType, NODE_IP_LAYOUT.controlPlaneOffset),
        ...pool("worker", cluster.workers.count, cluster.workers.serverType, NODE_IP_LAYOUT.workerOffset),
    ];
}

/** The load balancer's fixed private address (apiEndpoint load-balancer). */
export function loadBalancerPrivateIp(cluster: ClusterConfig): string {
    const subnet = parseIpv4Cidr(cluster.network.subnetCidr);
    if (typeof subnet === "string") {
        throw new Error(`nodeSubnetCidr ${subnet}`);
    }
    return hostAt(subnet, NODE_IP_LAYOUT.loadBalancerOffset);
}
