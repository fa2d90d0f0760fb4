/**
 * Which Kubernetes versions each Talos minor release supports, and the version arithmetic the
 * upgrade checks share. Facts from the Talos support matrix, each page listing its release and the one
 * before: https://docs.siderolabs.com/talos/v1.13/getting-started/support-matrix (1.13: Kubernetes 1.31
 * to 1.36; 1.12: 1.30 to 1.35) and https://www.talos.dev/v1.12/introduction/support-matrix (1.11: 1.29
 * to 1.34). Only rows read from those pages are here; add one (from its page) when a Talos minor is
 * released. Upgrades go one minor at a time, so older rows are never needed by a running cluster.
 */

/** A parsed release tag `vMAJOR.MINOR.PATCH[-pre]`. */
export interface ReleaseVersion {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** Pre-release suffix (`beta.1`), or undefined for a release. */
    readonly pre?: string;
}

/** Kubernetes minors (of major 1) supported by each Talos 1.x minor, lowest and highest. */
export const TALOS_KUBERNETES_SUPPORT: Readonly<Record<string, { readonly lowest: number; readonly highest: number }>> = Object.freeze({
    "1.11": { lowest: 29, highest: 34 },
    "1.12": { lowest: 30, highest: 35 },
    "1.13": { lowest: 31, highest: 36 },
});

/** Parses `v1.13.8` or `v1.14.0-beta.1`; undefined for anything else. */
export function parseReleaseVersion(tag: string): ReleaseVersion | undefined {
    const m = /^v(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(tag);
    return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre: m[4] } : undefined;
}

/** `1.13` of `v1.13.8`. */
function minorOf(v: ReleaseVersion): string {
    return `${v.major}.${v.minor}`;
}

/** The Kubernetes range the Talos release `talos` supports, or undefined when the table does not know its minor. */
export function kubernetesSupport(talos: ReleaseVersion): { readonly lowest: string; readonly highest: string } | undefined {
    const row = TALOS_KUBERNETES_SUPPORT[minorOf(talos)];
    return row ? { lowest: `1.${row.lowest}`, highest: `1.${row.highest}` } : undefined;
}

/**
 * Why Kubernetes `kubernetesVersion` cannot run on Talos `talosVersion`, or undefined when the
 * pair is supported. Both tags are already known to be well-formed.
 */
export function unsupportedPair(talosVersion: string, kubernetesVersion: string): string | undefined {
    const talos = parseReleaseVersion(talosVersion);
    const kube = parseReleaseVersion(kubernetesVersion);
    if (!talos || !kube) {
        return undefined; // the format check reports these
    }
    const range = kubernetesSupport(talos);
    if (!range) {
        const known = Object.keys(TALOS_KUBERNETES_SUPPORT);
        return `cannot be checked against talosVersion ${talosVersion}: this program knows the Kubernetes support of Talos ${known[0]} to ${known[known.length - 1]} only. Add Talos ${minorOf(talos)}'s row from its support matrix to config/talosSupport.ts`;
    }
    if (kube.major !== 1 || kube.minor < Number(range.lowest.split(".")[1]) || kube.minor > Number(range.highest.split(".")[1])) {
        return `is not supported by talosVersion ${talosVersion}: Talos ${minorOf(talos)} runs Kubernetes ${range.lowest} to ${range.highest} (Talos support matrix)`;
    }
    return undefined;
}
