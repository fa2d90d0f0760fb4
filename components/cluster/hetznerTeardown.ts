import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { loadScript } from "../scripts";

/** Create step: nothing to do until `pulumi destroy`. */
export const TEARDOWN_ARMED_SCRIPT = loadScript("hcloud/teardown-armed.sh");
/** Delete step: deletes the autoscaled servers and load balancers attached to the network. */
export const TEARDOWN_SCRIPT = loadScript("hcloud/teardown.sh");
/** How long the teardown may wait for Hetzner to finish deleting the servers. */
const TEARDOWN_TIMEOUT_SECONDS = 600;

/** Arguments of the teardown step. */
export interface HetznerTeardownArgs {
    /** Cluster name (the snapshots' label ksail.io/cluster). */
    readonly clusterName: string;
    /** Hetzner API token (secret). */
    readonly hcloudToken: pulumi.Input<string>;
    /** The network's ID: the step depends on it, so `pulumi destroy` runs it before deleting the network. */
    readonly networkId: pulumi.Input<number>;
    /** The network's name, for the messages. */
    readonly networkName: string;
    /** The node subnet: the step is also deleted before it, which attached servers would block. */
    readonly subnet: pulumi.Resource;
    /** Load balancers on the network that the stack owns (Pulumi deletes them itself). */
    readonly ownLoadBalancers: readonly string[];
    /** Also delete this cluster's Talos snapshots. */
    readonly deleteSnapshots: boolean;
    /**
     * Admin kubeconfig (secret): the teardown first scales the Cluster Autoscaler and the cloud
     * controller to zero, so they create no server or load balancer while it deletes them.
     */
    readonly kubeconfig: pulumi.Input<string>;
}

/**
 * The delete step of `pulumi destroy` for what the cluster creates in Hetzner outside Pulumi's
 * state: autoscaled servers (any pool, also pools no longer in config) and the cloud controller's
 * load balancers, attached to the network, which would otherwise make the network's deletion fail
 * or strand them (runbook Scenario 8). The autoscaler and the cloud controller are scaled to zero
 * first, and the sweep repeats until it finds nothing. A Command whose create does nothing and whose delete runs
 * the teardown; it depends on the network and subnet, so the engine deletes it (runs the
 * teardown) before them. A failed teardown leaves it in state: the next destroy runs it again.
 */
export class HetznerTeardown extends pulumi.ComponentResource {
    /** The step. */
    public readonly step: command.local.Command;

    constructor(name: string, args: HetznerTeardownArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:HetznerTeardown", name, {}, opts);
        this.step = new command.local.Command(
            `${name}-step`,
            {
                create: TEARDOWN_ARMED_SCRIPT,
                delete: TEARDOWN_SCRIPT,
                interpreter: ["/bin/sh", "-c"],
                environment: {
                    HCLOUD_TOKEN: pulumi.secret(args.hcloudToken),
                    CLUSTER_NAME: args.clusterName,
                    NETWORK_ID: pulumi.output(args.networkId).apply(String),
                    NETWORK_NAME: args.networkName,
                    KEEP_LOAD_BALANCERS: args.ownLoadBalancers.join(" "),
                    DELETE_SNAPSHOTS: String(args.deleteSnapshots),
                    KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
                    TIMEOUT_SECONDS: String(TEARDOWN_TIMEOUT_SECONDS),
                },
                logging: "stdoutAndStderr",
            },
            { parent: this, dependsOn: [args.subnet] },
        );
        this.registerOutputs({});
    }
}
