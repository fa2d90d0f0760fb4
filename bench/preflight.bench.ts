/**
 * Benchmark of the convergence pre-flight (`npm run bench:preflight [-- <k8s dir> [sync path]]`).
 * Not a test: it prints timings. Follows the tree three times and reports wall-clock time and the
 * CPU time of this process and of the kustomize runs (wall time on a loaded machine says little).
 * Default tree: ../shared/reference/platform/k8s, sync path clusters/prod.
 */
import * as fs from "fs";
import * as path from "path";
import { analyseConvergence } from "../gitops/convergence";
import { followFluxTree } from "../gitops/fluxTree";
import { describeTool, findKustomizeTool } from "../gitops/render";

const root = path.resolve(process.argv[2] ?? path.join(__dirname, "../../shared/reference/platform/k8s"));
const syncPath = process.argv[3] ?? "clusters/prod";
/** CPU milliseconds of waited-for children (the kustomize runs), from /proc (Linux); NaN elsewhere. */
function childrenCpuMs(): number {
    try {
        const fields = fs.readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
        // cutime and cstime are fields 16 and 17 of stat(5), in clock ticks (100 per second on Linux).
        return (Number(fields[13]) + Number(fields[14])) * 10;
    } catch {
        return NaN;
    }
}

const tool = findKustomizeTool();
if (!tool) {
    console.error("bench:preflight: neither kustomize nor kubectl is on PATH");
    process.exit(2);
}
console.log(`tree ${root}, sync path ${syncPath}, ${describeTool(tool)}`);
for (let run = 1; run <= 3; run++) {
    const cpu = process.cpuUsage();
    const children = childrenCpuMs();
    const started = process.hrtime.bigint();
    const tree = followFluxTree(root, syncPath, { tool });
    const rendered = process.hrtime.bigint();
    const report = analyseConvergence(tree, { preInstalled: { charts: [], crds: [] }, fluxComponents: [] });
    const done = process.hrtime.bigint();
    const own = process.cpuUsage(cpu);
    const kustomize = childrenCpuMs() - children;
    const objects = tree.kustomizations.reduce((n, k) => n + k.objects.length, 0);
    console.log(
        `run ${run}: ${tree.kustomizations.length} Kustomizations, ${objects} objects, ${report.kinds.length} kind uses; ` +
            `follow ${(Number(rendered - started) / 1e6).toFixed(0)} ms, analyse ${(Number(done - rendered) / 1e6).toFixed(0)} ms wall; ` +
            `CPU: node ${((own.user + own.system) / 1000).toFixed(0)} ms, kustomize ${kustomize.toFixed(0)} ms; max RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`,
    );
}
