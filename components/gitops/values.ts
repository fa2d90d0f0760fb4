import { CosignKeyless, GitopsConfig } from "../../config/gitops";
import { KUBEPRISM_PORT } from "../cluster/talosPatches";

/** Cilium's values for Talos: the platform's choices (kube-proxy replacement through KubePrism). */
export function ciliumValues(podCidr: string): Record<string, unknown> {
    return {
        kubeProxyReplacement: true,
        ipam: { mode: "kubernetes" },
        k8sServiceHost: "localhost",
        k8sServicePort: KUBEPRISM_PORT,
        gatewayAPI: { enabled: true },
        encryption: { enabled: true, type: "wireguard" },
        ipv4NativeRoutingCIDR: podCidr,
        // Talos: no SYS_MODULE, cgroups already mounted.
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
        cgroup: { autoMount: { enabled: false }, hostRoot: "/sys/fs/cgroup" },
    };
}

/**
 * The FluxInstance's patch that makes source-controller verify the synced OCI artifact with cosign
 * keyless. `spec.sync` has no verification field; the generated OCIRepository does, so the
 * instance patches it (a JSON 6902 patch; JSON is YAML, which the field expects).
 */
export function cosignVerifyPatch(verify: CosignKeyless): { target: { kind: string }; patch: string } {
    const ops = [
        {
            op: "add",
            path: "/spec/verify",
            value: { provider: "cosign", matchOIDCIdentity: [{ issuer: verify.issuer, subject: verify.subject }] },
        },
    ];
    return { target: { kind: "OCIRepository" }, patch: JSON.stringify(ops) };
}

/** The FluxInstance that installs Flux and syncs the platform's source. */
export function fluxInstance(g: GitopsConfig, pullSecret: string | undefined): Record<string, any> {
    const sync: Record<string, unknown> = { kind: g.source.kind, url: g.source.url, ref: g.source.ref, path: g.source.path };
    if (pullSecret) {
        sync.pullSecret = pullSecret;
    }
    const verify = g.source.verify ? { kustomize: { patches: [cosignVerifyPatch(g.source.verify)] } } : {};
    return {
        apiVersion: "fluxcd.controlplane.io/v1",
        kind: "FluxInstance",
        metadata: { name: "flux", namespace: "flux-system" },
        spec: {
            distribution: {
                version: g.fluxVersion,
                registry: "ghcr.io/fluxcd",
                artifact: "oci://ghcr.io/controlplaneio-fluxcd/flux-operator-manifests",
            },
            components: ["source-controller", "kustomize-controller", "helm-controller", "notification-controller"],
            cluster: { type: "kubernetes", networkPolicy: true, domain: "cluster.local" },
            sync,
            ...verify,
        },
    };
}
