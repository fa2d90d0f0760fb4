import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import { ClusterConfig } from "../../config/cluster";
import { scriptCommand } from "../shell";
import { NodeSpec } from "./naming";
import { nodePatches, talosPatchEnvironment } from "./talosPatches";
import { generateConfigEnvironment } from "./talosSecrets";
import { loadScript } from "../scripts";

/** How long a node in maintenance mode may take to accept its config. */
const APPLY_TIMEOUT_SECONDS = "900";

/** Arguments of one Talos node. */
export interface TalosNodeArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /** The node's fixed identity. */
    readonly node: NodeSpec;
    /** Talos secrets bundle, secret. */
    readonly secretsBundle: pulumi.Input<string>;
    /** The Kubernetes API URL baked into the machine config. */
    readonly endpointUrl: pulumi.Input<string>;
    /** Names and IPs the API certificate covers. */
    readonly certSans: pulumi.Input<pulumi.Input<string>[]>;
    /** Floating-IP endpoint: the VIP address; the Hetzner token comes from the cluster config. */
    readonly vipIp?: pulumi.Input<string>;
    /** Snapshot boot: the Talos snapshot's image ID. */
    readonly snapshotImageId?: pulumi.Input<string>;
    /** The node subnet (the server joins it, and so depends on it). */
    readonly subnetId: pulumi.Input<string>;
    /** Firewall ID. */
    readonly firewallId: pulumi.Input<number>;
    /** Spread placement group ID. */
    readonly placementGroupId: pulumi.Input<number>;
    /** The node's primary IPv4 (kept across replacements). */
    readonly primaryIp: hcloud.PrimaryIp;
    /** Control planes only: the other control planes' IPs and the admin talosconfig, for etcd cleanup. */
    readonly etcdPeers?: { readonly ips: pulumi.Input<pulumi.Input<string>[]>; readonly talosconfig: pulumi.Input<string> };
}

/**
 * One Hetzner server running Talos with its machine config. Snapshot boot delivers the config as
 * user data; ISO boot applies it over the Talos API in maintenance mode. User data, image and ISO
 * are ignored after creation, so a drift check never wants to replace a node; a server that is
 * gone is recreated with the same name, address and config, and joins the cluster (Scenario 1).
 */
export class TalosNode extends pulumi.ComponentResource {
    /** The server. */
    public readonly server: hcloud.Server;
    /** The node's public IPv4 (its primary IP). */
    public readonly publicIp: pulumi.Output<string>;
    /** Resources after which the node has its config; the etcd bootstrap waits for them. */
    public readonly configured: pulumi.Resource[];
    /** The node's generated machine config, secret (a worker's is the base of the autoscaled nodes' config). */
    public readonly machineConfig: pulumi.Output<string>;

    constructor(name: string, args: TalosNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:TalosNode", name, {}, opts);
        // Marked secret here as well: additionalSecretOutputs is applied by the engine, and the
        // config must stay secret in every input it flows into (user data, apply-config).
        const configText = pulumi.secret(this.generateMachineConfig(name, args).stdout);
        this.machineConfig = configText;
        this.server = this.createServer(name, args, configText);
        this.publicIp = args.primaryIp.ipAddress;
        const cleanup = args.etcdPeers ? this.etcdMemberCleanup(name, args.node, args.etcdPeers) : undefined;
        const applied = args.cluster.boot.mode === "iso" ? this.applyMachineConfig(name, args.node, configText, cleanup) : undefined;
        this.configured = [this.server, ...(cleanup ? [cleanup] : []), ...(applied ? [applied] : [])];
        this.registerOutputs({ publicIp: this.publicIp });
    }

    /** The machine config: `talosctl gen config` with the platform's patches, then the program's own (talosPatches.ts). */
    private generateMachineConfig(name: string, args: TalosNodeArgs): ReturnType<typeof scriptCommand> {
        const { cluster, node } = args;
        const patches = nodePatches({
            cluster,
            node,
            certSans: pulumi.output(args.certSans),
            vip: args.vipIp ? pulumi.all([args.vipIp, cluster.hcloudToken]).apply(([ip, hcloudToken]) => ({ ip, hcloudToken })) : undefined,
        });
        return scriptCommand(
            `${name}-config`,
            {
                script: loadScript("talos/gen-config.sh"),
                environment: {
                    ...generateConfigEnvironment(cluster, args.secretsBundle, args.endpointUrl),
                    OUTPUT_TYPE: node.role === "control-plane" ? "controlplane" : "worker",
                    ...talosPatchEnvironment(patches),
                    // The platform Talos runs as: the ISO boots it as metal, the Hetzner snapshot as hcloud (a cloud).
                    VALIDATE_MODE: cluster.boot.mode === "iso" ? "metal" : "cloud",
                    NODE_NAME: node.name,
                },
                secretStdout: true,
            },
            { parent: this },
        );
    }

    /**
     * The server: snapshot boot hands it the machine config as user data, ISO boot boots the
     * installer ISO. User data, image and ISO are ignored after creation (no replacement on drift).
     */
    private createServer(name: string, args: TalosNodeArgs, configText: pulumi.Output<string>): hcloud.Server {
        const { cluster, node } = args;
        const boot = cluster.boot;
        const iso = boot.mode === "iso";
        return new hcloud.Server(
            name,
            {
                name: node.name,
                serverType: node.serverType,
                location: cluster.location,
                image: boot.mode === "iso" ? boot.baseImage : args.snapshotImageId,
                iso: boot.mode === "iso" ? boot.isoId : undefined,
                userData: iso ? undefined : configText,
                labels: { ...node.labels },
                firewallIds: [args.firewallId],
                placementGroupId: args.placementGroupId,
                publicNets: [{ ipv4Enabled: true, ipv4: args.primaryIp.id.apply(Number), ipv6Enabled: false }],
                // No aliasIps: Talos adds its own, and an explicit empty list would be a permanent diff.
                networks: [{ subnetId: args.subnetId, ip: node.privateIp }],
            },
            // A replacement (a new location, say) must delete the old server first: Hetzner refuses
            // a second server with the same name, primary IP or private IP.
            { parent: this, ignoreChanges: ["userData", "image", "iso"], deleteBeforeReplace: true },
        );
    }

    /**
     * The etcd member cleanup (control planes): a replaced server's old etcd member is removed
     * through its peers before the new one joins. Runs again only when the server is replaced.
     */
    private etcdMemberCleanup(
        name: string,
        node: NodeSpec,
        etcdPeers: NonNullable<TalosNodeArgs["etcdPeers"]>,
    ): ReturnType<typeof scriptCommand> {
        return scriptCommand(
            `${name}-etcd-cleanup`,
            {
                script: loadScript("talos/etcd-member-cleanup.sh"),
                environment: {
                    NODE_NAME: node.name,
                    NODE_IP: this.publicIp,
                    PEER_IPS: pulumi.output(etcdPeers.ips).apply((ips) => ips.join(" ")),
                    TALOSCONFIG: etcdPeers.talosconfig,
                },
                // Runs again only when the server is replaced.
                triggers: [this.server.id],
            },
            { parent: this },
        );
    }

    /** The config apply (ISO boot): the node waits in maintenance mode until its config is applied over the Talos API. */
    private applyMachineConfig(
        name: string,
        node: NodeSpec,
        configText: pulumi.Output<string>,
        cleanup: pulumi.Resource | undefined,
    ): ReturnType<typeof scriptCommand> {
        return scriptCommand(
            `${name}-apply-config`,
            {
                script: loadScript("talos/apply-config.sh"),
                environment: {
                    NODE_NAME: node.name,
                    NODE_IP: this.publicIp,
                    MACHINE_CONFIG: configText,
                    TIMEOUT_SECONDS: APPLY_TIMEOUT_SECONDS,
                },
                triggers: [this.server.id],
            },
            { parent: this, dependsOn: cleanup ? [cleanup] : [] },
        );
    }
}
