import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { validateConfig } from "../../config";
import { ESTIMATE_KINDS, ESTIMATE_TABLE, EstimateOverride } from "../../config/estimates";
import { main } from "../../rehearsal/cli";
import { criticalPath, withoutImpliedDependencies } from "../../rehearsal/criticalPath";
import { EstimateOverrideError, estimateRebuild, formatDuration } from "../../rehearsal/estimate";
import { renderMermaid } from "../../rehearsal/mermaid";
import { planPhases, stepGraph } from "../../rehearsal/plan";
import { SimulationResult, providerUrnFor } from "../../rehearsal/simulate";
import { validProdRaw } from "../support/config";
import { recordedResource as res, simulateOk } from "../support/simulation";

const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

describe("rehearsal: critical path (pure)", () => {
    it("takes the longest chain, not the one with the most steps", () => {
        // a(1) -> b(10) -> d(1); a -> c(2) -> e(2) -> d: the heavier branch wins.
        const deps = graph({ a: [], b: ["a"], c: ["a"], e: ["c"], d: ["b", "e"] });
        const secs: Record<string, number> = { a: 1, b: 10, c: 2, e: 2, d: 1 };
        assert.deepEqual(
            criticalPath(deps, (s) => secs[s]),
            { steps: ["a", "b", "d"], seconds: 12 },
        );
        secs.e = 20;
        assert.deepEqual(
            criticalPath(deps, (s) => secs[s]),
            { steps: ["a", "c", "e", "d"], seconds: 24 },
        );
    });

    it("picks the longest of independent chains, ties to the step listed first", () => {
        assert.deepEqual(
            criticalPath(graph({ x: [], y: [] }), () => 5),
            { steps: ["x"], seconds: 5 },
        );
        assert.deepEqual(
            criticalPath(graph({ x: [], y: ["z"], z: [] }), () => 5),
            { steps: ["z", "y"], seconds: 10 },
        );
    });

    it("ignores dependencies that are not steps, and an empty graph takes no time", () => {
        assert.deepEqual(
            criticalPath(graph({ a: ["elsewhere"] }), () => 3),
            { steps: ["a"], seconds: 3 },
        );
        assert.deepEqual(
            criticalPath(graph({}), () => 3),
            { steps: [], seconds: 0 },
        );
    });

    it("refuses a cycle and a step without a valid duration", () => {
        assert.throws(() => criticalPath(graph({ a: ["b"], b: ["a"] }), () => 1), /cycle/);
        assert.throws(() => criticalPath(graph({ a: [] }), () => NaN), /no valid duration/);
    });

    it("drops only dependencies another dependency implies", () => {
        const reduced = withoutImpliedDependencies(graph({ a: [], b: ["a"], c: ["a", "b"], d: ["a", "c", "b"] }));
        assert.deepEqual(Object.fromEntries(reduced), { a: [], b: ["a"], c: ["b"], d: ["c"] });
    });
});

describe("rehearsal: step estimates (pure)", () => {
    const cmd = (name: string, parent: string, env: Record<string, string>, deps: string[] = []) =>
        res(name, deps, { type: "command:local:Command", parent: `urn:${parent}`, inputs: { environment: env } });
    const comp = (name: string, type: string) => res(name, [], { type, custom: false });
    const resources = [
        comp("boot", "platform-dr:cluster:TalosBootstrap"),
        comp("ks", "platform-dr:waiters:KubeWaiter"),
        res("node", [], { type: "hcloud:index/server:Server" }),
        cmd("boot-etcd", "boot", { TIMEOUT_SECONDS: "600" }, ["node"]),
        cmd("ks-wait", "ks", { KIND: "kustomizations.kustomize.toolkit.fluxcd.io", NAME: "apps", TIMEOUT_SECONDS: "120" }, ["boot-etcd"]),
        res("db", ["boot-etcd"], {
            type: "kubernetes:postgresql.cnpg.io/v1:Cluster",
            inputs: { metadata: { namespace: "umami", name: "umami-db" } },
            createTimeout: "2h",
        }),
        res("mystery", ["node"], { type: "newpkg:index:Thing" }),
    ];

    it("classifies by type and by the component that made a command, with the step's own timeout as its worst", () => {
        const e = estimateRebuild(resources);
        const byName = Object.fromEntries([...e.steps.values()].map((s) => [s.name, s]));
        assert.equal(byName.node.kind, "server");
        assert.equal(byName["boot-etcd"].kind, "etcd-bootstrap");
        assert.equal(byName["boot-etcd"].worstSeconds, 600);
        assert.equal(byName["boot-etcd"].worstFrom, "timeout");
        assert.equal(byName["ks-wait"].kind, "kustomization");
        assert.equal(byName["ks-wait"].subject, "apps");
        // 225 s typical would fail a 120 s timeout: capped at it.
        assert.equal(byName["ks-wait"].typicalSeconds, 120);
        assert.equal(byName.db.kind, "database-recovery");
        assert.equal(byName.db.subject, "umami/umami-db");
        assert.equal(byName.db.worstSeconds, 7200);
        assert.equal(byName.mystery.kind, "unknown");
        assert.equal(byName.mystery.worstFrom, "table");
        assert.deepEqual(
            e.unclassified.map((s) => s.name),
            ["mystery"],
        );
    });

    it("computes the critical path, the sequential total and the worst case from the recorded graph", () => {
        const e = estimateRebuild(resources);
        const t = ESTIMATE_TABLE;
        const dbPath = t.server.typicalSeconds + t["etcd-bootstrap"].typicalSeconds + t["database-recovery"].typicalSeconds;
        assert.deepEqual(
            e.criticalPath.steps.map((u) => e.steps.get(u)!.name),
            ["node", "boot-etcd", "db"],
        );
        assert.equal(e.criticalPath.seconds, dbPath);
        assert.equal(e.sequentialSeconds, dbPath + 120 + t.unknown.typicalSeconds);
        assert.equal(e.worstCase.seconds, t.server.worstSeconds + 600 + 7200);
    });

    it("applies measured figures for a kind and for one named step; a step name the plan lacks is an error", () => {
        const o = (
            kind: EstimateOverride["kind"],
            subject: string | undefined,
            typicalSeconds: number,
            index: number,
        ): EstimateOverride => ({
            kind,
            subject,
            typicalSeconds,
            index,
        });
        const e = estimateRebuild(resources, [o("server", undefined, 30, 0), o("kustomization", "apps", 90, 1)]);
        const byName = Object.fromEntries([...e.steps.values()].map((s) => [s.name, s]));
        assert.equal(byName.node.typicalSeconds, 30);
        assert.equal(byName.node.typicalFrom, "config");
        assert.equal(byName["ks-wait"].typicalSeconds, 90);
        assert.throws(
            () => estimateRebuild(resources, [o("kustomization", "app", 90, 3)]),
            (err: Error) =>
                err instanceof EstimateOverrideError && /rehearsalEstimates\[3\]: kustomization\/app .*steps are: apps/.test(err.message),
        );
    });

    it("names the default provider the engine would create, or the explicit one", () => {
        const base = { type: "hcloud:index/server:Server", custom: true, provider: "", version: "1.41.0" };
        assert.equal(providerUrnFor(base, "prod"), "urn:pulumi:prod::platform-dr::pulumi:providers:hcloud::default_1_41_0");
        assert.equal(
            providerUrnFor({ ...base, version: "4.0.0-alpha.1" }, "s"),
            "urn:pulumi:s::platform-dr::pulumi:providers:hcloud::default_4_0_0_alpha_1",
        );
        assert.equal(
            providerUrnFor({ ...base, provider: "urn:pulumi:prod::p::pulumi:providers:kubernetes::k8s::abc-123" }, "prod"),
            "urn:pulumi:prod::p::pulumi:providers:kubernetes::k8s",
        );
        assert.equal(providerUrnFor({ ...base, custom: false }, "prod"), null);
        assert.equal(providerUrnFor({ ...base, type: "pulumi:providers:hcloud" }, "prod"), null);
    });

    it("formats durations for people", () => {
        assert.deepEqual([0, 45, 60, 272, 3600, 3725].map(formatDuration), ["0s", "45s", "1m", "4m 32s", "1h 00m", "1h 02m"]);
    });
});

describe("rehearsal: rehearsalEstimates config", () => {
    const problems = (entries: string[]) => {
        const r = validateConfig(validProdRaw({ rehearsalEstimates: entries }));
        return r.ok ? [] : r.problems.filter((p) => p.key.startsWith("rehearsalEstimates")).map((p) => `${p.key}: ${p.message}`);
    };

    it("accepts kinds and named steps with durations", () => {
        assert.deepEqual(problems(["velero-restore typical=25m worst=1h", "kustomization/apps typical=8m", "server worst=5m"]), []);
        const r = validateConfig(validProdRaw({ rehearsalEstimates: ["velero-restore typical=25m"] }));
        assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
        assert.deepEqual(r.config.rehearsal.estimates, [
            { kind: "velero-restore", subject: undefined, typicalSeconds: 1500, worstSeconds: undefined, index: 0 },
        ]);
    });

    it("reports a bad kind, a bad duration, typical beyond worst, no figure and a repeat, each by index", () => {
        assert.match(
            problems(["velero-restor typical=1m"])[0],
            /rehearsalEstimates\[0\]: names kind "velero-restor", which is not one of: provider, /,
        );
        assert.match(problems(["server typical=ten"])[0], /\[0\]: has typical=ten; use a duration/);
        assert.match(problems(["server typical=10m worst=5m"])[0], /typical=10m longer than worst=5m/);
        assert.match(problems(["server"])[0], /sets neither typical= nor worst=/);
        assert.match(
            problems(["server typical=1m", "server worst=9m"])[0],
            /rehearsalEstimates\[1\]: names server again \(first in rehearsalEstimates\[0\]\)/,
        );
    });

    it("makes the rehearsal exit 2, naming the entry, for bad config and for a step the plan lacks", async function () {
        this.timeout(30_000);
        for (const [entry, pattern] of [
            ["nonsense typical=1m", /rehearsalEstimates\[0\].*not one of/],
            [
                "database-recovery/umami/umami-dbx typical=1m",
                /rehearsalEstimates\[0\]: database-recovery\/umami\/umami-dbx is no step.*umami\/umami-db/,
            ],
        ] as const) {
            let stdout = "";
            let stderr = "";
            const code = await main(["--stack", "restore-example", "--set", `rehearsalEstimates[0]=${entry}`], {
                stdout: (t) => (stdout += t),
                stderr: (t) => (stderr += t),
            });
            assert.equal(code, 2, stdout + stderr);
            assert.match(stdout + stderr, pattern);
        }
    });
});

describe("rehearsal: estimate and graph of the committed stacks", () => {
    let prod: SimulationResult;
    before(async function () {
        this.timeout(30_000);
        prod = await simulateOk({ stack: "prod" });
    });

    it("prod: the critical path runs through provisioning, Flux, the Velero restore and the held Kustomizations, in order", () => {
        const e = estimateRebuild(prod.resources, prod.estimateOverrides);
        const kinds: string[] = e.criticalPath.steps.map((u) => e.steps.get(u)!.kind);
        const order = ["server", "talos-install", "etcd-bootstrap", "api-ready", "flux-instance", "velero-restore", "kustomization"];
        const at = order.map((k) => kinds.indexOf(k));
        assert.ok(
            at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1])),
            `critical path kinds: ${kinds.join(" > ")}`,
        );
        // Every step of the graph is estimated, and the totals are consistent.
        assert.equal(e.steps.size, stepGraph(prod.resources).size);
        assert.ok(e.criticalPath.seconds < e.sequentialSeconds && e.criticalPath.seconds < e.worstCase.seconds);
        // Every kind of step the runbook names is recognised in prod; other helpers' new steps may
        // fall to the reported default until a rule names them, so only these are required.
        const present = new Set([...e.steps.values()].map((s) => s.kind));
        const required = [
            ...["server", "talos-install", "etcd-bootstrap", "api-ready", "helm-release", "flux-instance", "kustomization"],
            ...["velero-storage-sync", "velero-restore", "openbao-restore", "database-recovery", "dns-record", "github"],
        ] as const;
        assert.deepEqual(
            required.filter((k) => !present.has(k)),
            [],
        );
    });

    it("prod: the Mermaid flowchart has one subgraph per phase, every step once, arrows between declared steps, the path highlighted", () => {
        const phases = planPhases(prod.resources);
        const e = estimateRebuild(prod.resources, prod.estimateOverrides);
        const chart = renderMermaid(phases, stepGraph(prod.resources), e);
        const lines = chart.trimEnd().split("\n");
        assert.equal(lines[0], "flowchart TD");
        assert.equal(lines.filter((l) => /^ {4}subgraph phase\d+\["Phase \d+"\]$/.test(l)).length, phases.length);
        assert.equal(lines.filter((l) => l === "    end").length, phases.length);
        const nodes = lines.map((l) => /^ {8}(s\d+)\["[^"]*"\]$/.exec(l)?.[1]).filter((x): x is string => !!x);
        assert.equal(nodes.length, e.steps.size);
        assert.equal(new Set(nodes).size, nodes.length);
        const links = lines.filter((l) => /^ {4}s\d+ (-->|==>) s\d+$/.test(l));
        for (const l of links) {
            const [from, , to] = l.trim().split(" ");
            assert.ok(nodes.includes(from) && nodes.includes(to), l);
        }
        const thick = links.filter((l) => l.includes("==>")).length;
        assert.equal(thick, e.criticalPath.steps.length - 1);
        const classLine = lines.find((l) => l.startsWith("    class "))!;
        assert.equal(classLine.split(" ").pop(), "critical");
        assert.equal(classLine.trim().split(" ")[1].split(",").length, e.criticalPath.steps.length);
        const linkStyle = lines.find((l) => l.startsWith("    linkStyle "))!;
        const indexes = linkStyle.trim().split(" ")[1].split(",").map(Number);
        assert.deepEqual(
            indexes.map((i) => links[i].includes("==>")),
            indexes.map(() => true),
        );
    });

    it("restore-example: --format mermaid and the text plan's estimate through the CLI", async function () {
        this.timeout(30_000);
        let stdout = "";
        const code = await main(["--stack", "restore-example", "--format", "mermaid"], {
            stdout: (t) => (stdout += t),
            stderr: () => undefined,
        });
        assert.equal(code, 0);
        assert.match(stdout, /^flowchart TD\n/);
        assert.match(stdout, /velero-restore<br\/>velero-restore, 15m/);
        assert.match(stdout, /class s\d+(,s\d+)* critical/);
    });

    it("the README's estimate table is the table the rehearsal uses", () => {
        const readme = fs.readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        const rows = [...readme.matchAll(/^\| `([a-z-]+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|$/gm)].map((m) => ({
            kind: m[1],
            typical: m[3].trim(),
            worst: m[4].trim(),
        }));
        assert.deepEqual(
            rows.map((r) => r.kind),
            ESTIMATE_KINDS as string[],
        );
        for (const r of rows) {
            const t = ESTIMATE_TABLE[r.kind as keyof typeof ESTIMATE_TABLE];
            assert.equal(r.typical, formatDuration(t.typicalSeconds), r.kind);
            assert.equal(r.worst, formatDuration(t.worstSeconds), r.kind);
        }
    });
});
