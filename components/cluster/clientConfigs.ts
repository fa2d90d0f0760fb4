import { parse, stringify } from "yaml";

/** The Kubernetes API port on the stable endpoint. */
export const KUBE_API_PORT = 6443;

/** `https://<host>:6443`: the address every client and every machine config uses. */
export function apiUrl(host: string): string {
    return `https://${host}:${KUBE_API_PORT}`;
}

interface KubeconfigDoc {
    clusters?: { name: string; cluster: { server?: string } }[];
}

/**
 * Points every cluster entry of a kubeconfig at the stable endpoint. talosctl writes the URL it
 * was given at generation time; clients (and the KUBE_CONFIG CI secret) must use the stable name.
 */
export function rewriteKubeconfigServer(kubeconfig: string, server: string): string {
    const doc = parse(kubeconfig) as KubeconfigDoc | null;
    if (!doc || !Array.isArray(doc.clusters) || doc.clusters.length === 0) {
        throw new Error("talosctl returned a kubeconfig without clusters");
    }
    for (const entry of doc.clusters) {
        entry.cluster.server = server;
    }
    return stringify(doc);
}

interface TalosconfigDoc {
    context?: string;
    contexts?: Record<string, { endpoints?: string[]; nodes?: string[] }>;
}

/**
 * Sets the talosconfig's endpoints and nodes to the control planes' own IPs. Never a VIP or a
 * floating IP: apid must reach a node directly, and the VIP is down exactly when you need talosctl.
 */
export function rewriteTalosconfigEndpoints(talosconfig: string, controlPlaneIps: readonly string[]): string {
    const doc = parse(talosconfig) as TalosconfigDoc | null;
    const context = doc?.context;
    if (!doc || !context || !doc.contexts?.[context]) {
        throw new Error("talosctl returned a talosconfig without its current context");
    }
    doc.contexts[context].endpoints = [...controlPlaneIps];
    doc.contexts[context].nodes = [...controlPlaneIps];
    return stringify(doc);
}
