/**
 * Benchmark of the manifest checker's own work (`npm run bench`): reading YAML, post-build
 * substitution, deduplication, the unresolved-variable scan and the rules, against parsing the
 * same YAML alone (what any tool reading it must do). The target is at most 3x. Then, when the
 * platform's tree is on this machine (../shared), the end-to-end time of checking it, rendering
 * included. Not a test: it prints timings.
 */
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments, stringify } from "yaml";
import { dropDuplicates } from "../checker/duplicates";
import { parseManifests } from "../checker/load";
import { CheckerIo, main } from "../checker/main";
import { substituteVariables, unresolvedVariables } from "../checker/substitute";
import { evaluate } from "../policies/rules";
import { syntheticObjects } from "./rules.bench";

/** Workload counts to measure (each brings a PDB and, every fifth, an HPA). */
const SIZES = [1_000, 5_000];

const PLATFORM = path.resolve(__dirname, "..", "..", "shared", "reference", "platform", "k8s");

/**
 * The synthetic objects as one YAML stream, as a GitOps tree writes them: a fifth of the replica
 * counts are Flux variables with a default, and one object in a hundred is repeated later.
 */
function manifestText(workloads: number): string {
    const documents: string[] = [];
    syntheticObjects(workloads, 100).forEach(({ object }, i) => {
        const record = object as { kind: string; spec: Record<string, unknown> };
        if (record.kind === "Deployment" && i % 5 === 1 && typeof record.spec.replicas === "number") {
            record.spec.replicas = `\${replicas_${i}:=${record.spec.replicas}}`;
        }
        documents.push(stringify(record));
        if (i % 100 === 7) {
            documents.push(stringify(record));
        }
    });
    return documents.join("---\n");
}

function best(run: () => unknown): number {
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
        const start = process.hrtime.bigint();
        run();
        fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e6);
    }
    return fastest;
}

function parseOnly(text: string): number {
    return parseAllDocuments(text).map((d) => d.toJS()).length;
}

function checkText(text: string): number {
    const loaded = parseManifests(text, "bench.yaml");
    const substituted = substituteVariables(loaded.objects, {});
    const unique = dropDuplicates(substituted.objects, "default");
    unresolvedVariables(unique.objects, "default");
    return evaluate(unique.objects).findings.length;
}

async function platform(args: string[]): Promise<string> {
    const io: CheckerIo = { stdout: () => undefined, stderr: () => undefined, readStdin: async () => "" };
    const start = process.hrtime.bigint();
    const code = await main(args, io);
    return `${(Number(process.hrtime.bigint() - start) / 1e9).toFixed(1)} s (exit ${code})`;
}

async function run(): Promise<void> {
    console.log(`manifest checker, node ${process.version}`);
    console.log(["workloads", "YAML MB", "parse ms", "check ms", "ratio"].map((h) => h.padStart(10)).join(" "));
    for (const size of SIZES) {
        const text = manifestText(size);
        const parse = best(() => parseOnly(text));
        const check = best(() => checkText(text));
        console.log(
            [size, (text.length / 1e6).toFixed(1), parse.toFixed(0), check.toFixed(0), `${(check / parse).toFixed(2)}x`]
                .map((c) => String(c).padStart(10))
                .join(" "),
        );
    }
    if (fs.existsSync(PLATFORM)) {
        console.log(`platform tree --flux (${PLATFORM}): ${await platform(["--flux", PLATFORM])}`);
        console.log(`platform tree, every kustomization root: ${await platform([PLATFORM])}`);
    } else {
        console.log("platform tree: ../shared/reference/platform/k8s is not on this machine, not measured");
    }
}

run().catch((e) => {
    console.error(e);
    process.exitCode = 1;
});
