/**
 * Benchmark of the availability rule engine (`npm run bench`). Not a test: it prints timings.
 *
 * For each size N it generates N workloads (80% Deployments, 20% StatefulSets), N PDBs and N/5
 * HPAs, in two layouts: spread over 100 namespaces, and all in one namespace (the worst case for
 * PDB matching, where only the label index keeps it linear). Each measurement runs in a fresh
 * child process so that peak memory belongs to that run alone.
 */
import { fork } from "child_process";
import { SourcedObject, evaluate } from "../policies/rules";
import * as os from "os";

/** Workload counts to measure. */
const SIZES = [1_000, 10_000, 20_000];

/** Namespace layouts to measure. */
const LAYOUTS = { spread: 100, single: 1 } as const;

/** What a child process reports back. */
interface Measurement {
    /** Objects evaluated. */
    readonly objects: number;
    /** Findings produced. */
    readonly findings: number;
    /** Milliseconds of the first (cold) evaluation. */
    readonly coldMs: number;
    /** Milliseconds of the fastest of three further evaluations. */
    readonly warmMs: number;
    /** Peak resident set size of the process, MiB. */
    readonly peakRssMiB: number;
    /** Heap in use after the cold evaluation minus before it, MiB (input objects excluded). */
    readonly heapGrowthMiB: number;
}

const STRATEGIES = [
    { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    undefined,
    { type: "Recreate" },
    { type: "RollingUpdate", rollingUpdate: { maxUnavailable: "10%", maxSurge: "25%" } },
];

function workload(i: number, namespaces: number): Record<string, unknown> {
    const kind = i % 5 === 4 ? "StatefulSet" : "Deployment";
    const labels = {
        "app.kubernetes.io/instance": `release-${i % 10}`,
        app: `app-${i}`,
        team: `team-${i % 10}`,
        tier: i % 3 === 0 ? "frontend" : "backend",
    };
    const hpaDriven = i % 5 === 0;
    const spec: Record<string, unknown> = {
        selector: { matchLabels: { app: labels.app } },
        template: { metadata: { labels }, spec: { containers: [{ name: "main", image: "busybox" }] } },
    };
    if (!hpaDriven) {
        spec.replicas = 1 + (i % 4);
    }
    const strategy = STRATEGIES[i % STRATEGIES.length];
    if (kind === "Deployment" && strategy) {
        spec.strategy = strategy;
    }
    return { apiVersion: "apps/v1", kind, metadata: { name: `app-${i}`, namespace: `ns-${i % namespaces}` }, spec };
}

/**
 * One PDB per workload; every tenth selects nothing, and budgets mix passing and blocking values.
 * Two of the selector forms lead with a label or key shared by a tenth or all of the workloads
 * (Helm's release label first, an `Exists`), which an index on the first label would turn quadratic.
 */
function pdb(i: number, namespaces: number): Record<string, unknown> {
    const selectors = [
        { matchLabels: { app: `app-${i}` } },
        { matchExpressions: [{ key: "app", operator: "In", values: [`app-${i}`] }] },
        {
            matchLabels: { app: `app-${i}` },
            matchExpressions: [
                { key: "tier", operator: "Exists" },
                { key: "team", operator: "NotIn", values: ["team-x"] },
            ],
        },
        { matchLabels: { "app.kubernetes.io/instance": `release-${i % 10}`, app: `app-${i}` } },
        {
            matchExpressions: [
                { key: "tier", operator: "Exists" },
                { key: "app", operator: "In", values: [`app-${i}`] },
            ],
        },
    ];
    const budgets = [{ maxUnavailable: 1 }, { minAvailable: "50%" }, { minAvailable: 1 + (i % 4) }, { maxUnavailable: "0%" }];
    const selector = i % 10 === 9 ? { matchLabels: { app: `missing-${i}` } } : selectors[i % selectors.length];
    return {
        apiVersion: "policy/v1",
        kind: "PodDisruptionBudget",
        metadata: { name: `pdb-${i}`, namespace: `ns-${i % namespaces}` },
        spec: { selector, ...budgets[i % budgets.length] },
    };
}

function hpa(i: number, namespaces: number): Record<string, unknown> {
    const kind = i % 5 === 4 ? "StatefulSet" : "Deployment";
    return {
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: `app-${i}`, namespace: `ns-${i % namespaces}` },
        spec: { scaleTargetRef: { apiVersion: "apps/v1", kind, name: `app-${i}` }, minReplicas: 2 + (i % 2), maxReplicas: 10 },
    };
}

/** N workloads, N PDBs and N/5 HPAs (each HPA drives a workload whose replicas are unset). */
export function syntheticObjects(workloads: number, namespaces: number): SourcedObject<number>[] {
    const objects: unknown[] = [];
    for (let i = 0; i < workloads; i++) {
        objects.push(workload(i, namespaces), pdb(i, namespaces));
        if (i % 5 === 0) {
            objects.push(hpa(i, namespaces));
        }
    }
    return objects.map((object, source) => ({ object, source }));
}

const MiB = 1024 * 1024;

function timed(run: () => number): { ms: number; findings: number } {
    const start = process.hrtime.bigint();
    const findings = run();
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, findings };
}

function measure(workloads: number, namespaces: number): Measurement {
    const inputs = syntheticObjects(workloads, namespaces);
    const heapBefore = process.memoryUsage().heapUsed;
    const cold = timed(() => evaluate(inputs).findings.length);
    const heapGrowthMiB = (process.memoryUsage().heapUsed - heapBefore) / MiB;
    const warm = Math.min(...[1, 2, 3].map(() => timed(() => evaluate(inputs).findings.length).ms));
    return {
        objects: inputs.length,
        findings: cold.findings,
        coldMs: cold.ms,
        warmMs: warm,
        // maxRSS is in KiB.
        peakRssMiB: process.resourceUsage().maxRSS / 1024,
        heapGrowthMiB,
    };
}

function measureInChild(workloads: number, namespaces: number): Promise<Measurement> {
    return new Promise((resolve, reject) => {
        const child = fork(__filename, ["--child", String(workloads), String(namespaces)], {
            execArgv: ["-r", require.resolve("ts-node/register/transpile-only")],
        });
        child.once("message", (m) => resolve(m as Measurement));
        child.once("error", reject);
        child.once("exit", (code) => (code === 0 ? undefined : reject(new Error(`benchmark child exited with ${code}`))));
    });
}

function row(cells: (string | number)[]): string {
    const widths = [8, 10, 9, 9, 9, 10, 12, 12];
    return cells.map((c, i) => String(c).padStart(widths[i])).join(" ");
}

async function main(): Promise<void> {
    console.log(`availability rule engine, node ${process.version}, ${os.cpus().length} CPUs`);
    console.log(row(["layout", "workloads", "objects", "findings", "cold ms", "warm ms", "peak RSS MiB", "heap +MiB"]));
    for (const [layout, namespaces] of Object.entries(LAYOUTS)) {
        for (const size of SIZES) {
            const m = await measureInChild(size, namespaces);
            console.log(
                row([
                    layout,
                    size,
                    m.objects,
                    m.findings,
                    m.coldMs.toFixed(1),
                    m.warmMs.toFixed(1),
                    m.peakRssMiB.toFixed(0),
                    m.heapGrowthMiB.toFixed(1),
                ]),
            );
        }
    }
}

if (require.main !== module) {
    // Imported (by a profiling script, say): expose the generator only.
} else if (process.argv[2] === "--child") {
    process.send?.(measure(Number(process.argv[3]), Number(process.argv[4])));
} else {
    main().catch((e) => {
        console.error(e);
        process.exitCode = 1;
    });
}
