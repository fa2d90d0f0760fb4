import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { ClusterConfig, PUBLIC_NIC_BUS_PATH } from "../../config/cluster";
import { TalosPatchFile, patchFilesFor } from "../../config/talosPatches";
import { NodeRole } from "./naming";

export { PUBLIC_NIC_BUS_PATH };
/** KubePrism's local port; Cilium reaches the API through it (k8sServiceHost localhost:7445). */
export const KUBEPRISM_PORT = 7445;

/** Inputs of a node's own (program-written) patches. */
export interface MachinePatchArgs {
    /** Validated cluster config. */
    readonly cluster: ClusterConfig;
    /**
     * The node: its role, and its name (= server name = hostname). No name: an autoscaled worker,
     * whose name Hetzner's metadata gives (the cluster autoscaler picks it).
     */
    readonly node: { readonly role: NodeRole; readonly name?: string };
    /** Extra names and addresses the API server certificate must cover (endpoint IP, API DNS name). */
    readonly certSans: readonly string[];
    /**
     * Floating-IP endpoint only: Talos runs a VIP on the control planes and moves the Hetzner
     * floating IP to the leader through the Hetzner API, with this token.
     */
    readonly vip?: { readonly ip: string; readonly hcloudToken: string };
}

/** One patch file as `talosctl gen config --config-patch` reads it, in the order they apply. */
export interface TalosPatch {
    /** Where it comes from: `platform:cluster/enable-apparmor.yaml`, or `program:<name>`. */
    readonly source: string;
    /** The patch (YAML or JSON, one or more documents); secret when it carries a secret. */
    readonly text: pulumi.Input<string>;
}

/** A patch the program writes: its name and its documents (plain objects, so they are tested without talosctl). */
export interface ProgramPatch {
    readonly name: string;
    /** What it sets, in a few words (the rehearsal lists it). */
    readonly summary: string;
    readonly documents: readonly Record<string, unknown>[];
}

function talosAtLeast(talosVersion: string, major: number, minor: number): boolean {
    const [ma, mi] = talosVersion.replace(/^v/, "").split(".").map(Number);
    return ma > major || (ma === major && mi >= minor);
}

/**
 * The strategic-merge patch Talos applies over its generated config for one node: the platform's
 * requirements (no CNI, no kube-proxy, KubePrism, external cloud provider, both NICs by bus path).
 * A plain object, so it is tested without talosctl.
 *
 * NICs are selected by PCI bus path, never by name: booted from the ISO, Talos runs as the metal
 * platform and names them enp1s0/enp7s0; booted from a snapshot it runs as the hcloud platform,
 * which sets net.ifnames=0 (eth0/eth1) and configures only the public NIC from Hetzner's metadata.
 * The bus path is the same in both. The private NIC is configured explicitly on both paths:
 * kubelet (validSubnets), etcd (advertisedSubnets) and the load balancer's private targets need
 * its address, and Talos's fallback DHCP on unconfigured links stops as soon as any network
 * config document is added, so the cluster must not depend on it.
 *
 * Deprecated `machine.network` on purpose: Talos 1.13 has link documents (LinkAliasConfig by bus
 * path, DHCPv4Config, HCloudVIPConfig) for the NICs and the VIP, but the platform's own WireGuard
 * patch (control-planes/wireguard.yaml) configures wg0 as a `machine.network.interfaces` entry.
 * Talos merges all interfaces into one list; describing two of a node's links in the new documents
 * and the third in the old list would split one node's network between two mechanisms whose mix
 * the platform has never run. The hostname, which the platform does set in the new form
 * (use-platform-hostname.yaml), is in a HostnameConfig document (hostnamePatch).
 */
export function machineConfigPatch(args: MachinePatchArgs): Record<string, unknown> {
    const { cluster, node, certSans, vip } = args;
    const controlPlane = node.role === "control-plane";
    const publicInterface: Record<string, unknown> = { deviceSelector: { busPath: PUBLIC_NIC_BUS_PATH }, dhcp: true };
    if (controlPlane && vip) {
        publicInterface.vip = { ip: vip.ip, hcloud: { apiToken: vip.hcloudToken } };
    }
    // Hetzner's DHCP on the private network hands out the server's fixed private IP (naming.ts).
    const privateInterface = { deviceSelector: { busPath: cluster.network.privateNicBusPath }, dhcp: true };
    const clusterPatch: Record<string, unknown> = {
        network: { cni: { name: "none" }, podSubnets: [cluster.network.podCidr], serviceSubnets: [cluster.network.serviceCidr] },
        proxy: { disabled: true },
        // Nodes stay tainted node.cloudprovider.kubernetes.io/uninitialized until the Hetzner cloud
        // controller initializes them; PreFluxComponents installs it right after Cilium
        // (a Helm release Flux adopts, not Talos manifests: see gitops/preFluxComponents.ts).
        externalCloudProvider: { enabled: true },
    };
    if (controlPlane) {
        clusterPatch.apiServer = { certSANs: [...certSans] };
        // etcd peers talk over the private network, never over the public NIC.
        clusterPatch.etcd = { advertisedSubnets: [cluster.network.subnetCidr] };
    }
    const legacyHostname = node.name && !talosAtLeast(cluster.talosVersion, 1, 12) ? { hostname: node.name } : {};
    return {
        machine: {
            certSANs: [...certSans],
            network: { ...legacyHostname, interfaces: [publicInterface, privateInterface] },
            // As ksail writes it beside externalCloudProvider.
            kubelet: { extraArgs: { "cloud-provider": "external" }, nodeIP: { validSubnets: [cluster.network.subnetCidr] } },
            features: { kubePrism: { enabled: true, port: KUBEPRISM_PORT } },
            install: { disk: "/dev/sda", image: cluster.installerImage },
        },
        cluster: clusterPatch,
    };
}

/**
 * The node's name, Talos 1.12 and later (older releases take `machine.network.hostname`, above).
 *
 * Conflict with the platform's cluster/use-platform-hostname.yaml (`HostnameConfig`, `auto: off`),
 * resolved on purpose: that patch means "the Hetzner server name, never Talos's generated one";
 * but ISO-booted nodes run as the metal platform, with no metadata to take a name from, and Talos
 * refuses `auto: off` without a hostname. So this document, applied after the platform's (the
 * same singleton document, merged), names the node after its server, which is what the patch
 * intends and what the Hetzner cloud controller matches; `auto` stays `off`, because Talos refuses
 * a hostname beside any other value (talosctl generates `auto: stable`).
 *
 * An autoscaled worker has no name yet: the document is deleted (`$patch: delete`), as ksail
 * removes it, and the node takes its server name from Hetzner's metadata (it boots the hcloud
 * snapshot), which is again what the platform's patch intends.
 */
export function hostnamePatch(talosVersion: string, hostname: string | undefined): Record<string, unknown> | undefined {
    if (!talosAtLeast(talosVersion, 1, 12)) {
        return undefined;
    }
    return hostname
        ? { apiVersion: "v1alpha1", kind: "HostnameConfig", hostname, auto: "off" }
        : { apiVersion: "v1alpha1", kind: "HostnameConfig", $patch: "delete" };
}

/** Protocol, ports and sources of one ingress rule. */
function rule(name: string, protocol: "tcp" | "udp", ports: (number | string)[], subnets: readonly string[]): Record<string, unknown> {
    return {
        apiVersion: "v1alpha1",
        kind: "NetworkRuleConfig",
        name,
        portSelector: { ports, protocol },
        ingress: subnets.map((subnet) => ({ subnet })),
    };
}

/**
 * ksail's default ingress firewall, added unless the patch directory has ksail's own three
 * firewall files: ingress blocked by default; control planes admit etcd, kubelet, trustd and
 * Cilium VXLAN from the private network, and apid and the API from the firewall's sources; workers
 * admit kubelet and VXLAN from the private network, and apid from the private network and the
 * firewall's sources.
 *
 * Conflicts with the platform's own rules (block-ingress-by-default.yaml and the allow-*.yaml
 * NetworkRuleConfigs), resolved on purpose: NetworkDefaultActionConfig is one document, and both
 * say `block`, so they merge to the same thing; rules are allow-lists with other names, so a node
 * admits the union, as prod does today under ksail. The rules are consolidated per protocol and
 * source set (ksail's ports, fewer rules): the platform warns that a large rule count makes Talos's
 * nftables flush fail with ENOBUFS and the node hang while booting.
 *
 * One deliberate difference from ksail: workers also admit apid (50000) from the firewall's
 * sources, because this program's own talosctl steps (upgrades, node-loss checks) reach workers
 * from the operator's machine; the Hetzner firewall already admits only those sources.
 */
export function ingressFirewallPatch(cluster: ClusterConfig, role: NodeRole): ProgramPatch {
    const internal = [cluster.network.cidr];
    const operators = cluster.firewall.openToWorld ? ["0.0.0.0/0", "::/0"] : [...cluster.firewall.sources];
    const documents: Record<string, unknown>[] = [{ apiVersion: "v1alpha1", kind: "NetworkDefaultActionConfig", ingress: "block" }];
    if (role === "control-plane") {
        documents.push(
            rule("ksail-default-control-plane-internal-tcp", "tcp", ["2379-2380", 10250, 50001], internal),
            rule("ksail-default-control-plane-internal-udp", "udp", [8472], internal),
            rule("ksail-default-control-plane-apid-api", "tcp", [6443, 50000], operators),
        );
    } else {
        documents.push(
            rule("ksail-default-worker-internal-tcp", "tcp", [10250, 50000], internal),
            rule("ksail-default-worker-internal-udp", "udp", [8472], internal),
            ...(operators.length ? [rule("ksail-default-worker-apid", "tcp", [50000], operators)] : []),
        );
    }
    return { name: "ingress-firewall", summary: "ksail's default ingress firewall: block, then its allow rules", documents };
}

/** kubelet-serving-cert-approver (github.com/alex1989hu/kubelet-serving-cert-approver), the release the platform's Flux tree installs. */
const KUBELET_CERT_APPROVER = Object.freeze({
    name: "kubelet-serving-cert-approver",
    namespace: "kubelet-serving-cert-approver",
    image: "ghcr.io/alex1989hu/kubelet-serving-cert-approver:0.11.0",
});

/**
 * The approver as Kubernetes objects: it approves kubelets' `kubernetes.io/kubelet-serving` CSRs
 * (nothing else), so kubelets serve a cluster-signed certificate the metrics server can verify.
 * Object names and labels are the upstream manifest's, so the platform's Flux Kustomization
 * (infrastructure/controllers/kubelet-serving-cert-approver, the upstream HA install) takes them over
 * in place: Talos applies inline manifests at bootstrap only, and never fights Flux afterwards.
 */
export function kubeletCertApproverObjects(): Record<string, unknown>[] {
    const { name, namespace, image } = KUBELET_CERT_APPROVER;
    const labels = { "app.kubernetes.io/instance": name, "app.kubernetes.io/name": name };
    const restricted = { "pod-security.kubernetes.io/enforce": "restricted" };
    return [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels: { ...labels, ...restricted } } },
        { apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace, labels } },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRole",
            metadata: { name: `certificates:${name}`, labels },
            rules: [
                { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests"], verbs: ["get", "list", "watch"] },
                { apiGroups: ["certificates.k8s.io"], resources: ["certificatesigningrequests/approval"], verbs: ["update"] },
                { apiGroups: ["authorization.k8s.io"], resources: ["subjectaccessreviews"], verbs: ["create"] },
                {
                    apiGroups: ["certificates.k8s.io"],
                    resources: ["signers"],
                    resourceNames: ["kubernetes.io/kubelet-serving"],
                    verbs: ["approve"],
                },
            ],
        },
        {
            apiVersion: "rbac.authorization.k8s.io/v1",
            kind: "ClusterRoleBinding",
            metadata: { name, labels },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `certificates:${name}` },
            subjects: [{ kind: "ServiceAccount", name, namespace }],
        },
        {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name, namespace, labels },
            spec: {
                replicas: 1,
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        serviceAccountName: name,
                        priorityClassName: "system-cluster-critical",
                        // Before the cloud controller runs every node is tainted uninitialized, and
                        // before Cilium none is Ready: the approver must start as soon as the API does.
                        tolerations: [
                            { key: "node.cloudprovider.kubernetes.io/uninitialized", operator: "Exists", effect: "NoSchedule" },
                            { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
                        ],
                        securityContext: {
                            runAsNonRoot: true,
                            runAsUser: 65534,
                            runAsGroup: 65534,
                            seccompProfile: { type: "RuntimeDefault" },
                        },
                        containers: [
                            {
                                name: "cert-approver",
                                image,
                                args: ["serve"],
                                env: [{ name: "NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }],
                                ports: [
                                    { name: "health", containerPort: 8080 },
                                    { name: "metrics", containerPort: 9090 },
                                ],
                                readinessProbe: { httpGet: { path: "/readyz", port: "health" } },
                                livenessProbe: { httpGet: { path: "/healthz", port: "health" } },
                                resources: { requests: { cpu: "10m", memory: "18Mi" }, limits: { memory: "32Mi" } },
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    readOnlyRootFilesystem: true,
                                    capabilities: { drop: ["ALL"] },
                                },
                            },
                        ],
                    },
                },
            },
        },
    ];
}

/**
 * ksail's kubelet serving-certificate rotation, added (because the metrics server is installed)
 * unless the patch directory has ksail's own two files: kubelets rotate their serving certificate
 * through a CSR, and the approver, an inline manifest on the control planes (`cluster.*` only takes
 * effect there; it also keeps the autoscaler's worker config small), approves it. The platform's
 * rotate-server-certificates.yaml sets the same kubelet flag to the same value: no conflict.
 */
function kubeletCertRotationPatch(role: NodeRole): ProgramPatch {
    const document: Record<string, unknown> = { machine: { kubelet: { extraArgs: { "rotate-server-certificates": "true" } } } };
    if (role === "control-plane") {
        document.cluster = {
            inlineManifests: [
                {
                    name: KUBELET_CERT_APPROVER.name,
                    contents: kubeletCertApproverObjects()
                        .map((o) => stringify(o))
                        .join("---\n"),
                },
            ],
        };
    }
    return {
        name: "kubelet-cert-rotation",
        summary: `kubelet serving-certificate rotation${role === "control-plane" ? ", the approver as an inline manifest" : ""}`,
        documents: [document],
    };
}

/**
 * The program's own patches for one node, in the order they apply (after the platform's): its
 * machine settings, its name, then ksail's additions. Plain documents, tested against Talos's schema.
 */
export function programPatches(args: MachinePatchArgs): ProgramPatch[] {
    const { cluster, node } = args;
    const hostname = hostnamePatch(cluster.talosVersion, node.name);
    const patches = cluster.talosPatches;
    return [
        {
            name: "machine",
            summary: `NICs by bus path with DHCP${node.role === "control-plane" && args.vip ? ", the floating-IP VIP" : ""}, KubePrism, certSANs, install image, no CNI or kube-proxy`,
            documents: [machineConfigPatch(args)],
        },
        ...(hostname
            ? [
                  {
                      name: "hostname",
                      summary: node.name
                          ? "HostnameConfig: the server's name, auto off"
                          : "HostnameConfig deleted: the name comes from Hetzner's metadata",
                      documents: [hostname],
                  },
              ]
            : []),
        ...(patches.ownIngressFirewall ? [] : [ingressFirewallPatch(cluster, node.role)]),
        ...(patches.ownKubeletCertRotation ? [] : [kubeletCertRotationPatch(node.role)]),
    ];
}

/**
 * Snapshot boot only: `machine.install` applies when Talos installs or upgrades, and a node booted
 * from the snapshot is installed already, so kernel arguments from the patches (AppArmor) are not
 * in effect until its first upgrade. Undefined when that does not apply.
 */
export function snapshotKernelArgsWarning(cluster: ClusterConfig): string | undefined {
    const files = cluster.talosPatches.files.filter((f) => f.setsKernelArgs).map((f) => f.file);
    if (cluster.boot.mode !== "snapshot" || !files.length) {
        return undefined;
    }
    return `${files.join(", ")} set${files.length === 1 ? "s" : ""} machine.install.extraKernelArgs, which take effect only when Talos installs or upgrades: nodes booted from the snapshot run without them until their first upgrade, unless the snapshot was built from an image whose schematic carries the same kernel arguments`;
}

/** A program patch as the text talosctl reads (JSON documents, which YAML reads too). */
function programPatchText(patch: ProgramPatch): string {
    return patch.documents.map((d) => JSON.stringify(d)).join("\n---\n");
}

function platformPatch(file: TalosPatchFile): TalosPatch {
    return { source: `platform:${file.file}`, text: file.text };
}

/** Inputs of a node's whole patch list: the endpoint-dependent parts may still be unresolved. */
export interface NodePatchArgs {
    readonly cluster: ClusterConfig;
    readonly node: MachinePatchArgs["node"];
    readonly certSans: pulumi.Input<readonly string[]>;
    readonly vip?: pulumi.Input<MachinePatchArgs["vip"]>;
}

/**
 * Every patch of one node, in the order talosctl applies them: the platform's `cluster/` files,
 * then its `control-planes/` or `workers/` files (each in lexical order), then the program's own
 * (programPatches). Which patches a node gets depends on config and its role only; a node replaced
 * after a loss gets exactly this list again.
 */
export function nodePatches(args: NodePatchArgs): TalosPatch[] {
    const { cluster, node } = args;
    const platform = patchFilesFor(cluster.talosPatches, node.role).map(platformPatch);
    const own = pulumi
        .all([args.certSans, args.vip])
        .apply(([certSans, vip]) => programPatches({ cluster, node, certSans, vip }).map(programPatchText));
    // The list of the program's patches does not depend on the endpoint, only their content does.
    const names = programPatches({ cluster, node, certSans: [] }).map((p) => p.name);
    return [...platform, ...names.map((name, i) => ({ source: `program:${name}`, text: own.apply((texts) => texts[i]) }))];
}

/**
 * The environment the config-generation script reads the patches from: CONFIG_PATCH_COUNT and
 * CONFIG_PATCH_1..n, each one patch file, in order. Every patch is secret: the platform's carry
 * expanded credentials, the program's the Hetzner token (VIP).
 */
export function talosPatchEnvironment(patches: readonly TalosPatch[]): Record<string, pulumi.Input<string>> {
    const env: Record<string, pulumi.Input<string>> = { CONFIG_PATCH_COUNT: String(patches.length) };
    patches.forEach((p, i) => {
        env[`CONFIG_PATCH_${i + 1}`] = pulumi.secret(p.text);
    });
    return env;
}
