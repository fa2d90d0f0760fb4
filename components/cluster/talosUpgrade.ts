import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { ClusterConfig } from "../../config/cluster";
import { kubernetesSupport, parseReleaseVersion } from "../../config/talosSupport";
import { loadScript } from "../scripts";
import { scriptCommand } from "../shell";
import { NodeSpec } from "./naming";

/** One node as the roll sees it. */
interface UpgradeNode {
    /** The node's fixed identity. */
    readonly spec: NodeSpec;
    /** Its public IPv4 (Talos API). */
    readonly publicIp: pulumi.Input<string>;
    /** The server's ID: a replaced server runs its node's step again (it may boot an older snapshot). */
    readonly serverId: pulumi.Input<string>;
    /** After these the node has its machine config (a replaced node is configured before its step). */
    readonly configured: pulumi.Resource[];
}

/** Arguments of the rolling upgrade. */
export interface TalosUpgradeArgs {
    /** Validated cluster config: the target versions, the installer image, the upgrade settings. */
    readonly cluster: ClusterConfig;
    /** Every node of the cluster. */
    readonly nodes: readonly UpgradeNode[];
    /** Admin talosconfig, secret. */
    readonly talosconfig: pulumi.Input<string>;
    /** Admin kubeconfig by the endpoint's IP, secret. */
    readonly kubeconfig: pulumi.Input<string>;
    /** The roll starts after these: an upgraded node is Ready only once the CNI and cloud controller run. */
    readonly after: pulumi.Resource[];
}

/** The node step's script: checks, cordon, drain, upgrade, wait, uncordon (see its header). */
export const UPGRADE_NODE_SCRIPT = loadScript("talos/upgrade-node.sh");
/** The Kubernetes step's script: `talosctl upgrade-k8s` once every node runs the target Talos. */
export const UPGRADE_KUBERNETES_SCRIPT = loadScript("talos/upgrade-kubernetes.sh");

/** Run order of the node steps: workers one at a time, then control planes, each by index. */
export function upgradeOrder<T extends { readonly spec: NodeSpec }>(nodes: readonly T[]): T[] {
    const byIndex = (a: T, b: T) => a.spec.index - b.spec.index;
    return [
        ...nodes.filter((n) => n.spec.role === "worker").sort(byIndex),
        ...nodes.filter((n) => n.spec.role === "control-plane").sort(byIndex),
    ];
}

/**
 * The rolling upgrade of runbook Scenario 2, as a plain `pulumi up`: one command per node, chained
 * in run order, then the Kubernetes upgrade. A command runs again when its inputs change (a new
 * talosVersion, installer image or upgrade setting) or its server is replaced; each step reads its
 * node's running version and skips it when it is at the target, so a bump shows one step per node
 * in preview, a stopped roll resumes at the first node not at the target, and a fresh rebuild or
 * a replaced node costs one version read. Nothing else in the program depends on these steps.
 */
export class TalosUpgrade extends pulumi.ComponentResource {
    /** The node steps, in run order. */
    public readonly nodeSteps: command.local.Command[];
    /** The Kubernetes step, after the last node step. */
    public readonly kubernetesStep: command.local.Command;

    constructor(name: string, args: TalosUpgradeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:TalosUpgrade", name, {}, opts);
        const { cluster } = args;
        const talos = parseReleaseVersion(cluster.talosVersion);
        const support = talos && kubernetesSupport(talos);
        if (!support) {
            // Config validation refuses a Talos minor the support table does not know.
            throw new Error(`talosVersion ${cluster.talosVersion} has no row in config/talosSupport.ts`);
        }
        const nodes = pulumi
            .all(args.nodes.map((n) => pulumi.all([n.spec.name, n.publicIp]).apply(([nodeName, ip]) => `${nodeName}=${ip}`)))
            .apply((entries) => entries.join(" "));
        const controlPlaneIps = pulumi
            .all(args.nodes.filter((n) => n.spec.role === "control-plane").map((n) => n.publicIp))
            .apply((ips) => ips.join(" "));
        const shared = {
            TALOS_VERSION: cluster.talosVersion,
            NODES: nodes,
            CONTROL_PLANE_IPS: controlPlaneIps,
            TALOSCONFIG: args.talosconfig,
            KUBECONFIG_CONTENT: args.kubeconfig,
        };

        let previous: pulumi.Resource[] = args.after;
        this.nodeSteps = upgradeOrder(args.nodes).map((node) => {
            const step = scriptCommand(
                `${name}-${node.spec.role}-${node.spec.index}`,
                {
                    script: UPGRADE_NODE_SCRIPT,
                    environment: {
                        ...shared,
                        NODE_NAME: node.spec.name,
                        NODE_IP: node.publicIp,
                        NODE_ROLE: node.spec.role,
                        INSTALLER_IMAGE: cluster.installerImage,
                        KUBERNETES_LOWEST: support.lowest,
                        DRAIN_TIMEOUT_SECONDS: String(cluster.upgrade.drainTimeoutSeconds),
                        TIMEOUT_SECONDS: String(cluster.upgrade.nodeTimeoutSeconds),
                        PREFLIGHT: cluster.upgrade.preflight,
                    },
                    triggers: [node.serverId],
                },
                { parent: this, dependsOn: [...previous, ...node.configured] },
            );
            previous = [step];
            return step;
        });
        this.kubernetesStep = scriptCommand(
            `${name}-kubernetes`,
            { script: UPGRADE_KUBERNETES_SCRIPT, environment: { ...shared, KUBERNETES_VERSION: cluster.kubernetesVersion } },
            { parent: this, dependsOn: previous },
        );
        this.registerOutputs({});
    }
}
