import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { ClusterConfig } from "../../config/cluster";
import { isWorldCidr } from "../../config/cidr";
import { KUBE_API_PORT } from "./clientConfigs";
import { NodeSpec, clusterLabels, clusterResourceName, controlPlaneSelector, loadBalancerPrivateIp } from "./naming";

/** Talos apid port: talosctl on the operator's machine must reach it. */
const TALOS_API_PORT = 50000;

/** Arguments of the Hetzner half of the cluster. */
export interface HetznerInfrastructureArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /** The nodes, for their public IPs. */
    readonly nodes: readonly NodeSpec[];
}

/** Source CIDRs of the inbound rules: the configured ones, or the world only when explicitly allowed. */
export function firewallSourceIps(cluster: ClusterConfig): string[] {
    const sources = cluster.firewall.sources.filter((s) => !isWorldCidr(s));
    return cluster.firewall.openToWorld ? ["0.0.0.0/0", "::/0"] : sources;
}

/** Inbound rules: Kubernetes API and Talos apid from the allowed sources, ICMP for diagnosis. */
export function firewallRules(cluster: ClusterConfig): hcloud.types.input.FirewallRule[] {
    const sourceIps = firewallSourceIps(cluster);
    return [
        { direction: "in", protocol: "tcp", port: String(KUBE_API_PORT), sourceIps, description: "Kubernetes API" },
        { direction: "in", protocol: "tcp", port: String(TALOS_API_PORT), sourceIps, description: "Talos apid" },
        { direction: "in", protocol: "icmp", sourceIps, description: "ICMP" },
    ];
}

/**
 * Network, subnet, firewall, spread placement group, the stable API endpoint and one primary IP
 * per node. Primary IPs outlive their servers (`autoDelete: false`), so a replaced node keeps its
 * public address and every talosconfig (including the TALOS_CONFIG CI secret) stays valid.
 */
export class HetznerInfrastructure extends pulumi.ComponentResource {
    /** The private network's ID. */
    public readonly networkId: pulumi.Output<number>;
    /** The node subnet; servers depend on it. */
    public readonly subnet: hcloud.NetworkSubnet;
    /** The firewall's ID. */
    public readonly firewallId: pulumi.Output<number>;
    /** The spread placement group's ID. */
    public readonly placementGroupId: pulumi.Output<number>;
    /** Public IPv4 of the stable Kubernetes API endpoint. */
    public readonly endpointIp: pulumi.Output<string>;
    /** Primary IPv4 per node name. */
    public readonly primaryIps: Readonly<Record<string, hcloud.PrimaryIp>>;

    constructor(name: string, args: HetznerInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:HetznerInfrastructure", name, {}, opts);
        const { cluster } = args;
        const labels = clusterLabels(cluster.name);

        const network = new hcloud.Network(
            `${name}-network`,
            { name: clusterResourceName(cluster.name, "network"), ipRange: cluster.network.cidr, labels },
            { parent: this },
        );
        this.networkId = network.id.apply(Number);
        this.subnet = new hcloud.NetworkSubnet(
            `${name}-subnet`,
            { networkId: this.networkId, type: "cloud", networkZone: cluster.networkZone, ipRange: cluster.network.subnetCidr },
            { parent: this },
        );

        const firewall = new hcloud.Firewall(
            `${name}-firewall`,
            {
                name: clusterResourceName(cluster.name, "firewall"),
                // The DR-safety policy reads this label: world-open only by explicit config.
                labels: cluster.firewall.openToWorld ? { ...labels, "world-open": "explicit" } : labels,
                rules: firewallRules(cluster),
            },
            { parent: this },
        );
        this.firewallId = firewall.id.apply(Number);

        const placement = new hcloud.PlacementGroup(
            `${name}-placement`,
            { name: clusterResourceName(cluster.name, "placement"), type: "spread", labels },
            { parent: this },
        );
        this.placementGroupId = placement.id.apply(Number);

        this.primaryIps = Object.fromEntries(
            args.nodes.map((node) => [
                node.name,
                new hcloud.PrimaryIp(
                    `${name}-${node.role}-${node.index}-ipv4`,
                    {
                        name: `${node.name}-ipv4`,
                        type: "ipv4",
                        assigneeType: "server",
                        location: cluster.location,
                        autoDelete: false,
                        labels: { ...node.labels },
                    },
                    // Replaced only with a new location: names are unique per project, so the old
                    // address must go first (after its server, which depends on it).
                    { parent: this, deleteBeforeReplace: true },
                ),
            ]),
        );

        this.endpointIp = cluster.apiEndpoint === "load-balancer" ? this.loadBalancer(name, cluster) : this.floatingIp(name, cluster);
        this.registerOutputs({
            networkId: this.networkId,
            firewallId: this.firewallId,
            placementGroupId: this.placementGroupId,
            endpointIp: this.endpointIp,
        });
    }

    /** Floating IP moved between control planes by the Talos VIP; never assigned by Pulumi. */
    private floatingIp(name: string, cluster: ClusterConfig): pulumi.Output<string> {
        const ip = new hcloud.FloatingIp(
            `${name}-floating-ip`,
            {
                name: clusterResourceName(cluster.name, "floating-ip"),
                type: "ipv4",
                homeLocation: cluster.location,
                labels: clusterLabels(cluster.name),
            },
            // Talos assigns it to the current VIP leader; Pulumi must not call that drift. A new home
            // location replaces it, and Hetzner refuses a second floating IP of the same name.
            { parent: this, ignoreChanges: ["serverId"], deleteBeforeReplace: true },
        );
        return ip.ipAddress;
    }

    /** lb11 forwarding 6443 to the control planes' private IPs, health-checked on /version. */
    private loadBalancer(name: string, cluster: ClusterConfig): pulumi.Output<string> {
        const lb = new hcloud.LoadBalancer(
            `${name}-api-lb`,
            {
                name: clusterResourceName(cluster.name, "api-lb"),
                loadBalancerType: "lb11",
                location: cluster.location,
                labels: clusterLabels(cluster.name),
            },
            // A new location replaces it; names are unique, so the old one goes first.
            { parent: this, deleteBeforeReplace: true },
        );
        const loadBalancerId = lb.id.apply(Number);
        const attachment = new hcloud.LoadBalancerNetwork(
            `${name}-api-lb-network`,
            { loadBalancerId, subnetId: this.subnet.id, ip: loadBalancerPrivateIp(cluster) },
            // A load balancer joins a network once: a new attachment (new subnet or IP) needs the old one gone.
            { parent: this, deleteBeforeReplace: true },
        );
        new hcloud.LoadBalancerTarget(
            `${name}-api-lb-targets`,
            { loadBalancerId, type: "label_selector", labelSelector: controlPlaneSelector(cluster.name), usePrivateIp: true },
            { parent: this, dependsOn: [attachment] },
        );
        new hcloud.LoadBalancerService(
            `${name}-api-lb-service`,
            {
                loadBalancerId: lb.id,
                protocol: "tcp",
                listenPort: KUBE_API_PORT,
                destinationPort: KUBE_API_PORT,
                healthCheck: {
                    protocol: "http",
                    port: KUBE_API_PORT,
                    interval: 10,
                    timeout: 5,
                    retries: 3,
                    http: { path: "/version", tls: true, statusCodes: ["401", "200"] },
                },
            },
            { parent: this },
        );
        return lb.ipv4;
    }
}
