import * as pulumi from "@pulumi/pulumi";
import * as hcloud from "@pulumi/hcloud";
import * as k8s from "@pulumi/kubernetes";
import { ClusterConfig } from "../../config/cluster";
import { HANDED_OVER_SECRET_OPTIONS } from "../kubernetes/fluxAdoptedRelease";
import { apiUrl } from "./clientConfigs";
import { HetznerInfrastructure } from "./hetzner";
import { HetznerTeardown } from "./hetznerTeardown";
import { NodeSpec, clusterResourceName, planNodes } from "./naming";
import { TalosBootstrap } from "./talosBootstrap";
import { TalosNode } from "./talosNode";
import { snapshotKernelArgsWarning } from "./talosPatches";
import { TalosSecrets } from "./talosSecrets";
import { TalosUpgrade } from "./talosUpgrade";

/** Arguments of the cluster layer. */
export interface TalosClusterArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /** Stable DNS name of the API (e.g. `api.<domain>`); the kubeconfig uses it when set. */
    readonly apiHostname?: string;
    /** `pulumi destroy` also deletes the cluster's Talos snapshots (teardownDeletesSnapshots). */
    readonly teardownDeletesSnapshots?: boolean;
}

/** Where the cluster's API is reached, in its three forms. */
interface ClusterEndpoint {
    /** The endpoint IP's URL, baked into machine configs and probed by the bootstrap. */
    readonly url: pulumi.Output<string>;
    /** The URL clients use: the stable DNS name when set, else the IP's URL. */
    readonly clientUrl: pulumi.Output<string>;
    /** Names and IPs the API certificate covers. */
    readonly certSans: pulumi.Output<string[]>;
}

/**
 * The cluster layer: Hetzner infrastructure, Talos nodes, the etcd bootstrap, and what later
 * layers need: a Kubernetes provider, the endpoint, the node IPs, kubeconfig and talosconfig.
 */
export class TalosCluster extends pulumi.ComponentResource {
    /** Kubernetes provider for everything that runs on the cluster; ready once the API answers. */
    public readonly provider: k8s.Provider;
    /**
     * Admin kubeconfig with the server on the stable DNS name (`https://api.<domain>:6443`), secret:
     * for people and CI (the `kubeconfig` stack output, KUBE_CONFIG), who reach the cluster after
     * DNS has moved.
     */
    public readonly kubeconfigByName: pulumi.Output<string>;
    /**
     * Admin kubeconfig with the server on the stable endpoint's IP, secret: for this program's own
     * steps (the provider, the kubectl waiters), which must not depend on a resolver that may
     * still hold the dead cluster's address. The API certificate covers both the IP and the name.
     */
    public readonly kubeconfigByIp: pulumi.Output<string>;
    /** Admin talosconfig (endpoints = control-plane IPs), secret. */
    public readonly talosconfig: pulumi.Output<string>;
    /** The secrets bundle in use; save it into config to keep the PKI across rebuilds. */
    public readonly talosSecrets: pulumi.Output<string>;
    /** Public IPv4 of the stable API endpoint. */
    public readonly apiEndpointIp: pulumi.Output<string>;
    /** The URL clients use. */
    public readonly apiUrl: pulumi.Output<string>;
    /** Public IPv4 of the control planes. */
    public readonly controlPlaneIps: pulumi.Output<string[]>;
    /** Public IPv4 of the workers. */
    public readonly workerIps: pulumi.Output<string[]>;
    /** After this the Kubernetes API answers. */
    public readonly apiReady: pulumi.Resource;
    /** Secret `kube-system/hcloud` (token, network) for the cloud controller, hcloud-csi and the autoscaler (installed before Flux). */
    public readonly hcloudSecret: k8s.core.v1.Secret;
    /** What the rolling upgrade needs (see rollingUpgrade). */
    private readonly upgradeNodes: ConstructorParameters<typeof TalosUpgrade>[1]["nodes"];
    private readonly upgradeTalosconfig: pulumi.Output<string>;
    private readonly config: ClusterConfig;
    /** The first static worker's generated machine config (secret), or undefined without workers. */
    public readonly workerMachineConfig?: pulumi.Output<string>;

    constructor(name: string, args: TalosClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:TalosCluster", name, {}, opts);
        const { cluster } = args;
        const nodes = planNodes(cluster);

        const infra = new HetznerInfrastructure(`${name}-hetzner`, { cluster, nodes }, { parent: this });
        const ipOf = (node: NodeSpec) => infra.primaryIps[node.name].ipAddress;
        this.apiEndpointIp = infra.endpointIp;
        this.controlPlaneIps = pulumi.all(nodes.filter((n) => n.role === "control-plane").map(ipOf));
        this.workerIps = pulumi.all(nodes.filter((n) => n.role === "worker").map(ipOf));
        const endpoint = TalosCluster.endpoint(infra, args.apiHostname);
        this.apiUrl = endpoint.clientUrl;

        const secrets = new TalosSecrets(
            `${name}-talos-secrets`,
            { cluster, endpointUrl: endpoint.url, controlPlaneIps: this.controlPlaneIps },
            { parent: this },
        );
        this.talosSecrets = secrets.bundle;
        this.talosconfig = secrets.talosconfig;

        const talosNodes = this.machines(name, cluster, nodes, infra, ipOf, endpoint, secrets);
        this.workerMachineConfig = talosNodes.find((_, i) => nodes[i].role === "worker")?.machineConfig;

        const bootstrap = this.bootstrap(name, cluster, nodes, talosNodes, ipOf, endpoint, secrets);
        this.apiReady = bootstrap.apiReady;
        this.kubeconfigByName = bootstrap.kubeconfigByName;
        this.kubeconfigByIp = bootstrap.kubeconfigByIp;

        this.teardown(name, cluster, infra, args.teardownDeletesSnapshots ?? false);

        // By IP, not by name: the API record may not have moved yet (see kubeconfigByIp).
        // clusterIdentifier: a changed kubeconfig (rotated certificates, another endpoint form) is an
        // update of the provider, never a replacement of every Kubernetes object under it.
        this.provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfigByIp, clusterIdentifier: cluster.name },
            { parent: this },
        );
        this.hcloudSecret = this.cloudControllerSecret(name, cluster, infra);

        // Scenario 2 (rollingUpgrade): the nodes as the rolling upgrade needs them, kept for the call.
        this.upgradeNodes = nodes.map((spec, i) => ({
            spec,
            publicIp: ipOf(spec),
            serverId: talosNodes[i].server.id,
            configured: talosNodes[i].configured,
        }));
        this.upgradeTalosconfig = secrets.talosconfig;
        this.config = cluster;

        this.warnAboutBootImage(cluster);

        this.registerOutputs({
            kubeconfigByName: this.kubeconfigByName,
            kubeconfigByIp: this.kubeconfigByIp,
            talosconfig: this.talosconfig,
            apiEndpointIp: this.apiEndpointIp,
            apiUrl: this.apiUrl,
            controlPlaneIps: this.controlPlaneIps,
            workerIps: this.workerIps,
        });
    }

    /**
     * The endpoint: machine configs use the endpoint IP (nodes must not depend on DNS to find their
     * API); clients use the stable DNS name when there is one; the certificate covers both.
     */
    private static endpoint(infra: HetznerInfrastructure, apiHostname: string | undefined): ClusterEndpoint {
        const url = infra.endpointIp.apply(apiUrl);
        return {
            url,
            clientUrl: apiHostname ? pulumi.output(apiUrl(apiHostname)) : url,
            certSans: infra.endpointIp.apply((ip) => (apiHostname ? [ip, apiHostname] : [ip])),
        };
    }

    /**
     * The machines: one TalosNode per planned node, with its machine config. Snapshot boot looks up
     * the newest Talos snapshot first; control planes get their peers for the etcd member cleanup.
     */
    private machines(
        name: string,
        cluster: ClusterConfig,
        nodes: readonly NodeSpec[],
        infra: HetznerInfrastructure,
        ipOf: (node: NodeSpec) => pulumi.Output<string>,
        endpoint: ClusterEndpoint,
        secrets: TalosSecrets,
    ): TalosNode[] {
        const controlPlanes = nodes.filter((n) => n.role === "control-plane");
        const snapshotImageId =
            cluster.boot.mode === "snapshot"
                ? hcloud
                      .getImageOutput(
                          {
                              withSelector: cluster.boot.snapshotSelector,
                              mostRecent: true,
                              withArchitecture: cluster.controlPlane.architecture,
                          },
                          { parent: this },
                      )
                      .apply((image) => String(image.id))
                : undefined;

        return nodes.map(
            (node) =>
                new TalosNode(
                    `${name}-${node.role}-${node.index}`,
                    {
                        cluster,
                        node,
                        secretsBundle: secrets.bundle,
                        endpointUrl: endpoint.url,
                        certSans: endpoint.certSans,
                        vipIp: cluster.apiEndpoint === "floating-ip" ? infra.endpointIp : undefined,
                        snapshotImageId,
                        subnetId: infra.subnet.id,
                        firewallId: infra.firewallId,
                        placementGroupId: infra.placementGroupId,
                        primaryIp: infra.primaryIps[node.name],
                        etcdPeers:
                            node.role === "control-plane"
                                ? { ips: pulumi.all(controlPlanes.filter((p) => p !== node).map(ipOf)), talosconfig: secrets.talosconfig }
                                : undefined,
                    },
                    { parent: this },
                ),
        );
    }

    /**
     * The bootstrap: etcd is bootstrapped on the first control plane once every control plane has
     * its config, and the API is waited for; it yields the admin kubeconfigs.
     */
    private bootstrap(
        name: string,
        cluster: ClusterConfig,
        nodes: readonly NodeSpec[],
        talosNodes: readonly TalosNode[],
        ipOf: (node: NodeSpec) => pulumi.Output<string>,
        endpoint: ClusterEndpoint,
        secrets: TalosSecrets,
    ): TalosBootstrap {
        const controlPlanes = nodes.filter((n) => n.role === "control-plane");
        return new TalosBootstrap(
            `${name}-bootstrap`,
            {
                clusterName: cluster.name,
                firstControlPlane: { name: controlPlanes[0].name, ip: ipOf(controlPlanes[0]) },
                talosconfig: secrets.talosconfig,
                probeUrl: endpoint.url,
                clientUrl: endpoint.clientUrl,
                controlPlanesReady: talosNodes.filter((_, i) => nodes[i].role === "control-plane").flatMap((n) => n.configured),
                bootstrapTimeoutSeconds: cluster.bootstrapTimeoutSeconds,
                apiReadyTimeoutSeconds: cluster.apiReadyTimeoutSeconds,
            },
            { parent: this },
        );
    }

    /**
     * The teardown: before the network and subnet are deleted, `pulumi destroy` deletes what the
     * cluster made in Hetzner outside this state (autoscaled servers, the cloud controller's load balancers).
     */
    private teardown(name: string, cluster: ClusterConfig, infra: HetznerInfrastructure, deleteSnapshots: boolean): void {
        new HetznerTeardown(
            `${name}-teardown`,
            {
                clusterName: cluster.name,
                hcloudToken: cluster.hcloudToken,
                networkId: infra.networkId,
                networkName: clusterResourceName(cluster.name, "network"),
                subnet: infra.subnet,
                ownLoadBalancers: cluster.apiEndpoint === "load-balancer" ? [clusterResourceName(cluster.name, "api-lb")] : [],
                deleteSnapshots,
                kubeconfig: this.kubeconfigByIp,
            },
            { parent: this },
        );
    }

    /**
     * The cloud controller's Secret: the Hetzner cloud controller and CSI driver read it. The
     * platform's Flux applies its own copy later (infrastructure-controllers: the token from SOPS,
     * the network by name): it is handed over then. The program only creates it (ignoreChanges), so
     * a drift check never reports Flux's values, and keeps it on delete (it is Flux's by then). See
     * README, "Secrets the program and the tree both write".
     */
    private cloudControllerSecret(name: string, cluster: ClusterConfig, infra: HetznerInfrastructure): k8s.core.v1.Secret {
        return new k8s.core.v1.Secret(
            `${name}-hcloud-secret`,
            {
                metadata: { name: "hcloud", namespace: "kube-system" },
                stringData: { token: cluster.hcloudToken, network: infra.networkId.apply(String) },
            },
            { parent: this, provider: this.provider, ...HANDED_OVER_SECRET_OPTIONS },
        );
    }

    /**
     * The boot image warnings: snapshot kernel arguments that do not apply, and a missing
     * talosSchematicId. Neither is a config error (a plain cluster boots), but the platform's
     * storage needs the extensions: Longhorn cannot attach a volume without iscsi-tools.
     */
    private warnAboutBootImage(cluster: ClusterConfig): void {
        const kernelArgs = snapshotKernelArgsWarning(cluster);
        if (kernelArgs) {
            pulumi.log.warn(kernelArgs, this);
        }
        if (!cluster.talosSchematicId) {
            const effect =
                cluster.boot.mode === "iso"
                    ? `nodes install the plain ${cluster.installerImage}, WITHOUT`
                    : `nodes have only what the snapshot carries, and an upgrade to the plain ${cluster.installerImage} drops`;
            pulumi.log.warn(
                `talosSchematicId is NOT set: ${effect} the system extensions the platform needs (siderolabs/iscsi-tools, siderolabs/util-linux-tools, siderolabs/qemu-guest-agent); Longhorn volumes cannot attach without iscsi-tools. Get the ID with \`curl -X POST --data-binary @schematic.yaml https://factory.talos.dev/schematics\` (README, "Talos system extensions") and set it with \`pulumi config set talosSchematicId <id>\``,
                this,
            );
        }
    }

    /**
     * Scenario 2: after a bump of talosVersion or kubernetesVersion, the nodes are rolled in place.
     * Called once the CNI and the cloud controller are installed (`after`: they come with the
     * components before Flux, registered after this component): an upgraded node is Ready only then.
     */
    rollingUpgrade(after: pulumi.Resource[]): TalosUpgrade {
        return new TalosUpgrade(
            `${this.config.name}-upgrade`,
            {
                cluster: this.config,
                nodes: this.upgradeNodes,
                talosconfig: this.upgradeTalosconfig,
                kubeconfig: this.kubeconfigByIp,
                after,
            },
            { parent: this },
        );
    }
}
