import { durationSeconds } from "./gitops";
import { ConfigReader } from "./reader";

/** What one kind of step takes: typically, and at worst when the step carries no timeout of its own. */
export interface KindEstimate {
    /** What the kind covers, for the report. */
    readonly what: string;
    /** Typical duration, in seconds. */
    readonly typicalSeconds: number;
    /** Worst case, in seconds, for a step without its own timeout (a step with one is bounded by it). */
    readonly worstSeconds: number;
    /** Where the figures come from. */
    readonly source: string;
}

const MIN = 60;
/** The runbook's figures (../shared reference, "Targets"): the estimates below are split from them. */
const RUNBOOK_PROVISIONING = "runbook: ~10 min of Hetzner provisioning in all (server, Talos install and reboot, etcd bootstrap, API)";
const RUNBOOK_FLUX =
    "runbook: ~15 min of Flux convergence over the platform's four Kustomizations (10-15 min expected), split evenly; worst: the Kustomization's timeout";

/**
 * THE table of step estimates, by kind; the rehearsal classifies every step into one of these
 * (rehearsal/estimate.ts) and the `rehearsalEstimates` config key overrides entries once an
 * operator has measured their own. `unknown` is the reported default for a step no rule knows.
 */
export const ESTIMATE_TABLE = {
    provider: { what: "provider configuration", typicalSeconds: 0, worstSeconds: 0, source: "in-process: a provider creates nothing" },
    "cloud-object": {
        what: "Hetzner/Cloudflare object (network, firewall, IP, token, bucket adoption)",
        typicalSeconds: 5,
        worstSeconds: 2 * MIN,
        source: "one API call and the provider's wait for its action",
    },
    server: {
        what: "Hetzner server creation, until running",
        typicalSeconds: 1 * MIN,
        worstSeconds: 10 * MIN,
        source: RUNBOOK_PROVISIONING,
    },
    "talos-config": {
        what: "talosctl gen config/secrets, validate, on the operator's machine",
        typicalSeconds: 2,
        worstSeconds: 30,
        source: "local talosctl, no network",
    },
    "talos-install": {
        what: "Talos install to disk and reboot (apply-config)",
        typicalSeconds: 4 * MIN,
        worstSeconds: 15 * MIN,
        source: RUNBOOK_PROVISIONING,
    },
    "etcd-cleanup": {
        what: "etcd member cleanup before a control plane is (re)configured",
        typicalSeconds: 5,
        worstSeconds: 2 * MIN,
        source: "one talosctl call per peer; nothing to remove on an empty stack",
    },
    "etcd-bootstrap": {
        what: "etcd bootstrap on the first control plane",
        typicalSeconds: 2 * MIN,
        worstSeconds: 10 * MIN,
        source: RUNBOOK_PROVISIONING,
    },
    "api-ready": {
        what: "Kubernetes API answering on the endpoint",
        typicalSeconds: 3 * MIN,
        worstSeconds: 15 * MIN,
        source: RUNBOOK_PROVISIONING,
    },
    kubeconfig: { what: "admin kubeconfig from talosctl", typicalSeconds: 5, worstSeconds: 2 * MIN, source: "one talosctl call" },
    "kubernetes-object": {
        what: "Kubernetes object without a readiness wait (Namespace, Secret, ObjectStore)",
        typicalSeconds: 2,
        worstSeconds: 1 * MIN,
        source: "one API call (server-side apply)",
    },
    "helm-release": {
        what: "Helm release, until its workloads are ready",
        typicalSeconds: 90,
        worstSeconds: 5 * MIN,
        source: "Helm waits for the release's pods; worst: the release's timeout (Helm's default 300 s)",
    },
    "flux-instance": {
        what: "FluxInstance until Ready (Flux controllers running)",
        typicalSeconds: 2 * MIN,
        worstSeconds: 10 * MIN,
        source: "Flux Operator installs the controllers; worst: pulumi-kubernetes' default await of 10 min",
    },
    kustomization: {
        what: "Flux Kustomization until Ready",
        typicalSeconds: 225,
        worstSeconds: 30 * MIN,
        source: RUNBOOK_FLUX,
    },
    "flux-hold": {
        what: "suspend/resume of held Kustomizations",
        typicalSeconds: 10,
        worstSeconds: 15 * MIN,
        source: "a kubectl patch once the objects exist; worst: the script's timeout",
    },
    "velero-storage-sync": {
        what: "Velero BackupStorageLocation Available and backups synced",
        typicalSeconds: 1 * MIN,
        worstSeconds: 10 * MIN,
        source: "Velero's default backup sync period (1 min)",
    },
    "velero-backup-lookup": {
        what: "choosing the backup to restore",
        typicalSeconds: 5,
        worstSeconds: 15 * MIN,
        source: "one kubectl list",
    },
    "velero-restore": {
        what: "Velero restore, until Completed",
        typicalSeconds: 15 * MIN,
        worstSeconds: 2 * 60 * MIN,
        source: "no runbook figure: an assumption for a few GiB of Kopia volume data from R2; measure it (velero restore describe) and override",
    },
    "openbao-restore": {
        what: "OpenBao raft snapshot restore (vault-config Job)",
        typicalSeconds: 3 * MIN,
        worstSeconds: 30 * MIN,
        source: "the Job fetches one snapshot from R2 and restores it; worst: the script's timeout",
    },
    "database-recovery": {
        what: "CloudNativePG recovery from the WAL archive, until Ready",
        typicalSeconds: 10 * MIN,
        worstSeconds: 2 * 60 * MIN,
        source: "no runbook figure: base backup download plus WAL replay, an assumption for a small database; measure and override",
    },
    "dns-record": {
        what: "Cloudflare DNS record (and the stale-record cleanup)",
        typicalSeconds: 5,
        worstSeconds: 2 * MIN,
        source: "one API call",
    },
    github: {
        what: "GitHub environment or environment secret",
        typicalSeconds: 2,
        worstSeconds: 1 * MIN,
        source: "one API call",
    },
    "kubernetes-wait": {
        what: "wait for an object the program does not own (a Deployment available, nodes labelled)",
        typicalSeconds: 30,
        worstSeconds: 15 * MIN,
        source: "one controller acting on a running cluster; worst: the wait's timeout",
    },
    "talos-snapshot": {
        what: "Talos snapshot for autoscaled nodes, found by label or built once",
        typicalSeconds: 8 * MIN,
        worstSeconds: 30 * MIN,
        source: "found: seconds; built (the table's figure): a temporary server writes the image and Hetzner snapshots its disk, a few minutes by disk size; worst: the script's timeout",
    },
    "upgrade-check": {
        what: "rolling-upgrade step per node and for Kubernetes, on a rebuild",
        typicalSeconds: 10,
        worstSeconds: 15 * MIN,
        source: "a rebuilt node already runs the target versions: the step reads them and skips (a real upgrade is a separate run); worst: its timeout",
    },
    "destroy-step": {
        what: "a step that acts only on pulumi destroy (the Hetzner teardown); its create does nothing",
        typicalSeconds: 0,
        worstSeconds: 0,
        source: "its create only arms the delete; its timeout bounds the destroy, not the rebuild",
    },
    unknown: {
        what: "a step no rule classifies (the default)",
        typicalSeconds: 1 * MIN,
        worstSeconds: 15 * MIN,
        source: "default for unknown kinds: listed in the report so it can be classified or overridden",
    },
} as const satisfies Record<string, KindEstimate>;

/** The kinds a step can be classified as. */
export type EstimateKind = keyof typeof ESTIMATE_TABLE;

/** The kind names, for validation and the report. */
export const ESTIMATE_KINDS = Object.keys(ESTIMATE_TABLE) as EstimateKind[];

/** One `rehearsalEstimates` entry: a measured figure for a kind, or for one named step of a kind. */
export interface EstimateOverride {
    /** The kind. */
    readonly kind: EstimateKind;
    /** A step of that kind (a Kustomization's name, a resource's name), or undefined for the whole kind. */
    readonly subject?: string;
    readonly typicalSeconds?: number;
    readonly worstSeconds?: number;
    /** Position in the list, for messages about the entry (`rehearsalEstimates[<index>]`). */
    readonly index: number;
}

/** What the rehearsal alone uses; the program validates it like everything else. */
export interface RehearsalConfig {
    /** Measured figures that replace the table's. */
    readonly estimates: readonly EstimateOverride[];
}

/** Parses one `"<kind>[/<step>] typical=<duration> worst=<duration>"` entry; a string is what is wrong. */
function parseEstimateOverride(id: string, fields: Readonly<Record<string, string>>, index: number): EstimateOverride | string {
    const slash = id.indexOf("/");
    const kind = slash < 0 ? id : id.slice(0, slash);
    const subject = slash < 0 ? undefined : id.slice(slash + 1);
    if (!(ESTIMATE_KINDS as string[]).includes(kind)) {
        return `names kind "${kind}", which is not one of: ${ESTIMATE_KINDS.join(", ")}`;
    }
    if (subject === "") {
        return `has an empty step name after "${kind}/"`;
    }
    const seconds: Record<string, number> = {};
    for (const field of ["typical", "worst"] as const) {
        const text = fields[field];
        if (text === undefined) {
            continue;
        }
        const s = durationSeconds(text);
        if (text === "" || Number.isNaN(s)) {
            return `has ${field}=${text}; use a duration such as 45s, 12m or 1h30m`;
        }
        seconds[field] = s;
    }
    if (seconds.typical === undefined && seconds.worst === undefined) {
        return "sets neither typical= nor worst=";
    }
    if (seconds.typical !== undefined && seconds.worst !== undefined && seconds.typical > seconds.worst) {
        return `has typical=${fields.typical} longer than worst=${fields.worst}`;
    }
    return { kind: kind as EstimateKind, subject, typicalSeconds: seconds.typical, worstSeconds: seconds.worst, index };
}

/** Reads `rehearsalEstimates`; an entry named twice is a problem (which one would win?). */
export function readRehearsalConfig(r: ConfigReader): RehearsalConfig {
    let index = 0;
    const estimates = r.recordList("rehearsalEstimates", {
        fields: ["typical", "worst"],
        parse: (e) => parseEstimateOverride(e.id, e.fields, index++),
    });
    const seen = new Map<string, number>();
    for (const e of estimates) {
        const id = e.subject === undefined ? e.kind : `${e.kind}/${e.subject}`;
        const first = seen.get(id);
        if (first !== undefined) {
            r.problem(`rehearsalEstimates[${e.index}]`, id, `names ${id} again (first in rehearsalEstimates[${first}])`);
        }
        seen.set(id, e.index);
    }
    return { estimates };
}
