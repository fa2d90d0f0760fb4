import { GitopsConfig, PreFluxVersions } from "../../config/gitops";
import {
    BootstrapNetwork,
    certManagerValues,
    ciliumValues,
    cloudControllerValues,
    fluxOperatorValues,
    hcloudCsiValues,
    kyvernoValues,
    metricsServerValues,
} from "./values";

/** A Helm release the program installs before the FluxInstance (and Flux's HelmRelease of the same name adopts). */
interface PreFluxChart {
    /** Release name = the platform's HelmRelease name. */
    readonly release: string;
    /** Release namespace = the platform's HelmRelease namespace. */
    readonly namespace: string;
    /** Chart name, as the HelmRelease's `spec.chart.spec.chart`. */
    readonly chart: string;
    /** Chart version (config; default = the HelmRelease's). */
    readonly version: string;
}

/** A custom resource kind whose CRD exists before the FluxInstance (installed by the program or by one of its charts). */
interface PreFluxCrd {
    /** API group. */
    readonly group: string;
    /** Kind. */
    readonly kind: string;
}

/** What the program installs before the FluxInstance. */
export interface PreFluxInstalls {
    /** Helm releases, in ksail's order. */
    readonly charts: readonly PreFluxChart[];
    /** Kinds served before Flux starts. */
    readonly crds: readonly PreFluxCrd[];
}

/** How one pre-Flux chart is installed: where it comes from, its bootstrap values, how long Helm may wait. */
export interface PreFluxChartSpec {
    /** Which version key of the config pins it. */
    readonly version: keyof PreFluxVersions;
    /** Release name and namespace: the platform's HelmRelease. */
    readonly release: string;
    readonly namespace: string;
    /** Chart name. */
    readonly chart: string;
    /** Helm repository URL; an `oci://` one holds the chart at `<repository>/<chart>`. */
    readonly repository: string;
    /** Bootstrap values (the tree's, see values.ts). */
    readonly values: (net: BootstrapNetwork) => Record<string, unknown>;
    /** How long Helm waits for the workloads (a first image pull on fresh nodes is slow). */
    readonly timeoutSeconds: number;
    /** The kinds whose CRDs the chart installs (the ones the platform's tree applies, at least). */
    readonly crds: readonly PreFluxCrd[];
}

/** The pre-Flux charts in ksail's order. */
export const PRE_FLUX_CHART_ORDER = [
    "cilium",
    "hcloudCcm",
    "certManager",
    "metricsServer",
    "hcloudCsi",
    "kyverno",
    "fluxOperator",
] as const;

/** One of the pre-Flux charts. */
export type PreFluxChartId = (typeof PRE_FLUX_CHART_ORDER)[number];

/** Kinds of one API group. */
function kinds(group: string, ...names: string[]): PreFluxCrd[] {
    return names.map((kind) => ({ group, kind }));
}

/**
 * The charts, in ksail's order (reference: ksail's "components installed before Flux"): Cilium
 * (after the Gateway API CRDs), the Hetzner cloud controller, cert-manager, then metrics-server,
 * hcloud-csi and Kyverno, and last the Flux Operator. Repositories are the platform's
 * HelmRepositories. The CRD kinds are upstream facts of these chart versions.
 */
export const PRE_FLUX_CHARTS: Readonly<Record<PreFluxChartId, PreFluxChartSpec>> = {
    cilium: {
        version: "cilium",
        release: "cilium",
        namespace: "kube-system",
        chart: "cilium",
        repository: "https://helm.cilium.io",
        values: ciliumValues,
        timeoutSeconds: 900,
        // The operator registers them when it starts, which the release waits for.
        crds: kinds(
            "cilium.io",
            "CiliumNetworkPolicy",
            "CiliumClusterwideNetworkPolicy",
            "CiliumEndpoint",
            "CiliumIdentity",
            "CiliumNode",
            "CiliumLocalRedirectPolicy",
            "CiliumEgressGatewayPolicy",
            "CiliumEnvoyConfig",
            "CiliumClusterwideEnvoyConfig",
            "CiliumNodeConfig",
            "CiliumCIDRGroup",
            "CiliumLoadBalancerIPPool",
            "CiliumL2AnnouncementPolicy",
            "CiliumPodIPPool",
        ),
    },
    hcloudCcm: {
        version: "hcloudCcm",
        release: "hcloud-cloud-controller-manager",
        namespace: "kube-system",
        chart: "hcloud-cloud-controller-manager",
        repository: "https://charts.hetzner.cloud",
        values: cloudControllerValues,
        timeoutSeconds: 900,
        crds: [],
    },
    certManager: {
        version: "certManager",
        release: "cert-manager",
        namespace: "cert-manager",
        chart: "cert-manager",
        repository: "https://charts.jetstack.io",
        values: certManagerValues,
        timeoutSeconds: 600,
        crds: [
            ...kinds("cert-manager.io", "Certificate", "CertificateRequest", "Issuer", "ClusterIssuer"),
            ...kinds("acme.cert-manager.io", "Order", "Challenge"),
        ],
    },
    metricsServer: {
        version: "metricsServer",
        release: "metrics-server",
        namespace: "kube-system",
        chart: "metrics-server",
        repository: "https://kubernetes-sigs.github.io/metrics-server/",
        values: metricsServerValues,
        timeoutSeconds: 600,
        crds: [],
    },
    hcloudCsi: {
        version: "hcloudCsi",
        release: "hcloud-csi",
        namespace: "kube-system",
        chart: "hcloud-csi",
        repository: "https://charts.hetzner.cloud",
        values: hcloudCsiValues,
        timeoutSeconds: 600,
        crds: [],
    },
    kyverno: {
        version: "kyverno",
        release: "kyverno",
        namespace: "kyverno",
        chart: "kyverno",
        repository: "https://kyverno.github.io/kyverno/",
        values: kyvernoValues,
        timeoutSeconds: 900,
        crds: [
            ...kinds(
                "kyverno.io",
                "ClusterPolicy",
                "Policy",
                "PolicyException",
                "ClusterCleanupPolicy",
                "CleanupPolicy",
                "UpdateRequest",
                "GlobalContextEntry",
            ),
            ...kinds(
                "policies.kyverno.io",
                "ValidatingPolicy",
                "ImageValidatingPolicy",
                "MutatingPolicy",
                "GeneratingPolicy",
                "DeletingPolicy",
            ),
            ...kinds("wgpolicyk8s.io", "PolicyReport", "ClusterPolicyReport"),
        ],
    },
    fluxOperator: {
        version: "fluxOperator",
        release: "flux-operator",
        namespace: "flux-system",
        chart: "flux-operator",
        repository: "oci://ghcr.io/controlplaneio-fluxcd/charts",
        values: fluxOperatorValues,
        timeoutSeconds: 600,
        crds: kinds("fluxcd.controlplane.io", "FluxInstance", "FluxReport", "ResourceSet", "ResourceSetInputProvider"),
    },
};

/** A CRD manifest the program applies from its upstream release. */
export interface PreFluxCrdManifest {
    /** Which version key of the config pins it. */
    readonly version: "gatewayApi" | "capacityBuffer";
    /** The manifest's URL for a version. */
    readonly url: (version: string) => string;
    /** The kinds it defines. */
    readonly crds: readonly PreFluxCrd[];
}

/**
 * Gateway API's experimental channel: Cilium's Gateway controller needs TLSRoute (experimental),
 * and the platform applies Gateway, HTTPRoute and ReferenceGrant. Installed before Cilium, which
 * starts its Gateway controller only when the CRDs exist.
 */
export const GATEWAY_API_CRDS: PreFluxCrdManifest = {
    version: "gatewayApi",
    url: (v) => `https://github.com/kubernetes-sigs/gateway-api/releases/download/${v}/experimental-install.yaml`,
    crds: kinds(
        "gateway.networking.k8s.io",
        "GatewayClass",
        "Gateway",
        "HTTPRoute",
        "GRPCRoute",
        "ReferenceGrant",
        "BackendTLSPolicy",
        "TLSRoute",
        "TCPRoute",
        "UDPRoute",
    ),
};

/**
 * The CapacityBuffer CRD of the Cluster Autoscaler release (its chart does not ship it; the
 * platform's `overprovisioning/` applies a v1beta1 CapacityBuffer). The program installs the CRD
 * alone, so the autoscaler chart must not carry it too (two owners).
 */
export const CAPACITY_BUFFER_CRD: PreFluxCrdManifest = {
    version: "capacityBuffer",
    url: (v) =>
        `https://raw.githubusercontent.com/kubernetes/autoscaler/cluster-autoscaler-${v}/cluster-autoscaler/apis/config/crd/autoscaling.x-k8s.io_capacitybuffers.yaml`,
    crds: kinds("autoscaling.x-k8s.io", "CapacityBuffer"),
};

/** What the program installs before the FluxInstance, in ksail's order. */
export function preFluxInstalls(gitops: GitopsConfig): PreFluxInstalls {
    const charts = PRE_FLUX_CHART_ORDER.map((id) => PRE_FLUX_CHARTS[id]);
    return {
        charts: charts.map((c) => ({ release: c.release, namespace: c.namespace, chart: c.chart, version: gitops.versions[c.version] })),
        crds: [...GATEWAY_API_CRDS.crds, ...charts.flatMap((c) => c.crds), ...CAPACITY_BUFFER_CRD.crds],
    };
}

/** The chart reference of a `helm.v3.Release`: an OCI chart by its full reference, else name plus repository. */
export function helmChartReference(spec: PreFluxChartSpec): { chart: string; repositoryOpts?: { repo: string } } {
    return spec.repository.startsWith("oci://")
        ? { chart: `${spec.repository}/${spec.chart}` }
        : { chart: spec.chart, repositoryOpts: { repo: spec.repository } };
}
