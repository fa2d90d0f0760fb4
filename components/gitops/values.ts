import { CosignKeyless, GitopsConfig } from "../../config/gitops";
import { KUBEPRISM_PORT } from "../cluster/talosPatches";

/**
 * Bootstrap values of the charts installed before Flux. Each is the platform's own HelmRelease
 * values as its prod Flux Kustomization renders them (post-build variables from the cluster's
 * `variables-cluster` ConfigMap, else their `${var:=default}`), so Flux's first reconcile of the
 * adopted release changes nothing and restarts nothing. Where the tree's values depend on the
 * network, they come from the cluster config (the platform's values are the defaults).
 * test/gitops/adoption.test.ts compares every one with the rendered tree.
 */

/** What of the cluster the values refer to. */
export interface BootstrapNetwork {
    /** Hetzner location (hcloud-csi creates volumes there). */
    readonly location: string;
    /** Pod CIDR (Cilium's WireGuard strict-mode range, the cloud controller's routes). */
    readonly podCidr: string;
    /** The Hetzner private network (Cilium's NodePort addresses). */
    readonly networkCidr: string;
}

/** The Deployment/StatefulSet rolling update the platform uses for its HA controllers. */
const ONE_AT_A_TIME = { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: "RollingUpdate" } as const;

/** A spread of a workload's replicas over nodes (best effort). */
function spreadByHost(matchLabels: Record<string, string>): Record<string, unknown>[] {
    return [{ labelSelector: { matchLabels }, maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway" }];
}

/** Preferred anti-affinity of a workload's replicas (one per node when possible). */
function preferApart(matchLabels: Record<string, string>): Record<string, unknown> {
    return {
        podAntiAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
                { podAffinityTerm: { labelSelector: { matchLabels }, topologyKey: "kubernetes.io/hostname" }, weight: 100 },
            ],
        },
    };
}

/**
 * Cilium, as the platform's prod tree renders it (base values, the Hetzner `homogeneous-devices`
 * component and the WireGuard strict-mode patch): kube-proxy replacement through KubePrism, Gateway
 * API, WireGuard with egress strict mode over the pod CIDR, NodePort on the private network, every
 * `en+`/`eth+` NIC as a device (BPF masquerade where pod egress leaves). A difference here would
 * restart every agent when Flux adopts the release.
 */
export function ciliumValues(net: BootstrapNetwork): Record<string, unknown> {
    const replicas = 2;
    return {
        authentication: {
            enabled: false,
            mutual: {
                spire: {
                    enabled: false,
                    install: {
                        agent: { resources: { requests: { cpu: "50m", memory: "128Mi" } } },
                        existingNamespace: true,
                        namespace: "kube-system",
                        server: {
                            dataStorage: { size: "10Gi", storageClass: "hcloud" },
                            initContainers: [
                                {
                                    command: [
                                        "/bin/sh",
                                        "-c",
                                        "chown -R 1000:1000 /run/spire/data\nchown -R 1000:1000 /tmp/spire-server\n",
                                    ],
                                    image: "docker.io/library/busybox:1.38.0@sha256:dc2d74b28e4cf8984fa52af1f39bc7c3d9c73760b41a74d629f5d11b1ab28616",
                                    imagePullPolicy: "IfNotPresent",
                                    name: "chown",
                                    securityContext: { runAsGroup: 0, runAsUser: 0 },
                                    volumeMounts: [
                                        { mountPath: "/run/spire/data", name: "spire-data" },
                                        { mountPath: "/tmp/spire-server/private", name: "spire-server-socket" },
                                    ],
                                },
                            ],
                            podSecurityContext: { runAsGroup: 1000, runAsUser: 1000 },
                            resources: { requests: { cpu: "50m", memory: "128Mi" } },
                            securityContext: { runAsGroup: 1000, runAsUser: 1000 },
                        },
                    },
                },
            },
        },
        // Talos: cgroups are already mounted.
        cgroup: { autoMount: { enabled: false }, hostRoot: "/sys/fs/cgroup" },
        clustermesh: { apiserver: { replicas } },
        devices: "en+ eth+",
        encryption: {
            enabled: true,
            nodeEncryption: false,
            strictMode: { egress: { allowRemoteNodeIdentities: true, cidr: net.podCidr, enabled: true } },
            type: "wireguard",
        },
        envoy: { resources: { requests: { cpu: "50m", memory: "64Mi" } }, rollOutPods: true },
        gatewayAPI: { enableAlpn: true, enabled: true },
        hubble: {
            enabled: true,
            relay: {
                enabled: true,
                podDisruptionBudget: { enabled: true, maxUnavailable: 1, minAvailable: null },
                replicas,
                rollOutPods: true,
                topologySpreadConstraints: spreadByHost({ "k8s-app": "hubble-relay" }),
            },
            tls: { auto: { method: "cronJob" } },
            ui: { enabled: true, podDisruptionBudget: { enabled: false }, replicas: 1, rollOutPods: true },
        },
        ipam: { mode: "kubernetes" },
        k8sServiceHost: "localhost",
        k8sServicePort: KUBEPRISM_PORT,
        kubeProxyReplacement: true,
        nodePort: { addresses: [net.networkCidr] },
        operator: {
            podDisruptionBudget: { enabled: true, maxUnavailable: 1, minAvailable: null },
            podSecurityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
            replicas,
            resources: { requests: { cpu: "100m", memory: "128Mi" } },
            rollOutPods: true,
            securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
                runAsGroup: 1000,
                runAsNonRoot: true,
                runAsUser: 1000,
                seccompProfile: { type: "RuntimeDefault" },
            },
            updateStrategy: ONE_AT_A_TIME,
        },
        resources: { requests: { cpu: "200m", memory: "512Mi" } },
        rollOutCiliumPods: true,
        // Talos: no SYS_MODULE.
        securityContext: {
            capabilities: {
                ciliumAgent: [
                    "CHOWN",
                    "KILL",
                    "NET_ADMIN",
                    "NET_RAW",
                    "IPC_LOCK",
                    "SYS_ADMIN",
                    "SYS_RESOURCE",
                    "DAC_OVERRIDE",
                    "FOWNER",
                    "SETGID",
                    "SETUID",
                ],
                cleanCiliumState: ["NET_ADMIN", "SYS_ADMIN", "SYS_RESOURCE"],
            },
        },
    };
}

/** The Hetzner cloud controller: private-network mode, routes for the pod CIDR, two replicas apart. */
export function cloudControllerValues(net: BootstrapNetwork): Record<string, unknown> {
    return {
        affinity: preferApart({
            "app.kubernetes.io/instance": "hcloud-cloud-controller-manager",
            "app.kubernetes.io/name": "hcloud-cloud-controller-manager",
        }),
        networking: { clusterCIDR: net.podCidr, enabled: true },
        replicaCount: 2,
        strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }, type: "RollingUpdate" },
    };
}

/** The hardened container security context the platform gives cert-manager's containers. */
const LOCKED_DOWN = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
} as const;

/** One cert-manager component's HA settings (controller, webhook, cainjector). */
function certManagerComponent(name: string): Record<string, unknown> {
    return {
        containerSecurityContext: LOCKED_DOWN,
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        replicaCount: 2,
        strategy: ONE_AT_A_TIME,
        topologySpreadConstraints: spreadByHost({ "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/name": name }),
    };
}

/** cert-manager with its CRDs, two replicas of each component with PDBs, DNS01 over public resolvers. */
export function certManagerValues(): Record<string, unknown> {
    return {
        ...certManagerComponent("cert-manager"),
        cainjector: certManagerComponent("cainjector"),
        crds: { enabled: true },
        dns01RecursiveNameservers: "1.1.1.1:53,8.8.8.8:53,9.9.9.9:53",
        dns01RecursiveNameserversOnly: true,
        webhook: certManagerComponent("webhook"),
    };
}

/** metrics-server, two replicas with a PDB (kubelet serving certificates are approved, so no insecure TLS). */
export function metricsServerValues(): Record<string, unknown> {
    return {
        podDisruptionBudget: { enabled: true, minAvailable: 1 },
        replicas: 2,
        topologySpreadConstraints: spreadByHost({
            "app.kubernetes.io/instance": "metrics-server",
            "app.kubernetes.io/name": "metrics-server",
        }),
        updateStrategy: ONE_AT_A_TIME,
    };
}

/** hcloud-csi: two controllers apart, volumes in the cluster's location, the `hcloud` StorageClass (not default). */
export function hcloudCsiValues(net: BootstrapNetwork): Record<string, unknown> {
    return {
        controller: {
            affinity: preferApart({
                "app.kubernetes.io/component": "controller",
                "app.kubernetes.io/instance": "hcloud-csi",
                "app.kubernetes.io/name": "hcloud-csi",
            }),
            hcloudVolumeDefaultLocation: net.location,
            podDisruptionBudget: { create: true, minAvailable: 1 },
            priorityClassName: "system-cluster-critical",
            replicaCount: 2,
        },
        global: { enableProvidedByTopology: false },
        node: {
            affinity: {
                nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                        nodeSelectorTerms: [
                            {
                                matchExpressions: [
                                    { key: "instance.hetzner.cloud/is-root-server", operator: "NotIn", values: ["true"] },
                                    { key: "instance.hetzner.cloud/provided-by", operator: "Exists" },
                                    { key: "instance.hetzner.cloud/provided-by", operator: "NotIn", values: ["robot"] },
                                ],
                            },
                        ],
                    },
                },
            },
            priorityClassName: "system-node-critical",
        },
        storageClasses: [{ defaultStorageClass: false, name: "hcloud", reclaimPolicy: "Delete" }],
    };
}

/** The restricted pod security context of Kyverno's controllers. */
const RESTRICTED_POD = { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } } as const;

/** Full access to a resource, for Kyverno's generate and mutate-existing rules. */
function manage(apiGroup: string, resource: string): Record<string, unknown> {
    return { apiGroups: [apiGroup], resources: [resource], verbs: ["get", "list", "watch", "create", "update", "patch", "delete"] };
}

/** One of Kyverno's secondary controllers (background, cleanup, reports). */
function kyvernoController(component: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        podDisruptionBudget: { maxUnavailable: 1, minAvailable: null },
        podSecurityContext: RESTRICTED_POD,
        replicas: 2,
        topologySpreadConstraints: spreadByHost({ "app.kubernetes.io/component": component, "app.kubernetes.io/instance": "kyverno" }),
        ...extra,
    };
}

/** Kyverno with the platform's HA, RBAC for VPAs and Cilium policies, and its resource filters. */
export function kyvernoValues(): Record<string, unknown> {
    const policyTargets = [manage("autoscaling.k8s.io", "verticalpodautoscalers"), manage("cilium.io", "ciliumnetworkpolicies")];
    return {
        admissionController: {
            container: { resources: { limits: { memory: "1Gi" }, requests: { cpu: "100m", memory: "256Mi" } } },
            podDisruptionBudget: { enabled: true, minAvailable: 1 },
            podSecurityContext: RESTRICTED_POD,
            rbac: { clusterRole: { extraResources: policyTargets } },
            replicas: 2,
            topologySpreadConstraints: spreadByHost({
                "app.kubernetes.io/component": "admission-controller",
                "app.kubernetes.io/instance": "kyverno",
            }),
            updateStrategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 }, type: "RollingUpdate" },
        },
        backgroundController: kyvernoController("background-controller", {
            rbac: {
                clusterRole: {
                    extraResources: [
                        ...policyTargets,
                        { apiGroups: [""], resources: ["serviceaccounts"], verbs: ["get", "list", "watch", "update", "patch"] },
                    ],
                },
            },
        }),
        cleanupController: kyvernoController("cleanup-controller"),
        config: {
            resourceFiltersExclude: ["[Node,*,*]"],
            resourceFiltersInclude: [
                "[Lease,*,*]",
                "[PolicyReport,*,*]",
                "[ClusterPolicyReport,*,*]",
                "[AdmissionReport,*,*]",
                "[ClusterAdmissionReport,*,*]",
                "[BackgroundScanReport,*,*]",
                "[ClusterBackgroundScanReport,*,*]",
            ],
        },
        crds: { migration: { podSecurityContext: RESTRICTED_POD } },
        features: { backgroundScan: { skipResourceFilters: false } },
        reportsController: kyvernoController("reports-controller"),
    };
}

/** The Flux Operator without its web UI (the platform's HelmRelease turns it off). */
export function fluxOperatorValues(): Record<string, unknown> {
    return { web: { enabled: false } };
}

/**
 * The FluxInstance's patch that makes source-controller verify the synced OCI artifact with cosign
 * keyless. `spec.sync` has no verification field; the generated OCIRepository does, so the
 * instance patches it (a JSON 6902 patch; JSON is YAML, which the field expects). Exactly one
 * identity: cosign refuses a list of several.
 */
function cosignVerifyPatch(verify: CosignKeyless): KustomizePatch {
    const ops = [
        {
            op: "add",
            path: "/spec/verify",
            value: { provider: "cosign", matchOIDCIdentity: [{ issuer: verify.issuer, subject: verify.subject }] },
        },
    ];
    return { target: { kind: "OCIRepository", name: "flux-system", namespace: "flux-system" }, patch: JSON.stringify(ops) };
}

/** A JSON 6902 patch of Flux's controller Deployments, as the platform's FluxInstance patches them. */
function controllerPatch(target: Record<string, string>, ops: Record<string, unknown>[]): KustomizePatch {
    return { target: { kind: "Deployment", ...target }, patch: JSON.stringify(ops) };
}

/** The platform's patches of Flux's controllers: fast dependency requeue, two replicas, spread, ndots 1. */
function fluxControllerPatches(): KustomizePatch[] {
    const flux = { labelSelector: "app.kubernetes.io/part-of=flux" };
    const twoReplicas = [{ op: "replace", path: "/spec/replicas", value: 2 }];
    const named = (name: string) => ({ name, namespace: "flux-system" });
    return [
        controllerPatch(named("kustomize-controller"), [
            { op: "test", path: "/spec/template/spec/containers/0/name", value: "manager" },
            { op: "add", path: "/spec/template/spec/containers/0/args/-", value: "--requeue-dependency=5s" },
        ]),
        controllerPatch(named("kustomize-controller"), twoReplicas),
        controllerPatch(named("helm-controller"), twoReplicas),
        controllerPatch(named("notification-controller"), twoReplicas),
        controllerPatch(flux, [
            {
                op: "add",
                path: "/spec/template/spec/topologySpreadConstraints",
                value: spreadByHost({ "app.kubernetes.io/part-of": "flux" }),
            },
        ]),
        controllerPatch(flux, [{ op: "add", path: "/spec/template/spec/dnsConfig", value: { options: [{ name: "ndots", value: "1" }] } }]),
    ];
}

/**
 * The spec fields the platform's own FluxInstance (`infrastructure-controllers`) sets. Flux applies
 * them with server-side apply and force, so they are Flux's after adoption: the program starts with
 * the same values (shared ownership, no conflict) and ignores them afterwards (see GitopsBootstrap).
 */
export const TREE_FLUX_INSTANCE_FIELDS = ["spec.distribution", "spec.components", "spec.cluster", "spec.kustomize"] as const;

/** A kustomize patch of the FluxInstance (`spec.kustomize.patches[]`). */
interface KustomizePatch {
    readonly target: Readonly<Record<string, string>>;
    /** JSON 6902 operations as JSON (which is YAML). */
    readonly patch: string;
}

/** The FluxInstance manifest the program applies. */
export interface FluxInstanceManifest {
    readonly apiVersion: "fluxcd.controlplane.io/v1";
    readonly kind: "FluxInstance";
    readonly metadata: { readonly name: string; readonly namespace: string };
    readonly spec: {
        readonly distribution: { readonly registry: string; readonly version: string };
        readonly components: readonly string[];
        readonly cluster: { readonly multitenant: boolean; readonly networkPolicy: boolean; readonly size: string; readonly type: string };
        readonly kustomize: { readonly patches: readonly KustomizePatch[] };
        readonly sync: {
            readonly kind: string;
            readonly url: string;
            readonly ref: string;
            readonly path: string;
            readonly pullSecret?: string;
        };
    };
}

/** The FluxInstance that installs Flux and syncs the platform's source: the tree's own spec plus the sync. */
export function fluxInstance(g: GitopsConfig, pullSecret: string | undefined): FluxInstanceManifest {
    const sync = { kind: g.source.kind, url: g.source.url, ref: g.source.ref, path: g.source.path, ...(pullSecret ? { pullSecret } : {}) };
    return {
        apiVersion: "fluxcd.controlplane.io/v1",
        kind: "FluxInstance",
        metadata: { name: "flux", namespace: "flux-system" },
        spec: {
            distribution: { registry: "ghcr.io/fluxcd", version: g.fluxVersion },
            components: ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"],
            cluster: { multitenant: false, networkPolicy: true, size: "large", type: "kubernetes" },
            kustomize: { patches: [...fluxControllerPatches(), ...(g.source.verify ? [cosignVerifyPatch(g.source.verify)] : [])] },
            sync,
        },
    };
}
