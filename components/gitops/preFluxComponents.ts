import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { GitopsConfig } from "../../config/gitops";
import { FLUX_ADOPTED_RELEASE_OPTIONS } from "../kubernetes/fluxAdoptedRelease";
import { loadScript } from "../scripts";
import { scriptCommand } from "../shell";
import { KUBE_COMMAND_OPTIONS, KubeWaiter } from "../waiters/kubeWaiter";
import { CAPACITY_BUFFER_CRD, GATEWAY_API_CRDS, PRE_FLUX_CHARTS, PreFluxChartId, PreFluxCrdManifest, helmChartReference } from "./preFlux";
import { BootstrapNetwork } from "./values";

/** The label the Hetzner cloud controller puts on each node it initialized; hcloud-csi's node plugin is scheduled by it. */
const PROVIDED_BY_LABEL = "instance.hetzner.cloud/provided-by";

/**
 * The kubelet serving-certificate approver (the Talos inline manifest ksail adds with
 * metrics-server, see the platform's talos/cluster/rotate-server-certificates.yaml): until it runs,
 * kubelets have no serving certificate and metrics-server cannot scrape them.
 */
const SERVING_CERT_APPROVER = Object.freeze({ namespace: "kubelet-serving-cert-approver", name: "kubelet-serving-cert-approver" });

/** Arguments of the pre-Flux components. */
export interface PreFluxComponentsArgs {
    /** Validated GitOps config (versions). */
    readonly gitops: GitopsConfig;
    /** What the bootstrap values refer to (location, pod and network CIDRs). */
    readonly network: BootstrapNetwork;
    /** The cluster's Kubernetes provider and admin kubeconfig (secret). */
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Input<string>;
    /** Secret `kube-system/hcloud` (token, network), which the cloud controller and hcloud-csi read at start. */
    readonly hcloudSecret: pulumi.Resource;
}

/**
 * What ksail installs between the cluster bootstrap and Flux, in its order, each waiting for what it
 * needs: Gateway API experimental CRDs; Cilium (the CNI: nodes become Ready); the Hetzner cloud
 * controller (lifts the uninitialized taint, labels the nodes); cert-manager with its CRDs; then
 * together metrics-server (once the kubelet serving-certificate approver runs), hcloud-csi (once
 * every node has `instance.hetzner.cloud/provided-by`), Kyverno and the CapacityBuffer CRD.
 *
 * Every chart is a Helm release with the platform's HelmRelease name, namespace, version and values,
 * so Flux adopts it without a change: from then on Flux owns values and version (ignored here), and
 * a destroy leaves the release to Flux. The CRD manifests have no other owner in the platform's
 * tree: they stay the program's.
 */
export class PreFluxComponents extends pulumi.ComponentResource {
    /** Each chart's release, by id. */
    public readonly releases: Readonly<Record<Exclude<PreFluxChartId, "fluxOperator">, k8s.helm.v3.Release>>;
    /** The CRD manifests applied. */
    public readonly gatewayApiCrds: k8s.yaml.v2.ConfigFile;
    public readonly capacityBufferCrd: k8s.yaml.v2.ConfigFile;
    /** What the Flux Operator waits for: the last step of each branch. */
    public readonly ready: pulumi.Resource[];

    constructor(name: string, args: PreFluxComponentsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:gitops:PreFluxComponents", name, {}, opts);
        const { gitops, provider } = args;
        const manifest = (id: string, m: PreFluxCrdManifest, dependsOn: pulumi.Resource[]) =>
            new k8s.yaml.v2.ConfigFile(`${name}-${id}`, { file: m.url(gitops.versions[m.version]) }, { parent: this, provider, dependsOn });
        const chart = (id: Exclude<PreFluxChartId, "fluxOperator">, dependsOn: pulumi.Resource[]) => {
            const spec = PRE_FLUX_CHARTS[id];
            return new k8s.helm.v3.Release(
                `${name}-${spec.release}`,
                {
                    name: spec.release,
                    namespace: spec.namespace,
                    createNamespace: spec.namespace !== "kube-system",
                    ...helmChartReference(spec),
                    version: gitops.versions[spec.version],
                    values: spec.values(args.network),
                    // The platform's values remove some chart defaults with null (Flux passes null through).
                    allowNullValues: true,
                    atomic: false,
                    waitForJobs: true,
                    timeout: spec.timeoutSeconds,
                },
                { ...FLUX_ADOPTED_RELEASE_OPTIONS, parent: this, provider, dependsOn },
            );
        };

        this.gatewayApiCrds = manifest("gateway-api-crds", GATEWAY_API_CRDS, []);
        const cilium = chart("cilium", [this.gatewayApiCrds]);
        // Its pods need Ready nodes (Cilium) and read the Secret at start.
        const cloudController = chart("hcloudCcm", [cilium, args.hcloudSecret]);
        // Nothing without a toleration for the uninitialized taint schedules before the cloud controller runs.
        const certManager = chart("certManager", [cloudController]);

        const approver = new KubeWaiter(
            `${name}-serving-cert-approver`,
            {
                kubeconfig: args.kubeconfig,
                kind: "deployments.apps",
                namespace: SERVING_CERT_APPROVER.namespace,
                name: SERVING_CERT_APPROVER.name,
                condition: { field: "{.status.availableReplicas}" },
                timeoutSeconds: 600,
                after: [cloudController],
            },
            { parent: this },
        );
        const labelled = scriptCommand(
            `${name}-nodes-provided-by`,
            {
                script: loadScript("kube/wait-nodes-labelled.sh"),
                environment: { KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig), LABEL: PROVIDED_BY_LABEL, TIMEOUT_SECONDS: "600" },
            },
            { ...KUBE_COMMAND_OPTIONS, parent: this, dependsOn: [cloudController] },
        );
        const metricsServer = chart("metricsServer", [certManager, approver.done]);
        const hcloudCsi = chart("hcloudCsi", [certManager, labelled, args.hcloudSecret]);
        const kyverno = chart("kyverno", [certManager]);
        this.capacityBufferCrd = manifest("capacity-buffer-crd", CAPACITY_BUFFER_CRD, [certManager]);

        this.releases = { cilium, hcloudCcm: cloudController, certManager, metricsServer, hcloudCsi, kyverno };
        this.ready = [metricsServer, hcloudCsi, kyverno, this.capacityBufferCrd];
        this.registerOutputs({});
    }
}
