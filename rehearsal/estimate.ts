/**
 * How long a rebuild takes: every step is classified into a kind of the estimate table
 * (config/estimates.ts) by its type, the component that made it and what it waits for; then the
 * critical path through the recorded dependency graph, the same steps one after another, and the
 * worst case with every step at its timeout.
 */
import { ESTIMATE_TABLE, EstimateKind, EstimateOverride } from "../config/estimates";
import { durationSeconds } from "../config/gitops";
import { CriticalPath, criticalPath } from "./criticalPath";
import { stepGraph } from "./plan";
import { RecordedResource } from "./simulate";

/** One step's estimate. */
interface StepEstimate {
    readonly urn: string;
    readonly name: string;
    readonly type: string;
    readonly kind: EstimateKind;
    /** What `rehearsalEstimates` names to override this one step: `<kind>/<subject>`. */
    readonly subject: string;
    readonly typicalSeconds: number;
    readonly worstSeconds: number;
    /** Where the worst case comes from: the step's own timeout, or the table. */
    readonly worstFrom: "timeout" | "table";
    /** Where the typical figure comes from: the table, or a `rehearsalEstimates` entry. */
    readonly typicalFrom: "table" | "config";
}

/** The whole estimate. */
export interface RebuildEstimate {
    /** Per step, by URN, in registration order. */
    readonly steps: ReadonlyMap<string, StepEstimate>;
    /** The critical path at typical durations. */
    readonly criticalPath: CriticalPath;
    /** Every step run one after another, at typical durations. */
    readonly sequentialSeconds: number;
    /** The critical path with every step at its worst (its timeout, or the table's worst). */
    readonly worstCase: CriticalPath;
    /** Steps that no rule classifies: estimated with the `unknown` default. */
    readonly unclassified: readonly StepEstimate[];
}

/** A config entry that names a step no step of the plan is. */
export class EstimateOverrideError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "EstimateOverrideError";
    }
}

type Environment = Readonly<Record<string, unknown>>;

/** What a classification rule sees of a step. */
interface StepFacts {
    readonly type: string;
    /** Type of the component that registered it. */
    readonly parentType: string;
    /** Its name without the parent's name: `etcd` for `prod-bootstrap-etcd` under `prod-bootstrap`. */
    readonly role: string;
    /** A command's environment, secrets redacted. */
    readonly env: Environment;
    readonly inputs: Readonly<Record<string, unknown>>;
}

/** One classification rule; the first that matches decides. */
interface Rule {
    readonly kind: EstimateKind;
    readonly match: (s: StepFacts) => boolean;
    /** How the step is named in an override (default: its resource name). */
    readonly subject?: (s: StepFacts) => string | undefined;
    /** The step's timeout bounds another operation (its delete), not the rebuild. */
    readonly timeoutIsNotCreate?: true;
}

const COMMAND = "command:local:Command";
const command = (parentType: string, role?: string) => (s: StepFacts) =>
    s.type === COMMAND && s.parentType === `platform-dr:${parentType}` && (role === undefined || s.role === role);
const waitsOn = (kind: string) => (s: StepFacts) => command("waiters:KubeWaiter")(s) && s.env.KIND === kind;
const text = (v: unknown) => (typeof v === "string" ? v : undefined);
const metadata = (s: StepFacts) => (s.inputs.metadata ?? {}) as { namespace?: unknown; name?: unknown };

/** The rules, most specific first. A new kind of step falls to `unknown` (reported) until a rule names it. */
const RULES: readonly Rule[] = [
    { kind: "provider", match: (s) => s.type.startsWith("pulumi:providers:") },
    { kind: "server", match: (s) => s.type === "hcloud:index/server:Server" },
    { kind: "dns-record", match: (s) => s.type === "cloudflare:index/dnsRecord:DnsRecord" || command("dns:DnsRecords")(s) },
    { kind: "cloud-object", match: (s) => /^(hcloud|cloudflare):/.test(s.type) },
    { kind: "github", match: (s) => s.type.startsWith("github:") },
    { kind: "helm-release", match: (s) => s.type.startsWith("kubernetes:helm.sh/") },
    { kind: "flux-instance", match: (s) => s.type === "kubernetes:fluxcd.controlplane.io/v1:FluxInstance" },
    {
        kind: "database-recovery",
        match: (s) => s.type === "kubernetes:postgresql.cnpg.io/v1:Cluster",
        subject: (s) => {
            const m = metadata(s);
            return text(m.namespace) && text(m.name) ? `${text(m.namespace)}/${text(m.name)}` : undefined;
        },
    },
    { kind: "kubernetes-object", match: (s) => s.type.startsWith("kubernetes:") },
    {
        kind: "talos-config",
        match: (s) =>
            command("cluster:TalosNode", "config")(s) ||
            command("cluster:TalosSecrets")(s) ||
            (command("cluster:ClusterAutoscaler")(s) && s.role.endsWith("config-check")),
    },
    { kind: "talos-install", match: command("cluster:TalosNode", "apply-config") },
    { kind: "etcd-cleanup", match: command("cluster:TalosNode", "etcd-cleanup") },
    { kind: "etcd-bootstrap", match: command("cluster:TalosBootstrap", "etcd") },
    { kind: "api-ready", match: command("cluster:TalosBootstrap", "wait-api") },
    { kind: "kubeconfig", match: command("cluster:TalosBootstrap", "kubeconfig") },
    { kind: "kustomization", match: waitsOn("kustomizations.kustomize.toolkit.fluxcd.io"), subject: (s) => text(s.env.NAME) },
    { kind: "velero-storage-sync", match: waitsOn("backupstoragelocations.velero.io") },
    { kind: "velero-backup-lookup", match: command("restore:VeleroRestore", "latest-backup") },
    { kind: "velero-restore", match: command("restore:VeleroRestore", "restore") },
    {
        kind: "flux-hold",
        match: (s) => command("gitops:GitopsBootstrap", "hold")(s) || command("gitops:KustomizationResume", "resume")(s),
    },
    { kind: "openbao-restore", match: command("restore:OpenbaoRecovery") },
    {
        kind: "kubernetes-wait",
        match: (s) => command("waiters:KubeWaiter")(s) || command("gitops:PreFluxComponents", "nodes-provided-by")(s),
    },
    { kind: "talos-snapshot", match: command("cluster:ClusterAutoscaler", "talos-snapshot") },
    { kind: "upgrade-check", match: command("cluster:TalosUpgrade") },
    { kind: "destroy-step", match: command("cluster:HetznerTeardown"), timeoutIsNotCreate: true },
];

function factsOf(r: RecordedResource, parent: RecordedResource | undefined): StepFacts {
    const role = parent && r.name.startsWith(`${parent.name}-`) ? r.name.slice(parent.name.length + 1) : r.name;
    const env = r.inputs.environment;
    return {
        type: r.type,
        parentType: parent?.type ?? "",
        role,
        env: env && typeof env === "object" && !Array.isArray(env) ? (env as Environment) : {},
        inputs: r.inputs,
    };
}

/** The kind of a step, the name an override uses for it, and whether its own timeout bounds its create. */
function classify(
    r: RecordedResource,
    parent: RecordedResource | undefined,
): { kind: EstimateKind; subject: string; timeoutBoundsCreate: boolean } {
    const facts = factsOf(r, parent);
    const rule = RULES.find((x) => x.match(facts));
    return { kind: rule?.kind ?? "unknown", subject: rule?.subject?.(facts) ?? r.name, timeoutBoundsCreate: !rule?.timeoutIsNotCreate };
}

/**
 * The step's own deadline, in seconds, if it has one: a script's TIMEOUT_SECONDS, a Helm
 * release's `timeout`, `customTimeouts.create`, or the `pulumi.com/timeoutSeconds` annotation.
 */
function ownTimeoutSeconds(r: RecordedResource): number | undefined {
    const env = r.inputs.environment as Environment | undefined;
    const annotations = ((r.inputs.metadata ?? {}) as { annotations?: Record<string, unknown> }).annotations ?? {};
    const candidates = [
        r.type === COMMAND ? Number(text(env?.TIMEOUT_SECONDS)) : NaN,
        r.type.startsWith("kubernetes:helm.sh/") && typeof r.inputs.timeout === "number" ? r.inputs.timeout : NaN,
        r.createTimeout ? durationSeconds(r.createTimeout) : NaN,
        Number(text(annotations["pulumi.com/timeoutSeconds"])),
    ];
    return candidates.find((n) => Number.isFinite(n) && n > 0);
}

/** Estimates one step from the table, the overrides and its own timeout. */
function estimateStep(
    r: RecordedResource,
    parent: RecordedResource | undefined,
    overrides: readonly EstimateOverride[],
    used: Set<EstimateOverride>,
): StepEstimate {
    const { kind, subject, timeoutBoundsCreate } = classify(r, parent);
    const forKind = overrides.find((o) => o.kind === kind && o.subject === undefined);
    const forStep = overrides.find((o) => o.kind === kind && o.subject === subject);
    [forKind, forStep].forEach((o) => o && used.add(o));
    const configured = forStep?.typicalSeconds ?? forKind?.typicalSeconds;
    const timeout = timeoutBoundsCreate ? ownTimeoutSeconds(r) : undefined;
    const worst = timeout ?? forStep?.worstSeconds ?? forKind?.worstSeconds ?? ESTIMATE_TABLE[kind].worstSeconds;
    // A step cannot typically take longer than the deadline that would fail it.
    const typical = Math.min(configured ?? ESTIMATE_TABLE[kind].typicalSeconds, worst);
    return {
        urn: r.urn,
        name: r.name,
        type: r.type,
        kind,
        subject,
        typicalSeconds: typical,
        worstSeconds: Math.max(worst, typical),
        worstFrom: timeout !== undefined ? "timeout" : "table",
        typicalFrom: configured !== undefined ? "config" : "table",
    };
}

/**
 * Estimates the rebuild from the recorded registrations. Throws EstimateOverrideError when an
 * override names a step the plan does not have (a typo would otherwise be silently ignored).
 */
export function estimateRebuild(resources: readonly RecordedResource[], overrides: readonly EstimateOverride[] = []): RebuildEstimate {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const graph = stepGraph(resources);
    const used = new Set<EstimateOverride>();
    const steps = new Map<string, StepEstimate>();
    for (const urn of graph.keys()) {
        const r = byUrn.get(urn)!;
        steps.set(urn, estimateStep(r, r.parent ? byUrn.get(r.parent) : undefined, overrides, used));
    }
    const unmatched = overrides.filter((o) => o.subject !== undefined && !used.has(o));
    if (unmatched.length) {
        throw new EstimateOverrideError(
            unmatched
                .map((o) => {
                    const names = [...steps.values()].filter((s) => s.kind === o.kind).map((s) => s.subject);
                    return `rehearsalEstimates[${o.index}]: ${o.kind}/${o.subject} is no step of this plan; ${
                        names.length ? `the ${o.kind} steps are: ${[...new Set(names)].join(", ")}` : `it has no ${o.kind} step`
                    }`;
                })
                .join("\n"),
        );
    }
    const typical = (urn: string) => steps.get(urn)!.typicalSeconds;
    return {
        steps,
        criticalPath: criticalPath(graph, typical),
        sequentialSeconds: [...steps.values()].reduce((n, s) => n + s.typicalSeconds, 0),
        worstCase: criticalPath(graph, (urn) => steps.get(urn)!.worstSeconds),
        unclassified: [...steps.values()].filter((s) => s.kind === "unknown"),
    };
}

/** `1h 05m`, `4m 30s`, `45s`. */
export function formatDuration(seconds: number): string {
    const s = Math.round(seconds);
    const h = Math.floor(s / 3600);
    const m = Math.floor((s % 3600) / 60);
    const rest = s % 60;
    if (h) {
        return `${h}h ${String(m).padStart(2, "0")}m`;
    }
    if (m) {
        return rest ? `${m}m ${String(rest).padStart(2, "0")}s` : `${m}m`;
    }
    return `${rest}s`;
}

/** The estimate as text, under the plan. */
export function renderEstimate(e: RebuildEstimate, shortType: (type: string) => string): string {
    const path = e.criticalPath.steps.map((u) => e.steps.get(u)!);
    const lines = [
        `Estimated time (typical figures by kind of step; README "Estimated time", override with rehearsalEstimates):`,
        `  Critical path, ${path.length} steps: ${formatDuration(e.criticalPath.seconds)}`,
    ];
    path.forEach((s, i) => {
        const note = [s.kind, s.typicalFrom === "config" ? "measured (rehearsalEstimates)" : ""].filter(Boolean).join(", ");
        lines.push(
            `    ${String(i + 1).padStart(2)}. ${formatDuration(s.typicalSeconds).padStart(7)}  ${shortType(s.type).padEnd(30)} ${s.name}  (${note})`,
        );
    });
    lines.push(
        `  All ${e.steps.size} steps one after another: ${formatDuration(e.sequentialSeconds)}`,
        `  Worst case, every step at its timeout (or the table's worst): ${formatDuration(e.worstCase.seconds)}`,
    );
    if (e.unclassified.length) {
        const d = ESTIMATE_TABLE.unknown;
        lines.push(
            `  Estimated with the default for unknown kinds (${formatDuration(d.typicalSeconds)}, worst ${formatDuration(d.worstSeconds)} or the step's timeout): ${e.unclassified.map((s) => s.name).join(", ")}`,
        );
    }
    return lines.join("\n") + "\n";
}

/** The estimate in `--json`. */
export function estimateJson(e: RebuildEstimate): Record<string, unknown> {
    const step = (urn: string) => {
        const s = e.steps.get(urn)!;
        return { urn, name: s.name, kind: s.kind, typicalSeconds: s.typicalSeconds, worstSeconds: s.worstSeconds };
    };
    return {
        criticalPath: e.criticalPath.steps.map(step),
        criticalPathSeconds: e.criticalPath.seconds,
        sequentialSeconds: e.sequentialSeconds,
        worstCaseSeconds: e.worstCase.seconds,
        worstCasePath: e.worstCase.steps.map((u) => e.steps.get(u)!.name),
        unclassified: e.unclassified.map((s) => s.name),
        table: ESTIMATE_TABLE,
    };
}
