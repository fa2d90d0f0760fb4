import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { fluxUnit } from "../../checker/flux";
import { checkUnit } from "../../checker/main";
import { findKustomizeTool } from "../../gitops/render";
import { PLATFORM_TREE, platformFluxTree } from "../support/tree";
import { runChecker } from "./support";

const FIXTURE = path.join(__dirname, "fixtures", "flux");
const PLATFORM = PLATFORM_TREE;

interface Report {
    findings: {
        root: string;
        rule: string;
        object: { name: string };
        related: { name: string; source: { file: string } }[];
        message: string;
    }[];
    roots: { root: string; how: string; checked: Record<string, number> }[];
    warnings: string[];
}

describe("checker: --flux", function () {
    before(function () {
        if (findKustomizeTool() === undefined) {
            this.skip(); // neither kustomize nor kubectl on PATH: a Flux tree cannot be rendered here
        }
    });

    it("follows the tree from the sync path; one cluster judged together, each finding under its Kustomization", async () => {
        const r = await runChecker(["--format", "json", "--flux", FIXTURE]);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout) as Report;
        assert.deepEqual(
            report.roots.map((root) => [root.root, root.how.split(",")[0]]),
            [
                [path.join(FIXTURE, "clusters/prod"), "Flux Kustomization flux-system/flux-system"],
                [path.join(FIXTURE, "infra"), "Flux Kustomization flux-system/infra"],
                [path.join(FIXTURE, "apps"), "Flux Kustomization flux-system/apps"],
            ],
        );
        // web: ${web_replicas:=2} is 3 from the tree's own substituteFrom ConfigMap, and infra's PDB (minAvailable 2) covers it.
        assert.deepEqual(
            report.findings.map((f) => [f.root, f.rule, f.object.name]),
            [[path.join(FIXTURE, "apps"), "workload-has-pdb", "worker"]],
        );
        assert.match(
            report.warnings.join("\n"),
            /Deployment api\/api \(.*apps\/api\.yaml:1\): unresolved variable: spec\.replicas "\$\{api_replicas\}" needs \$\{api_replicas\}/,
        );
        assert.equal(report.roots[2].checked.Deployment, 3);
    });

    it("--var overrides the tree's substituteFrom values: web at 2 is then blocked by the PDB another Kustomization applies", async () => {
        const r = await runChecker(["--format", "json", "--flux", FIXTURE, "--var", "web_replicas=2", "--var", "api_replicas=1"]);
        const report = JSON.parse(r.stdout) as Report;
        const web = report.findings.find((f) => f.object.name === "web");
        assert.ok(web, r.stdout);
        assert.equal(web.root, path.join(FIXTURE, "apps"));
        assert.match(web.message, /at 2 replicas/);
        assert.equal(web.related[0].source.file, path.relative(process.cwd(), path.join(FIXTURE, "infra/pdb.yaml")));
        assert.doesNotMatch(report.warnings.join("\n"), /api_replicas/);
    });

    it("a kustomize root holding Flux Kustomizations says that --flux follows them", async () => {
        const r = await runChecker([path.join(FIXTURE, "clusters/prod")]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stderr,
            /clusters\/prod: applies the Flux Kustomizations apps, infra, whose paths kustomize does not follow; .* --flux /,
        );
    });

    it("Kustomizations of another source are not followed, and each says so (nothing passes silently)", async () => {
        const r = await runChecker(["--flux", FIXTURE, "--source-kind", "GitRepository"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(
            r.stderr,
            /Flux Kustomization flux-system\/infra is not followed: its source OCIRepository\/flux-system\/flux-system is not the synced one/,
        );
        assert.match(r.stderr, /Flux Kustomization flux-system\/apps is not followed/);
    });

    it("a sync path that is not in the tree is exit 2, listing the tree's clusters", async () => {
        const r = await runChecker(["--flux", FIXTURE, "--sync-path", "clusters/staging"]);
        assert.equal(r.code, 2);
        assert.match(
            r.stderr,
            /the sync path clusters\/staging is not in the tree; give the FluxInstance's spec\.sync\.path with --sync-path \(the tree has clusters\/prod\)/,
        );
    });

    describe("the platform's own tree (../shared)", () => {
        before(function () {
            if (!fs.existsSync(PLATFORM)) {
                this.skip(); // ../shared/reference/platform is not on this machine
            }
        });

        it("--flux k8s gives findings per Kustomization, bootstrap -> infrastructure-controllers -> infrastructure -> apps, no exit 2", function () {
            // The tree as followed once for every test file (the CLI path is the fixture's above; this is the real tree's content).
            this.timeout(120000);
            const tool = findKustomizeTool();
            assert.ok(tool);
            const { unit, warnings } = fluxUnit(platformFluxTree(tool), PLATFORM, tool);
            const reports = checkUnit(unit, {}, {}, warnings);
            assert.deepEqual(
                reports.map((r) => [
                    path.relative(PLATFORM, r.root ?? ""),
                    r.how?.split(",")[0].replace("Flux Kustomization flux-system/", ""),
                ]),
                [
                    ["clusters/prod", "flux-system"],
                    ["clusters/prod/bootstrap", "bootstrap"],
                    ["providers/hetzner/infrastructure/controllers", "infrastructure-controllers"],
                    ["providers/hetzner/infrastructure", "infrastructure"],
                    ["providers/hetzner/apps", "apps"],
                ],
            );
            assert.ok(reports.reduce((n, r) => n + r.result.checked.PodDisruptionBudget, 0) > 10, "the tree's PDBs are read");
            assert.match(
                warnings.join("\n"),
                /kubelet-serving-cert-approver\/kustomization\.yaml:\d+: left out https:/,
                "remote resources named",
            );
        });
    });
});
