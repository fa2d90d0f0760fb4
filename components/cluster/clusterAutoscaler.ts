import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { AutoscalerConfig } from "../../config/autoscaler";
import { ClusterConfig } from "../../config/cluster";
import { loadScript } from "../scripts";
import { scriptCommand } from "../shell";
import {
    AUTOSCALER_CHART_REPO,
    AUTOSCALER_CONFIG_SECRET,
    AUTOSCALER_RELEASE,
    PLAIN_SCHEMATIC_ID,
    autoscaledWorkerConfig,
    autoscalerValues,
    configDigest,
    hcloudClusterConfig,
} from "./autoscalerConfig";
import { clusterResourceName } from "./naming";

/** Finds or builds the Talos snapshot autoscaled nodes boot from; prints its image ID. */
export const TALOS_SNAPSHOT_SCRIPT = loadScript("hcloud/talos-snapshot.sh");
/** `talosctl validate --mode cloud` of one pool's derived machine config. */
export const VALIDATE_AUTOSCALED_SCRIPT = loadScript("talos/validate-autoscaled.sh");
/** How long Helm may wait for the autoscaler's pods (2 replicas on the control planes). */
const RELEASE_TIMEOUT_SECONDS = 600;

/** The temporary server type of the snapshot build, per architecture (ksail: cx23 for amd64). */
const SNAPSHOT_BUILDER_SERVER_TYPE: Readonly<Record<AutoscalerConfig["architecture"], string>> = Object.freeze({
    amd64: "cx23",
    arm64: "cax11",
});

/** Arguments of the Cluster Autoscaler. */
export interface ClusterAutoscalerArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /** Validated autoscaler config with at least one pool. */
    readonly autoscaler: AutoscalerConfig;
    /** The static workers' generated machine config (secret): the autoscaled nodes' is derived from it. */
    readonly workerConfig: pulumi.Input<string>;
    /** The cluster's Kubernetes provider. */
    readonly provider: k8s.Provider;
    /** What must run before the chart: Secret kube-system/hcloud (token, network), the cloud controller, CRDs. */
    readonly after: pulumi.Input<pulumi.Resource>[];
}

/**
 * The Cluster Autoscaler as ksail installs it: the Talos snapshot (found by label or built once,
 * a plan step of its own with a deadline), Secret kube-system/cluster-autoscaler-config with
 * `hcloud_cluster_config`, and the cluster-autoscaler chart (release `cluster-autoscaler` in
 * kube-system, the name nothing else installs under). A new worker config or snapshot changes the
 * Secret, and the digest of the Secret in the pod template restarts the autoscaler (it reads the
 * Secret only at start). Static servers are never touched: their user data and image are ignored.
 */
export class ClusterAutoscaler extends pulumi.ComponentResource {
    /** The snapshot's image ID. */
    public readonly snapshotId: pulumi.Output<string>;
    /** The config Secret. */
    public readonly configSecret: k8s.core.v1.Secret;
    /** The chart; ready once the autoscaler runs. */
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: ClusterAutoscalerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:ClusterAutoscaler", name, {}, opts);
        const { cluster, autoscaler, provider } = args;
        // A new Talos version or schematic changes the environment: the script runs again, finds or
        // builds the new snapshot, and the old one stays (README, "Scenario 8").
        const snapshot = scriptCommand(
            `${name}-talos-snapshot`,
            {
                script: TALOS_SNAPSHOT_SCRIPT,
                environment: {
                    HCLOUD_TOKEN: cluster.hcloudToken,
                    CLUSTER_NAME: cluster.name,
                    TALOS_VERSION: cluster.talosVersion,
                    SCHEMATIC_ID: cluster.talosSchematicId ?? PLAIN_SCHEMATIC_ID,
                    ARCH: autoscaler.architecture,
                    BUILDER_SERVER_TYPE: SNAPSHOT_BUILDER_SERVER_TYPE[autoscaler.architecture],
                    LOCATION: cluster.location,
                    TIMEOUT_SECONDS: String(autoscaler.snapshotTimeoutSeconds),
                },
            },
            { parent: this },
        );
        this.snapshotId = snapshot.stdout.apply((s) => s.trim());

        // Each pool's config is checked by talosctl before the Secret hands it to new nodes.
        const checks = autoscaler.pools.map((pool) =>
            scriptCommand(
                `${name}-${pool.name}-config-check`,
                {
                    script: VALIDATE_AUTOSCALED_SCRIPT,
                    environment: {
                        MACHINE_CONFIG: pulumi.secret(pulumi.output(args.workerConfig).apply((w) => autoscaledWorkerConfig(w, pool))),
                        POOL: pool.name,
                        TALOS_VERSION: cluster.talosVersion,
                    },
                },
                { parent: this },
            ),
        );

        const value = pulumi
            .all([this.snapshotId, args.workerConfig])
            .apply(([snapshotId, workerConfig]) =>
                hcloudClusterConfig(snapshotId, autoscaler.architecture, autoscaler.pools, workerConfig),
            );
        this.configSecret = new k8s.core.v1.Secret(
            `${name}-config`,
            {
                metadata: { name: AUTOSCALER_CONFIG_SECRET.name, namespace: AUTOSCALER_CONFIG_SECRET.namespace },
                stringData: { [AUTOSCALER_CONFIG_SECRET.key]: pulumi.secret(value) },
            },
            { parent: this, provider, dependsOn: checks },
        );

        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: AUTOSCALER_RELEASE.name,
                namespace: AUTOSCALER_RELEASE.namespace,
                chart: "cluster-autoscaler",
                version: autoscaler.chartVersion,
                repositoryOpts: { repo: AUTOSCALER_CHART_REPO },
                // The digest of a document full of keys says nothing about them: not secret, so the
                // plan and the drift check can show the values.
                values: pulumi.unsecret(value.apply(configDigest)).apply((digest) =>
                    autoscalerValues(autoscaler, {
                        controlPlanes: cluster.controlPlane.count,
                        firewallName: clusterResourceName(cluster.name, "firewall"),
                        configDigest: digest,
                    }),
                ),
                atomic: true,
                timeout: RELEASE_TIMEOUT_SECONDS,
            },
            { parent: this, provider, dependsOn: [this.configSecret, ...args.after] },
        );
        this.registerOutputs({ snapshotId: this.snapshotId });
    }
}
