import { createHash } from "crypto";
import { gzipSync } from "zlib";
import { Document, parseAllDocuments } from "yaml";
import { AUTOSCALED_NODE_LABEL, AutoscalerConfig, AutoscalerPool } from "../../config/autoscaler";

/**
 * Pure pieces of the Cluster Autoscaler, as ksail builds them: the autoscaled nodes' machine config,
 * the `hcloud_cluster_config` value of Secret kube-system/cluster-autoscaler-config, and the
 * chart's values. Tested directly; components/cluster/clusterAutoscaler.ts wires them.
 */

/** Hetzner's hard limit on a server's user data; each pool's cloudInit is used verbatim as user data. */
export const HETZNER_USER_DATA_LIMIT_BYTES = 32 * 1024;
/** The Secret the chart reads HCLOUD_CLUSTER_CONFIG from, and its key (ksail's names). */
export const AUTOSCALER_CONFIG_SECRET = Object.freeze({
    name: "cluster-autoscaler-config",
    namespace: "kube-system",
    key: "hcloud_cluster_config",
});
/** Release name and namespace ksail installs the chart under (the Deployment is cluster-autoscaler-hetzner-cluster-autoscaler). */
export const AUTOSCALER_RELEASE = Object.freeze({ name: "cluster-autoscaler", namespace: "kube-system" });
/** The chart's repository. */
export const AUTOSCALER_CHART_REPO = "https://kubernetes.github.io/autoscaler";
/** Longhorn's storage-node label: autoscaled nodes are compute only (ksail removes it). */
const LONGHORN_DEFAULT_DISK_LABEL = "node.longhorn.io/create-default-disk";
/** Pod annotation carrying a digest of the Secret: a new config rolls the autoscaler, which reads it only at start. */
export const CONFIG_DIGEST_ANNOTATION = "platform-dr/cluster-autoscaler-config-sha256";

type Json = Record<string, unknown>;

function isMap(v: unknown): v is Json {
    return !!v && typeof v === "object" && !Array.isArray(v);
}

/** `a=b,c=d` without the entries whose key is `key`. */
function withoutLabel(nodeLabels: string, key: string): string {
    return nodeLabels
        .split(",")
        .filter((l) => l.trim() && l.split("=")[0].trim() !== key)
        .join(",");
}

/**
 * The machine config of one pool's autoscaled nodes, derived from a static worker's generated
 * config (so every worker patch the cluster applies is in it): as ksail's
 * GenerateAutoscalerWorkerConfig, `install.wipe: true`, no `machine.disks`, no Longhorn default-disk
 * label (in `machine.nodeLabels` or, where the platform sets it, kubelet `node-labels`), the node
 * label `ksail.io/autoscaled=true` plus the pool's labels, and the pool's taints in
 * `machine.nodeTaints`. The static worker's own name is removed with its HostnameConfig: an
 * autoscaled node takes its hostname from the Hetzner metadata, which the cloud controller matches.
 */
export function autoscaledWorkerConfig(workerConfig: string, pool: AutoscalerPool): string {
    const docs = parseAllDocuments(workerConfig);
    const out: string[] = [];
    let machineDocs = 0;
    for (const doc of docs) {
        if (doc.errors.length) {
            throw new Error(`the workers' machine config is not valid YAML: ${doc.errors[0].message}`);
        }
        const value: unknown = doc.toJS();
        if (value === null || value === undefined) {
            continue;
        }
        if (isMap(value) && value.kind === "HostnameConfig") {
            // Dropped, as ksail drops it: without the static name it would be `auto: off` alone, which
            // Talos refuses ("either 'auto' or 'hostname' must be set"); with no HostnameConfig the
            // hcloud platform names the node from Hetzner's metadata (see talosPatches.ts, hostnamePatch).
            continue;
        }
        if (isMap(value) && isMap(value.machine)) {
            machineDocs++;
            out.push(new Document(autoscaledMachineDocument(value, pool)).toString());
            continue;
        }
        out.push(new Document(value).toString());
    }
    if (machineDocs !== 1) {
        throw new Error(`the workers' machine config has ${machineDocs} v1alpha1 documents (with machine:); expected exactly one`);
    }
    return out.join("---\n");
}

function autoscaledMachineDocument(config: Json, pool: AutoscalerPool): Json {
    const machine: Json = { ...(config.machine as Json) };
    delete machine.disks;
    machine.install = { ...(isMap(machine.install) ? machine.install : {}), wipe: true };
    if (isMap(machine.network)) {
        const { hostname: _static, ...network } = machine.network;
        void _static;
        machine.network = network;
    }
    const nodeLabels: Json = { ...(isMap(machine.nodeLabels) ? machine.nodeLabels : {}) };
    delete nodeLabels[LONGHORN_DEFAULT_DISK_LABEL];
    machine.nodeLabels = { ...nodeLabels, [AUTOSCALED_NODE_LABEL]: "true", ...pool.labels };
    if (isMap(machine.kubelet) && isMap(machine.kubelet.extraArgs) && typeof machine.kubelet.extraArgs["node-labels"] === "string") {
        const extraArgs: Json = { ...machine.kubelet.extraArgs };
        const remaining = withoutLabel(String(extraArgs["node-labels"]), LONGHORN_DEFAULT_DISK_LABEL);
        if (remaining) {
            extraArgs["node-labels"] = remaining;
        } else {
            delete extraArgs["node-labels"];
        }
        machine.kubelet = { ...machine.kubelet, extraArgs };
    }
    if (pool.taints.length) {
        machine.nodeTaints = {
            ...(isMap(machine.nodeTaints) ? machine.nodeTaints : {}),
            ...Object.fromEntries(pool.taints.map((t) => [t.key, `${t.value}:${t.effect}`])),
        };
    }
    return { ...config, machine };
}

/**
 * base64(gzip(config)): the value Hetzner stores as user data, which Talos's hcloud platform
 * decodes and un-gzips. Refused over Hetzner's 32 KiB, naming the size.
 */
export function encodeCloudInit(config: string, pool: string): string {
    // gzip with a zero mtime is deterministic, so an unchanged config never looks changed.
    const encoded = gzipSync(Buffer.from(config, "utf8"), { level: 9 }).toString("base64");
    if (encoded.length > HETZNER_USER_DATA_LIMIT_BYTES) {
        throw new Error(
            `the autoscaled worker config of pool ${pool} is ${encoded.length} bytes as user data (gzip + base64 of ${Buffer.byteLength(config)} bytes), over Hetzner's limit of ${HETZNER_USER_DATA_LIMIT_BYTES} bytes (32 KiB): trim the worker patches`,
        );
    }
    return encoded;
}

/** Go's encoding/json order for a map: keys sorted. */
function sortedKeys<T>(map: Readonly<Record<string, T>>): Record<string, T> {
    return Object.fromEntries(
        Object.keys(map)
            .sort()
            .map((k) => [k, map[k]]),
    );
}

/**
 * `hcloud_cluster_config` exactly as ksail writes it: base64 of
 * `{"imagesForArch":{"amd64":"<snapshot>"},"nodeConfigs":{"<pool>":{"cloudInit":..,"labels":..,"taints":..}}}`
 * (labels and taints left out when empty, taints as corev1.Taint). `workerConfig` is the static
 * workers' generated machine config.
 */
export function hcloudClusterConfig(
    snapshotId: string,
    architecture: AutoscalerConfig["architecture"],
    pools: readonly AutoscalerPool[],
    workerConfig: string,
): string {
    const nodeConfigs: Record<string, Json> = {};
    for (const pool of pools) {
        const entry: Json = { cloudInit: encodeCloudInit(autoscaledWorkerConfig(workerConfig, pool), pool.name) };
        if (Object.keys(pool.labels).length) {
            entry.labels = sortedKeys(pool.labels);
        }
        if (pool.taints.length) {
            entry.taints = pool.taints.map((t) =>
                t.value ? { key: t.key, value: t.value, effect: t.effect } : { key: t.key, effect: t.effect },
            );
        }
        nodeConfigs[pool.name] = entry;
    }
    const document = { imagesForArch: { [architecture]: snapshotId }, nodeConfigs: sortedKeys(nodeConfigs) };
    return Buffer.from(JSON.stringify(document), "utf8").toString("base64");
}

/** SHA-256 of the Secret's value: not secret itself, it only says when the config changed. */
export function configDigest(value: string): string {
    return createHash("sha256").update(value).digest("hex");
}

/** What the chart needs besides the autoscaler config. */
export interface AutoscalerValuesArgs {
    /** Number of control planes: 2 replicas when there are at least two to spread over. */
    readonly controlPlanes: number;
    /** Name of the firewall static servers carry; autoscaled servers get it too. */
    readonly firewallName: string;
    /** Digest of the Secret's value (see configDigest). */
    readonly configDigest: string;
}

/**
 * The chart's values as ksail renders them (buildChartValues, enableCapacityBuffers): the Hetzner
 * provider, one autoscalingGroup per pool, ksail's flags, 2 replicas on the control planes,
 * credentials from Secrets `hcloud` and `cluster-autoscaler-config`, the RBAC its informers need.
 * The CapacityBuffer CRD is not in it: it is installed before Flux with the other CRDs (one owner).
 * Beyond ksail: autoscaled servers get the cluster firewall and no IPv6, as the static workers, and
 * a digest annotation restarts the autoscaler when its Secret changes.
 */
export function autoscalerValues(config: AutoscalerConfig, args: AutoscalerValuesArgs): Record<string, unknown> {
    const extraArgs: Json = {
        expander: config.expanders.join(","),
        "scale-down-unneeded-time": config.scaleDownUnneededTime,
        ...(config.maxNodesTotal > 0 ? { "max-nodes-total": config.maxNodesTotal } : {}),
        "scale-down-delay-after-add": "5m",
        "scale-down-delay-after-delete": "2m",
        "ok-total-unready-count": 3,
        v: "4",
    };
    const readVerbs = ["get", "list", "watch"];
    const additionalRules: Json[] = [
        { apiGroups: ["apps"], resources: ["deployments"], verbs: readVerbs },
        { apiGroups: [""], resources: ["resourcequotas"], verbs: readVerbs },
    ];
    if (config.capacityBuffers) {
        Object.assign(extraArgs, {
            "capacity-buffer-controller-enabled": true,
            "capacity-buffer-pod-injection-enabled": true,
            // CapacityBuffer is a CRD: protobuf, the client's default, cannot encode it (ksail#5603).
            "kube-api-content-type": "application/json",
        });
        additionalRules.push({
            apiGroups: ["autoscaling.x-k8s.io"],
            resources: ["capacitybuffers", "capacitybuffers/status"],
            verbs: ["get", "list", "watch", "update", "patch"],
        });
    }
    return {
        replicas: Math.min(2, args.controlPlanes),
        cloudProvider: "hetzner",
        autoscalingGroups: config.pools.map((p) => ({
            name: p.name,
            minSize: p.min,
            maxSize: p.max,
            instanceType: p.serverType,
            region: p.location,
        })),
        extraArgs,
        extraEnv: { HCLOUD_PUBLIC_IPV6: "false", HCLOUD_FIREWALL: args.firewallName },
        extraEnvSecrets: {
            HCLOUD_TOKEN: { name: "hcloud", key: "token" },
            HCLOUD_NETWORK: { name: "hcloud", key: "network" },
            HCLOUD_CLUSTER_CONFIG: { name: AUTOSCALER_CONFIG_SECRET.name, key: AUTOSCALER_CONFIG_SECRET.key },
        },
        tolerations: [{ key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" }],
        nodeSelector: { "node-role.kubernetes.io/control-plane": "" },
        rbac: { create: true, serviceAccount: { create: true, name: "cluster-autoscaler" }, additionalRules },
        resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
        podAnnotations: { [CONFIG_DIGEST_ANNOTATION]: args.configDigest },
    };
}

/** Image Factory's schematic without customizations: what a cluster without talosSchematicId boots. */
export const PLAIN_SCHEMATIC_ID = "376567988ad370138ad8b2698212367b8edcb69b5fd68c80be1f2ec7d603b4ba";
