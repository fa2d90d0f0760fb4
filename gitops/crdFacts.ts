/**
 * Facts the convergence pre-flight needs and cannot render offline: which API groups Kubernetes
 * serves itself, which kinds Flux's controllers serve, and which CRDs a Helm chart or a Crossplane
 * package installs.
 *
 * Provenance, honestly: none of this can be derived from ../shared (it holds no charts and only a
 * dozen CRDs), so the tables are written by hand from the upstream projects (each chart's `crds/`
 * directory or its CRD templates, at the versions the platform pins) and from the platform tree's
 * own comments where it says what a chart serves. A chart or package that is not listed is never
 * guessed: the report says its CRDs are unknown. Kinds are listed where two projects share a group
 * (Cilium and Tetragon both use cilium.io); elsewhere a whole group is claimed.
 */

/** A set of kinds of one API group; no `kinds` = every kind of the group. */
export interface CrdGroup {
    readonly group: string;
    readonly kinds?: readonly string[];
}

/** Whether `(group, kind)` is in the list. */
export function covers(groups: readonly CrdGroup[], group: string, kind: string): boolean {
    return groups.some((g) => g.group === group && (!g.kinds || g.kinds.includes(kind)));
}

/**
 * API groups the Kubernetes API server serves itself (Kubernetes 1.3x). Group level: whether a given
 * version of the group is enabled is not checked.
 */
export const KUBERNETES_GROUPS: ReadonlySet<string> = new Set([
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
]);

/** The kinds each Flux controller (a FluxInstance `spec.components` entry) serves. */
export const FLUX_COMPONENT_KINDS: Readonly<Record<string, readonly CrdGroup[]>> = {
    "source-controller": [{ group: "source.toolkit.fluxcd.io" }],
    "kustomize-controller": [{ group: "kustomize.toolkit.fluxcd.io" }],
    "helm-controller": [{ group: "helm.toolkit.fluxcd.io" }],
    "notification-controller": [{ group: "notification.toolkit.fluxcd.io" }],
    "image-reflector-controller": [{ group: "image.toolkit.fluxcd.io", kinds: ["ImageRepository", "ImagePolicy"] }],
    "image-automation-controller": [{ group: "image.toolkit.fluxcd.io", kinds: ["ImageUpdateAutomation"] }],
    "source-watcher": [{ group: "source.extensions.fluxcd.io" }],
};

/** How a chart's CRDs get installed, which decides whether a HelmRelease's settings turn them off. */
type CrdInstall =
    /** From the chart's `crds/` directory: off when the HelmRelease says `install.crds: Skip`. */
    | { readonly via: "crds-dir" }
    /** From templates behind a value (e.g. `crds.enabled`): on when the value is true (or unset and `default`). */
    | { readonly via: "value"; readonly path: string; readonly default: boolean }
    /** By the workload at run time (an operator that registers its own CRDs): on once it is Ready. */
    | { readonly via: "runtime" };

/** What one chart installs. */
export interface ChartCrds {
    readonly groups: readonly CrdGroup[];
    readonly install: CrdInstall;
    /** Where the fact comes from. */
    readonly source: string;
}

const CILIUM_KINDS = [
    "CiliumNetworkPolicy",
    "CiliumClusterwideNetworkPolicy",
    "CiliumEndpoint",
    "CiliumEndpointSlice",
    "CiliumIdentity",
    "CiliumNode",
    "CiliumNodeConfig",
    "CiliumExternalWorkload",
    "CiliumLocalRedirectPolicy",
    "CiliumEgressGatewayPolicy",
    "CiliumEnvoyConfig",
    "CiliumClusterwideEnvoyConfig",
    "CiliumLoadBalancerIPPool",
    "CiliumL2AnnouncementPolicy",
    "CiliumPodIPPool",
    "CiliumCIDRGroup",
    "CiliumBGPClusterConfig",
    "CiliumBGPPeerConfig",
    "CiliumBGPAdvertisement",
    "CiliumBGPNodeConfig",
    "CiliumBGPNodeConfigOverride",
    "CiliumGatewayClassConfig",
];

/**
 * Helm charts (by `spec.chart.spec.chart` name) and the CRDs they install. Charts of the platform
 * that install none (metrics-server, hcloud-ccm, hcloud-csi, reloader, oauth2-proxy, openbao,
 * alertmanager, loadtester, opencost, policy-reporter, opentelemetry-collector, ...) are absent.
 */
const CHART_CRDS: Readonly<Record<string, ChartCrds>> = {
    "cert-manager": {
        groups: [{ group: "cert-manager.io" }, { group: "acme.cert-manager.io" }],
        install: { via: "value", path: "crds.enabled", default: false },
        source: "jetstack/cert-manager chart: CRD templates behind crds.enabled (installCRDs before v1.15)",
    },
    "trust-manager": {
        groups: [{ group: "trust.cert-manager.io" }],
        install: { via: "value", path: "crds.enabled", default: true },
        source: "cert-manager/trust-manager chart: CRD templates behind crds.enabled",
    },
    "cloudnative-pg": {
        groups: [{ group: "postgresql.cnpg.io" }],
        install: { via: "value", path: "crds.create", default: true },
        source: "cloudnative-pg/charts cloudnative-pg: templates/crds behind crds.create",
    },
    "plugin-barman-cloud": {
        groups: [{ group: "barmancloud.cnpg.io" }],
        install: { via: "crds-dir" },
        source: "cloudnative-pg/charts plugin-barman-cloud: ObjectStore CRD",
    },
    crossplane: {
        groups: [
            { group: "apiextensions.crossplane.io" },
            { group: "pkg.crossplane.io" },
            { group: "ops.crossplane.io" },
            { group: "protection.crossplane.io" },
        ],
        install: { via: "runtime" },
        source: "crossplane chart: the core's init container installs its CRDs",
    },
    "external-secrets": {
        groups: [{ group: "external-secrets.io" }, { group: "generators.external-secrets.io" }],
        install: { via: "value", path: "installCRDs", default: true },
        source: "external-secrets chart: CRD templates behind installCRDs",
    },
    flagger: {
        groups: [{ group: "flagger.app" }],
        install: { via: "value", path: "crd.create", default: true },
        source: "fluxcd/flagger chart: CRD template behind crd.create",
    },
    "flux-operator": {
        groups: [{ group: "fluxcd.controlplane.io" }],
        install: { via: "value", path: "installCRDs", default: true },
        source: "controlplaneio-fluxcd/flux-operator chart",
    },
    "tofu-controller": {
        groups: [{ group: "infra.contrib.fluxcd.io" }],
        install: { via: "value", path: "installCRDs", default: true },
        source: "flux-iac/tofu-controller chart (the tree: 'Installs the Terraform (infra.contrib.fluxcd.io) CRD')",
    },
    keda: {
        groups: [{ group: "keda.sh" }, { group: "eventing.keda.sh" }],
        install: { via: "value", path: "crds.install", default: true },
        source: "kedacore/charts keda: CRD templates behind crds.install",
    },
    kro: {
        groups: [{ group: "kro.run" }],
        install: { via: "crds-dir" },
        source: "kubernetes-sigs/kro helm chart: crds/",
    },
    cilium: {
        groups: [{ group: "cilium.io", kinds: CILIUM_KINDS }],
        install: { via: "runtime" },
        source: "cilium chart: cilium-operator registers the cilium.io CRDs at start",
    },
    tetragon: {
        groups: [{ group: "cilium.io", kinds: ["TracingPolicy", "TracingPolicyNamespaced", "PodInfo"] }],
        install: { via: "runtime" },
        source: "cilium/tetragon chart: tetragon-operator registers its CRDs at start",
    },
    kyverno: {
        groups: [{ group: "kyverno.io" }, { group: "policies.kyverno.io" }, { group: "reports.kyverno.io" }, { group: "wgpolicyk8s.io" }],
        install: { via: "value", path: "crds.install", default: true },
        source: "kyverno chart: CRD templates behind crds.install",
    },
    longhorn: {
        groups: [{ group: "longhorn.io" }],
        install: { via: "crds-dir" },
        source: "longhorn chart: templates/crds.yaml",
    },
    "snapshot-controller": {
        groups: [{ group: "snapshot.storage.k8s.io" }, { group: "groupsnapshot.storage.k8s.io" }],
        install: { via: "crds-dir" },
        source: "piraeus snapshot-controller chart: crds/ (the tree: 'the snapshot.storage.k8s.io CRDs are installed by the snapshot-controller HelmRelease')",
    },
    velero: {
        groups: [{ group: "velero.io" }],
        install: { via: "value", path: "upgradeCRDs", default: true },
        source: "vmware-tanzu/velero chart: crds/ plus the upgrade-CRDs job",
    },
    vpa: {
        groups: [{ group: "autoscaling.k8s.io", kinds: ["VerticalPodAutoscaler", "VerticalPodAutoscalerCheckpoint"] }],
        install: { via: "crds-dir" },
        source: "fairwinds vpa chart: crds/",
    },
    "coroot-operator": {
        groups: [{ group: "coroot.com" }],
        install: { via: "runtime" },
        source: "coroot-operator chart: the operator registers the Coroot CRD",
    },
    "kubescape-operator": {
        groups: [{ group: "kubescape.io" }],
        install: { via: "crds-dir" },
        source: "kubescape helm-charts kubescape-operator (the tree: 'the chart serves ONLY kubescape.io/v1beta1' SecurityException/ClusterSecurityException)",
    },
    "open-feature-operator": {
        groups: [{ group: "core.openfeature.dev" }],
        install: { via: "crds-dir" },
        source: "open-feature/open-feature-operator chart",
    },
    dex: {
        groups: [{ group: "dex.coreos.com" }],
        install: { via: "runtime" },
        source: "dexidp/dex: with Kubernetes storage Dex registers its own CRDs at start",
    },
    "gateway-api": {
        groups: [{ group: "gateway.networking.k8s.io" }, { group: "gateway.networking.x-k8s.io" }],
        install: { via: "crds-dir" },
        source: "kubernetes-sigs/gateway-api",
    },
};

/**
 * Crossplane packages (`pkg.crossplane.io` Provider `spec.package`, without its tag) and the CRDs the
 * package manager installs for them once the Provider is healthy.
 */
const PACKAGE_CRDS: Readonly<Record<string, { readonly groups: readonly CrdGroup[]; readonly source: string }>> = {
    "xpkg.upbound.io/upbound/provider-family-aws": {
        groups: [{ group: "aws.upbound.io" }, { group: "aws.m.upbound.io" }],
        source: "upbound/provider-aws family provider: ProviderConfig and friends, cluster and namespaced",
    },
    "xpkg.upbound.io/upbound/provider-aws-iam": {
        groups: [{ group: "iam.aws.upbound.io" }, { group: "iam.aws.m.upbound.io" }],
        source: "upbound/provider-aws iam sub-provider",
    },
};

/** A chart's CRD facts by chart name, or undefined when the table does not know the chart. */
export function chartCrds(chart: string): ChartCrds | undefined {
    return Object.prototype.hasOwnProperty.call(CHART_CRDS, chart) ? CHART_CRDS[chart] : undefined;
}

/** A Crossplane package's CRD facts (the reference without tag or digest), or undefined. */
export function packageCrds(reference: string): { readonly groups: readonly CrdGroup[]; readonly source: string } | undefined {
    const repository = reference.replace(/@sha256:[a-f0-9]+$/, "").replace(/:[^/:]+$/, "");
    return Object.prototype.hasOwnProperty.call(PACKAGE_CRDS, repository) ? PACKAGE_CRDS[repository] : undefined;
}
