/**
 * The Cluster Autoscaler and the teardown in words, read from the program's recorded registrations
 * (not from config): the snapshot step, the config Secret (its value shown as [secret]), the
 * release with its pools and flags, and the delete step `pulumi destroy` runs before the network.
 */
import { AUTOSCALER_CONFIG_SECRET, AUTOSCALER_RELEASE } from "../components/cluster/autoscalerConfig";
import { TALOS_SNAPSHOT_SCRIPT } from "../components/cluster/clusterAutoscaler";
import { TEARDOWN_SCRIPT } from "../components/cluster/hetznerTeardown";
import { REDACTED, RecordedResource } from "./simulate";

type Json = Record<string, unknown>;
/** An autoscalingGroups entry of the chart's values. */
interface Group {
    name: string;
    instanceType: string;
    region: string;
    minSize: number;
    maxSize: number;
}

function shown(value: unknown): string {
    return value === REDACTED ? REDACTED : JSON.stringify(value);
}

/** Lines describing the autoscaler and the teardown; empty when the program registered neither. */
export function describeAutoscaling(resources: readonly RecordedResource[]): string[] {
    const lines: string[] = [];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const commands = resources.filter((r) => r.type === "command:local:Command");
    const snapshot = commands.find((r) => r.rawInputs.create === TALOS_SNAPSHOT_SCRIPT);
    if (snapshot) {
        const env = snapshot.rawInputs.environment as Record<string, string>;
        lines.push(
            `Snapshot (${snapshot.name}): the Talos ${env.TALOS_VERSION} ${env.ARCH} snapshot labelled ksail.io/talos-version=${env.TALOS_VERSION}, ksail.io/talos-schematic=${String(env.SCHEMATIC_ID).slice(0, 63)}, ksail.io/cluster=${env.CLUSTER_NAME}; built once if missing, with a temporary ${env.BUILDER_SERVER_TYPE} in ${env.LOCATION} that is deleted also when the build fails (deadline ${env.TIMEOUT_SECONDS}s).`,
        );
    }
    const secret = resources.find(
        (r) =>
            r.type === "kubernetes:core/v1:Secret" &&
            (r.inputs.metadata as Json | undefined)?.name === AUTOSCALER_CONFIG_SECRET.name &&
            (r.inputs.metadata as Json | undefined)?.namespace === AUTOSCALER_CONFIG_SECRET.namespace,
    );
    if (secret) {
        const data = secret.inputs.stringData as Json | string | undefined;
        const value = typeof data === "object" && data ? data[AUTOSCALER_CONFIG_SECRET.key] : data;
        lines.push(
            `Secret ${AUTOSCALER_CONFIG_SECRET.namespace}/${AUTOSCALER_CONFIG_SECRET.name} (${secret.name}): ${AUTOSCALER_CONFIG_SECRET.key} = ${shown(value)}`,
        );
    }
    const release = resources.find(
        (r) =>
            r.type === "kubernetes:helm.sh/v3:Release" &&
            r.inputs.name === AUTOSCALER_RELEASE.name &&
            r.inputs.namespace === AUTOSCALER_RELEASE.namespace,
    );
    if (release) {
        const values = release.inputs.values as Json;
        const pools = (values.autoscalingGroups ?? []) as Group[];
        const flags = Object.entries((values.extraArgs ?? {}) as Json)
            .map(([k, v]) => `--${k}=${String(v)}`)
            .join(" ");
        lines.push(
            `Release ${AUTOSCALER_RELEASE.namespace}/${AUTOSCALER_RELEASE.name} (${release.name}, chart ${release.inputs.chart} ${release.inputs.version}, ${values.replicas} replicas on control planes): pools ${pools.map((p) => `${p.name} (${p.instanceType}, ${p.region}, ${p.minSize}-${p.maxSize})`).join(", ")}; ${flags}`,
        );
    }
    const teardown = commands.find((r) => r.rawInputs.delete === TEARDOWN_SCRIPT);
    if (teardown) {
        const env = teardown.rawInputs.environment as Record<string, string>;
        // What it must go before: the network and its subnet (it also waits for the kubeconfig it uses).
        const before = teardown.dependencies
            .map((u) => byUrn.get(u))
            .filter((r): r is RecordedResource => !!r && /^hcloud:index\/network(Subnet)?:/.test(r.type))
            .map((r) => r.name)
            .sort();
        lines.push(
            `Teardown (${teardown.name}): on pulumi destroy, before ${before.join(" and ")} are deleted, deletes the autoscaled servers (label hcloud/node-group, any pool) and the load balancers attached to ${env.NETWORK_NAME}${env.KEEP_LOAD_BALANCERS ? ` except ${env.KEEP_LOAD_BALANCERS}` : ""}; snapshots are ${env.DELETE_SNAPSHOTS === "true" ? "deleted" : "kept"}.`,
        );
    }
    return lines;
}
