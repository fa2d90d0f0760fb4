import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { ClusterConfig } from "../../config/cluster";
import { FLUX_ADOPTED_RELEASE_OPTIONS } from "../kubernetes/fluxAdoptedRelease";

/** Release name and namespace of the platform's Flux HelmRelease for the cloud controller. */
export const HCLOUD_CCM_RELEASE = Object.freeze({ name: "hcloud-cloud-controller-manager", namespace: "kube-system" });

/** Hetzner's Helm repository (the platform's HelmRepository `kube-system/hcloud`). */
export const HETZNER_CHART_REPO = "https://charts.hetzner.cloud";

/**
 * How long the install may wait for the controller to run. Its pod needs a Ready node, so it
 * starts only once Cilium (installed at the same time, by the GitOps layer) runs; image pulls and
 * Cilium's own start fit well within this.
 */
export const HCLOUD_CCM_TIMEOUT_SECONDS = 900;

/** Values of the chart: private-network mode, with the cluster's pod CIDR for its routes. */
export function cloudControllerValues(cluster: ClusterConfig): Record<string, unknown> {
    return { networking: { enabled: true, clusterCIDR: cluster.network.podCidr } };
}

/** Arguments of the cloud controller. */
export interface HetznerCloudControllerArgs {
    /** Validated cluster config (chart version, pod CIDR). */
    readonly cluster: ClusterConfig;
    /** The cluster's Kubernetes provider. */
    readonly provider: k8s.Provider;
    /** Secret `kube-system/hcloud` (token, network), which the controller's pod reads at start. */
    readonly hcloudSecret: pulumi.Resource;
}

/**
 * The Hetzner cloud controller (hcloud-cloud-controller-manager, private-network mode), installed
 * right after the bootstrap. Talos enables the external cloud provider, so every node carries the
 * taint node.cloudprovider.kubernetes.io/uninitialized until this controller has initialized it;
 * nothing that does not tolerate the taint (the Flux Operator and Flux's controllers) can be
 * scheduled before. The platform's own HelmRelease for the controller (in
 * `infrastructure-controllers`) could never be applied, because Flux itself could not start.
 *
 * It is a Helm release with the same name and namespace as the platform's HelmRelease, as the
 * platform's own tooling (KSail) installs it, so Flux adopts it and owns it from then on. The
 * Talos-native `cluster.externalCloudProvider.manifests` (the release's ccm-networks.yaml) would
 * create the same objects without Helm's ownership metadata and with another Deployment selector:
 * Flux's install of its HelmRelease would then fail ("invalid ownership metadata") and
 * `infrastructure-controllers` would never become Ready.
 */
export class HetznerCloudController extends pulumi.ComponentResource {
    /** The release; ready once the controller runs. */
    public readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: HetznerCloudControllerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:HetznerCloudController", name, {}, opts);
        this.release = new k8s.helm.v3.Release(
            `${name}-release`,
            {
                name: HCLOUD_CCM_RELEASE.name,
                namespace: HCLOUD_CCM_RELEASE.namespace,
                chart: "hcloud-cloud-controller-manager",
                version: args.cluster.cloudController.version,
                repositoryOpts: { repo: HETZNER_CHART_REPO },
                values: cloudControllerValues(args.cluster),
                atomic: false,
                timeout: HCLOUD_CCM_TIMEOUT_SECONDS,
            },
            {
                parent: this,
                provider: args.provider,
                // The pod reads the Secret at start; created first, it starts on the first try.
                dependsOn: [args.hcloudSecret],
                ...FLUX_ADOPTED_RELEASE_OPTIONS,
            },
        );
        this.registerOutputs({});
    }
}
