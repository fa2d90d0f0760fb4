import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { findKustomizeTool } from "../../gitops/render";
import { PLATFORM_TREE } from "../support/tree";
import { runChecker } from "./support";

const FIXTURE = path.join(__dirname, "fixtures", "overlays");
const PLATFORM = PLATFORM_TREE;

describe("checker: kustomize trees", function () {
    before(function () {
        if (findKustomizeTool() === undefined) {
            this.skip(); // neither kustomize nor kubectl on PATH: the rendering cases cannot run here
        }
    });

    it("renders each kustomization root on its own, and every finding names its root", async () => {
        const r = await runChecker(["--format", "json", FIXTURE]);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout);
        const docker = path.join(FIXTURE, "overlays/docker");
        const hetzner = path.join(FIXTURE, "overlays/hetzner");
        assert.deepEqual(
            report.roots.map((root: { root: string; how: string }) => [root.root, root.how.split(" ")[2]]),
            [
                [docker, findKustomizeTool()?.name],
                [hetzner, findKustomizeTool()?.name],
            ],
            "base is included by both overlays, so it is no root of its own",
        );
        const found = report.findings.map((f: { root: string; rule: string; object: { name: string } }) => [f.root, f.rule, f.object.name]);
        assert.deepEqual(found, [
            [docker, "pdb-allows-disruption", "web"],
            [hetzner, "workload-has-pdb", "api"],
        ]);
        // Sources are the files that declared each object, as kustomize's origin annotation says.
        const relative = (file: string) => path.relative(process.cwd(), file);
        assert.deepEqual(report.findings[0].source, { file: relative(path.join(FIXTURE, "base/deployment.yaml")), line: 1 });
        assert.deepEqual(report.findings[0].related[0].source, { file: relative(path.join(FIXTURE, "base/pdb.yaml")), line: 1 });
        assert.equal(report.warnings.length, 0, "the JSON 6902 patch is kustomize's input, not a document to warn about");
    });

    it("the text report has a heading per root and a total", async () => {
        const r = await runChecker([FIXTURE]);
        assert.match(r.stdout, new RegExp(`^Root ${FIXTURE}/overlays/docker, rendered with (kustomize build|kubectl kustomize) \\(`, "m"));
        assert.match(r.stdout, /^Deployment shop\/web \(.*base\/deployment\.yaml:1\)$/m);
        assert.match(r.stdout, /\n2 roots: 2 errors and 0 warnings on 2 objects\.\n$/);
    });

    it("a kustomization directory named directly is one root", async () => {
        const r = await runChecker(["--format", "json", path.join(FIXTURE, "overlays/hetzner")]);
        assert.deepEqual(
            JSON.parse(r.stdout).roots.map((root: { root: string }) => root.root),
            [path.join(FIXTURE, "overlays/hetzner")],
        );
    });

    it("--no-render reads the files as written: the patch list is skipped with a warning naming file and line", async () => {
        const r = await runChecker(["--no-render", "--format", "json", FIXTURE]);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.deepEqual(report.warnings, [
            `${path.join(FIXTURE, "overlays/docker/patches/single-replica.yaml")}:2: skipped a document that is a list, not a Kubernetes object (a mapping with apiVersion and kind)`,
        ]);
        assert.deepEqual(report.roots, [{ root: null, how: null, checked: report.checked }]);
        assert.equal(report.checked.Deployment, 2);
    });

    it("a kustomization that does not render is exit 2 when named, naming kustomize's reason", async () => {
        const r = await runChecker([path.join(FIXTURE, "..", "broken-kustomization")]);
        assert.equal(r.code, 2, r.stdout);
        assert.match(r.stderr, /cannot render .*broken-kustomization: .*missing\.yaml/);
    });

    it("without kustomize and kubectl on PATH: a clear error that says what to do", async () => {
        const saved = process.env.PATH;
        process.env.PATH = "";
        try {
            const r = await runChecker([FIXTURE]);
            assert.equal(r.code, 2);
            assert.match(
                r.stderr,
                /cannot render .*overlays: neither kustomize nor kubectl .* is on PATH; install one, or pass --no-render/,
            );
        } finally {
            process.env.PATH = saved;
        }
    });

    it("--help says which tool renders", async () => {
        const r = await runChecker(["--help"]);
        assert.match(r.stdout.replace(/\s+/g, " "), /with `kustomize build` if kustomize is on PATH, else `kubectl kustomize`/);
    });

    describe("the platform's own tree (../shared)", () => {
        before(function () {
            if (!fs.existsSync(PLATFORM)) {
                this.skip(); // ../shared/reference/platform is not on this machine
            }
        });

        it("an overlay of it renders and is judged, without exit 2", async () => {
            const overlay = path.join(PLATFORM, "providers/docker/infrastructure/controllers/coredns");
            const r = await runChecker(["--format", "json", overlay]);
            assert.equal(r.code, 0, r.stdout + r.stderr);
            const report = JSON.parse(r.stdout);
            assert.deepEqual(
                report.roots.map((root: { root: string }) => root.root),
                [overlay],
            );
            assert.deepEqual(report.checked, { Deployment: 1, StatefulSet: 0, PodDisruptionBudget: 1, HorizontalPodAutoscaler: 0 });
        });
    });
});
