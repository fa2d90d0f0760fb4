import { ClusterConfig, HETZNER_LOCATIONS, HETZNER_SERVER_TYPES } from "./cluster";
import { CompactRecord, ConfigReader } from "./reader";

/**
 * The Cluster Autoscaler as the platform's ksail.prod.yaml runs it (`spec.cluster.autoscaler.node`):
 * pools of autoscaled workers booted from a Talos snapshot, and the teardown of what it creates.
 */

/** Server slots kept free of the reachable total: the Talos snapshot build boots one temporary server (ksail#6172). */
const SNAPSHOT_BUILD_SERVER_RESERVE = 1;
/** The label ksail stamps on autoscaled nodes; a pool may not set it itself. */
export const AUTOSCALED_NODE_LABEL = "ksail.io/autoscaled";

/**
 * Expanders the Hetzner provider can run without more config than this program writes.
 * `price` needs a pricing API Hetzner's provider does not implement (the autoscaler crashes at
 * start); `priority` and `grpc` need a ConfigMap or a server the program does not create.
 */
const EXPANDERS: Readonly<Record<string, string | undefined>> = Object.freeze({
    "least-waste": undefined,
    "least-nodes": undefined,
    "most-pods": undefined,
    random: undefined,
    price: "the Hetzner provider implements no pricing API, so the autoscaler would crash at start (ksail refuses Price with Hetzner too)",
    priority: "it needs the cluster-autoscaler-priority-expander ConfigMap, which this program does not write",
    grpc: "it needs an external gRPC expander server, which this program does not run",
});

/** One Kubernetes taint, as the autoscaler's nodeConfigs and Talos's machine.nodeTaints take it. */
interface NodeTaint {
    readonly key: string;
    /** Empty for a taint without value. */
    readonly value: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** One pool of autoscaled workers (an `autoscalingGroups` entry). */
export interface AutoscalerPool {
    /** Pool name; Hetzner labels its servers `hcloud/node-group=<name>`. */
    readonly name: string;
    /** Hetzner server type, same CPU architecture as the control planes. */
    readonly serverType: string;
    /** Hetzner location, in the cluster's network zone. */
    readonly location: string;
    /** Fewest servers. */
    readonly min: number;
    /** Most servers. */
    readonly max: number;
    /** Node labels of the pool's nodes (besides ksail.io/autoscaled=true). */
    readonly labels: Readonly<Record<string, string>>;
    /** Taints of the pool's nodes. */
    readonly taints: readonly NodeTaint[];
}

/** The Cluster Autoscaler's config; `pools` empty means no autoscaler is installed. */
export interface AutoscalerConfig {
    /** The pools; empty: no autoscaler, no snapshot, no Secret. The teardown still runs. */
    readonly pools: readonly AutoscalerPool[];
    /** `--max-nodes-total`: every node counted, static ones included; 0 = no cap. */
    readonly maxNodesTotal: number;
    /** `--expander`, in priority order (e.g. least-nodes,least-waste). */
    readonly expanders: readonly string[];
    /** `--scale-down-unneeded-time` (Go duration, e.g. 10m). */
    readonly scaleDownUnneededTime: string;
    /** The CapacityBuffer controller and pod injection (the CRD is installed before Flux). */
    readonly capacityBuffers: boolean;
    /** cluster-autoscaler chart version. */
    readonly chartVersion: string;
    /** Deadline of the Talos snapshot build (temporary server, image write, snapshot). */
    readonly snapshotTimeoutSeconds: number;
    /** `pulumi destroy` also deletes this cluster's Talos snapshots (label ksail.io/cluster). */
    readonly teardownDeletesSnapshots: boolean;
    /** Talos image architecture of the snapshot (the control planes' one). */
    readonly architecture: "amd64" | "arm64";
}

/** A Kubernetes/Hetzner DNS label. */
const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
/** A Kubernetes label key: optional DNS-subdomain prefix, then a name of at most 63 characters. */
const LABEL_KEY = /^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
/** A Kubernetes label value (may be empty). */
const LABEL_VALUE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
/** A Go duration as the autoscaler flag takes it (10m, 1h30m, 90s). */
const DURATION = /^(\d+h)?(\d+m)?(\d+s)?$/;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"] as const;
const POOL_FIELDS = ["serverType", "location", "min", "max", "labels", "taints"] as const;

/** `k=v,k2=v2` into labels, or what is wrong. */
function parsePoolLabels(text: string): Record<string, string> | string {
    const labels: Record<string, string> = {};
    for (const item of text.split(",")) {
        const eq = item.indexOf("=");
        const key = eq < 0 ? item : item.slice(0, eq);
        const value = eq < 0 ? "" : item.slice(eq + 1);
        if (eq < 0 || !LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
            return `has label "${item}", which is not key=value with a Kubernetes label key and value`;
        }
        if (key === AUTOSCALED_NODE_LABEL) {
            return `sets ${AUTOSCALED_NODE_LABEL}, which every autoscaled node gets (=true) anyway`;
        }
        labels[key] = value;
    }
    return labels;
}

/** `key=value:Effect,key2:Effect` into taints, or what is wrong. */
function parsePoolTaints(text: string): NodeTaint[] | string {
    const taints: NodeTaint[] = [];
    for (const item of text.split(",")) {
        const m = /^([^=:]+)(?:=([^:]*))?:([A-Za-z]+)$/.exec(item);
        const effect = m?.[3] as NodeTaint["effect"] | undefined;
        if (!m || !LABEL_KEY.test(m[1]) || !LABEL_VALUE.test(m[2] ?? "") || !effect || !TAINT_EFFECTS.includes(effect)) {
            return `has taint "${item}", which is not key[=value]:Effect with Effect one of ${TAINT_EFFECTS.join(", ")}`;
        }
        taints.push({ key: m[1], value: m[2] ?? "", effect });
    }
    return taints;
}

function nonNegativeInteger(text: string | undefined, fallback: number): number | undefined {
    if (text === undefined) {
        return fallback;
    }
    return /^\d+$/.test(text) ? Number(text) : undefined;
}

/** One `autoscalerPools` entry into a pool, or what is wrong with it (checks that need no other key). */
function parsePool(entry: CompactRecord, defaultLocation: string): AutoscalerPool | string {
    const f = entry.fields;
    if (!DNS_LABEL.test(entry.id)) {
        return `name "${entry.id}" must be a DNS label (lower-case letters, digits and '-', at most 63 characters): Hetzner and Kubernetes label values carry it`;
    }
    if (!f.serverType) {
        return "needs serverType=<Hetzner server type>, e.g. serverType=cx43";
    }
    const min = nonNegativeInteger(f.min, 0);
    const max = nonNegativeInteger(f.max, NaN);
    if (min === undefined || max === undefined || Number.isNaN(max)) {
        return `needs min=<n> (default 0) and max=<n>, whole numbers (min=${f.min ?? "(unset)"}, max=${f.max ?? "(unset)"})`;
    }
    if (max < 1) {
        return `has max=${max}: a pool must be able to hold at least one server (remove the pool instead)`;
    }
    if (min > max) {
        return `has min=${min} greater than max=${max}`;
    }
    const labels = f.labels === undefined ? {} : parsePoolLabels(f.labels);
    if (typeof labels === "string") {
        return labels;
    }
    const taints = f.taints === undefined ? [] : parsePoolTaints(f.taints);
    if (typeof taints === "string") {
        return taints;
    }
    return { name: entry.id, serverType: f.serverType, location: f.location ?? defaultLocation, min, max, labels, taints };
}

/** The Talos image architecture of a Hetzner server type's CPU. */
function talosArchitecture(serverArchitecture: "x86" | "arm"): "amd64" | "arm64" {
    return serverArchitecture === "arm" ? "arm64" : "amd64";
}

/** What is wrong with a pool given the cluster (server type, architecture, network zone), or undefined. */
function checkPoolAgainstCluster(pool: AutoscalerPool, cluster: ClusterConfig): string | undefined {
    const arch = Object.hasOwn(HETZNER_SERVER_TYPES, pool.serverType) ? HETZNER_SERVER_TYPES[pool.serverType] : undefined;
    if (!arch) {
        return `has serverType=${pool.serverType}, which is not a Hetzner server type this program knows (${Object.keys(HETZNER_SERVER_TYPES).join(", ")})`;
    }
    const image = talosArchitecture(cluster.controlPlane.architecture);
    if (arch !== cluster.controlPlane.architecture) {
        const why = pool.serverType.startsWith("cax")
            ? `serverType=${pool.serverType} is an Arm (cax) type, but the autoscaler's Talos snapshot is ${image} (the control planes are ${cluster.controlPlane.serverType})`
            : `serverType=${pool.serverType} is ${arch}, but the control planes (${cluster.controlPlane.serverType}) and the Talos snapshot are ${image}`;
        return `${why}: its servers could not boot the snapshot; use a ${image === "amd64" ? "cx/cpx/ccx" : "cax"} type`;
    }
    const zone = Object.hasOwn(HETZNER_LOCATIONS, pool.location) ? HETZNER_LOCATIONS[pool.location] : undefined;
    if (!zone) {
        return `has location=${pool.location}, which is not a Hetzner location (${Object.keys(HETZNER_LOCATIONS).join(", ")})`;
    }
    if (zone !== cluster.networkZone) {
        return `has location=${pool.location} in network zone ${zone}, but the cluster's subnet is in ${cluster.networkZone}: its servers could not join ${cluster.name}-network`;
    }
    return undefined;
}

/** The capacity figures of ksail#6172: what the cluster can grow to, and what the account allows. */
interface ReachableTotal {
    readonly baseline: number;
    readonly poolCapacity: number;
    /** Static nodes plus pool maxima, clamped by maxNodesTotal (never below the static nodes). */
    readonly reachable: number;
    /** serverLimit minus the slot reserved for the snapshot build. */
    readonly usable: number;
}

/**
 * The reachable total as ksail#6172 computes it: control planes + workers + the pools' maxima,
 * clamped to max(maxNodesTotal, control planes + workers) when maxNodesTotal is set.
 */
export function reachableTotal(cluster: ClusterConfig, pools: readonly AutoscalerPool[], maxNodesTotal: number): ReachableTotal {
    const baseline = cluster.controlPlane.count + cluster.workers.count;
    const poolCapacity = pools.reduce((n, p) => n + p.max, 0);
    let reachable = baseline + poolCapacity;
    if (maxNodesTotal > 0 && maxNodesTotal < reachable) {
        reachable = Math.max(maxNodesTotal, baseline);
    }
    return { baseline, poolCapacity, reachable, usable: cluster.serverLimit - SNAPSHOT_BUILD_SERVER_RESERVE };
}

/** Reads and validates the autoscaler keys against the cluster. Problems go to the reader's collector. */
export function readAutoscalerConfig(r: ConfigReader, cluster: ClusterConfig): AutoscalerConfig {
    const pools = r.recordList("autoscalerPools", {
        fields: POOL_FIELDS,
        parse: (entry) => parsePool(entry, cluster.location),
    });
    const valid: AutoscalerPool[] = [];
    pools.forEach((pool, i) => {
        const why = checkPoolAgainstCluster(pool, cluster);
        if (why) {
            r.problem(`autoscalerPools[${i}]`, pool.name, why);
        } else if (pools.findIndex((p) => p.name === pool.name) !== i) {
            r.problem(
                `autoscalerPools[${i}]`,
                pool.name,
                `repeats pool name ${pool.name}; each pool needs its own name (Hetzner labels its servers hcloud/node-group=<name>)`,
            );
        } else {
            valid.push(pool);
        }
    });

    const maxNodesTotal = r.integer("autoscalerMaxNodesTotal", { min: 0 });
    const expanderText = r.string("autoscalerExpander");
    const entries = expanderText.split(",").map((e) => e.trim());
    if (entries.includes("")) {
        r.problem("autoscalerExpander", expanderText, "has an empty entry (a stray comma)");
    }
    const expanders = entries.filter(Boolean);
    for (const e of expanders) {
        if (!Object.hasOwn(EXPANDERS, e)) {
            r.problem(
                "autoscalerExpander",
                expanderText,
                `has "${e}", which is not an expander; use a comma-separated list of ${Object.keys(EXPANDERS)
                    .filter((k) => !EXPANDERS[k])
                    .join(", ")}`,
            );
        } else if (EXPANDERS[e]) {
            r.problem("autoscalerExpander", expanderText, `has "${e}", which cannot run here: ${EXPANDERS[e]}`);
        }
    }
    if (new Set(expanders).size !== expanders.length) {
        r.problem("autoscalerExpander", expanderText, "names an expander twice");
    }
    const scaleDownUnneededTime = r.string("autoscalerScaleDownUnneededTime", {
        pattern: DURATION,
        expected: "a duration such as 10m, 1h or 1h30m",
    });
    const capacityBuffers = r.boolean("autoscalerCapacityBuffers");
    const chartVersion = r.string("autoscalerChartVersion", {
        pattern: /^\d+\.\d+\.\d+$/,
        expected: `a cluster-autoscaler chart version such as ${r.declared("autoscalerChartVersion")}`,
    });
    const snapshotTimeoutSeconds = r.integer("autoscalerSnapshotTimeoutSeconds", { min: 300, max: 7200 });
    const teardownDeletesSnapshots = r.boolean("teardownDeletesSnapshots");

    if (valid.length && valid.length === pools.length) {
        checkCapacity(r, cluster, valid, maxNodesTotal);
    }
    return {
        pools: valid,
        maxNodesTotal,
        expanders,
        scaleDownUnneededTime,
        capacityBuffers,
        chartVersion,
        snapshotTimeoutSeconds,
        teardownDeletesSnapshots,
        architecture: talosArchitecture(cluster.controlPlane.architecture),
    };
}

/** The checks that need the whole pool list: the snapshot slot, the cap below the static nodes, a worker to derive from. */
function checkCapacity(r: ConfigReader, cluster: ClusterConfig, pools: readonly AutoscalerPool[], maxNodesTotal: number): void {
    const t = reachableTotal(cluster, pools, maxNodesTotal);
    if (t.reachable > t.usable) {
        const clamp = maxNodesTotal > 0 ? `, clamped by autoscalerMaxNodesTotal ${maxNodesTotal}` : ", no autoscalerMaxNodesTotal cap";
        r.problem(
            maxNodesTotal > 0 ? "autoscalerMaxNodesTotal" : "autoscalerPools",
            maxNodesTotal > 0 ? maxNodesTotal : pools.map((p) => `${p.name} max=${p.max}`),
            `lets the cluster reach ${t.reachable} servers (${cluster.controlPlane.count} control planes + ${cluster.workers.count} workers + pool maxima ${t.poolCapacity}${clamp}), which leaves no slot of serverLimit ${cluster.serverLimit} free for the Talos snapshot build's temporary server (ksail#6172); keep it at or below ${t.usable}, or raise the Hetzner limit and serverLimit first`,
        );
    }
    if (maxNodesTotal > 0 && maxNodesTotal <= t.baseline) {
        r.problem(
            "autoscalerMaxNodesTotal",
            maxNodesTotal,
            `is not above the ${t.baseline} static nodes (${cluster.controlPlane.count} control planes + ${cluster.workers.count} workers): --max-nodes-total counts every node, so the autoscaler could never add one; use at least ${t.baseline + 1}, or 0 for no cap`,
        );
    }
    if (cluster.workers.count < 1) {
        r.problem(
            "workerCount",
            cluster.workers.count,
            "must be at least 1 when autoscalerPools is set: the autoscaled nodes' machine config is derived from the static workers' config (with the platform's worker patches)",
        );
    }
}
