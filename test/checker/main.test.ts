import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { deploymentYaml, pdbYaml, runChecker, tempTree } from "./support";

const ROOT = path.resolve(__dirname, "..", "..");

describe("checker: command line", () => {
    let tree: ReturnType<typeof tempTree>;
    let clean: string;
    let broken: string;

    before(() => {
        tree = tempTree({
            "clean/web.yaml": `${deploymentYaml("web", 3)}---\n${pdbYaml("web", "maxUnavailable: 1")}`,
            "broken/web.yaml": deploymentYaml("web", 3),
            "broken/pdb.yaml": pdbYaml("web", "minAvailable: 3"),
            "broken/api.yaml": deploymentYaml("api", 2),
            "config/warn.yaml": "rules:\n  workload-has-pdb: warning\n  pdb-allows-disruption: warning\n",
            "config/bad.yaml": "rules:\n  workload-has-pdb: loud\n",
            "bad/doc.yaml": `${deploymentYaml("web", 3)}---\nmetadata: {name: orphan}\n`,
            "bad/patch.yaml": "- op: replace\n  path: /spec/replicas\n  value: 2\n",
            "bad/yaml.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a: b\n",
        });
        clean = path.join(tree.root, "clean");
        broken = path.join(tree.root, "broken");
    });
    after(() => tree.cleanup());

    it("exit 0 and a one-line summary when nothing is wrong", async () => {
        const r = await runChecker([clean]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(
            r.stdout,
            "Checked 1 Deployment, 0 StatefulSets, 1 PodDisruptionBudget and 0 HorizontalPodAutoscalers: no findings.\n",
        );
        assert.equal(r.stderr, "");
    });

    it("exit 1 and a report grouped by workload, with where each object is defined", async () => {
        const r = await runChecker([broken]);
        assert.equal(r.code, 1);
        const web = path.join(broken, "web.yaml");
        const lines = r.stdout.split("\n");
        assert.equal(lines[0], `Deployment shop/api (${path.join(broken, "api.yaml")}:1)`);
        assert.match(lines[1], /^ {2}error {3}workload-has-pdb: Deployment shop\/api runs 2 replicas .* Fix: /);
        assert.equal(lines[2], "");
        assert.equal(lines[3], `Deployment shop/web (${web}:1)`);
        assert.match(lines[4], /^ {2}error {3}pdb-allows-disruption: PodDisruptionBudget shop\/web allows no voluntary disruption/);
        assert.equal(lines[5], `          related: PodDisruptionBudget shop/web (${path.join(broken, "pdb.yaml")}:1)`);
        assert.match(
            r.stdout,
            /Checked 2 Deployments, 0 StatefulSets, 1 PodDisruptionBudget and 0 HorizontalPodAutoscalers: 2 errors and 0 warnings on 2 objects\.\n$/,
        );
    });

    it("--format json prints findings, checked, roots and warnings", async () => {
        const r = await runChecker(["--format", "json", path.join(broken, "web.yaml"), path.join(broken, "pdb.yaml")]);
        assert.equal(r.code, 1);
        const report = JSON.parse(r.stdout);
        assert.deepEqual(Object.keys(report), ["findings", "checked", "roots", "warnings"]);
        assert.deepEqual(report.roots, [{ root: null, how: null, checked: report.checked }]);
        assert.deepEqual(report.warnings, []);
        assert.deepEqual(report.checked, { Deployment: 1, StatefulSet: 0, PodDisruptionBudget: 1, HorizontalPodAutoscaler: 0 });
        assert.equal(report.findings.length, 1);
        const [finding] = report.findings;
        assert.deepEqual(Object.keys(finding), ["rule", "severity", "root", "object", "related", "message", "source"]);
        assert.equal(finding.root, null);
        assert.deepEqual(finding.object, { kind: "Deployment", namespace: "shop", name: "web" });
        assert.deepEqual(finding.related, [
            { kind: "PodDisruptionBudget", namespace: "shop", name: "web", source: { file: path.join(broken, "pdb.yaml"), line: 1 } },
        ]);
        assert.deepEqual(finding.source, { file: path.join(broken, "web.yaml"), line: 1 });
        assert.equal(finding.rule, "pdb-allows-disruption");
        assert.equal(finding.severity, "error");
    });

    it("warnings alone exit 0; --config sets severities", async () => {
        const r = await runChecker(["--config", path.join(tree.root, "config/warn.yaml"), broken]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /warning workload-has-pdb/);
        assert.match(r.stdout, /0 errors and 2 warnings on 2 objects/);
    });

    it("reads stdin for -, including kubectl's kind: List", async () => {
        const live = `apiVersion: v1
kind: List
items:
- ${deploymentYaml("web", 3).trimEnd().split("\n").join("\n  ")}
metadata:
  resourceVersion: ""
`;
        const r = await runChecker(["--format", "json", "-"], live);
        assert.equal(r.code, 1, r.stderr);
        const report = JSON.parse(r.stdout);
        assert.deepEqual(report.findings[0].source, { file: "<stdin>", line: 4 });
        assert.equal(report.findings[0].rule, "workload-has-pdb");
    });

    it("live input: a PDB whose status allows no disruption now is reported, with the unhealthy pod count (runbook Scenario 1)", async () => {
        const live = `apiVersion: v1
kind: List
items:
- ${deploymentYaml("web", 3).trimEnd().split("\n").join("\n  ")}
- ${pdbYaml("web", "maxUnavailable: 1").trimEnd().split("\n").join("\n  ")}
  status:
    currentHealthy: 2
    desiredHealthy: 2
    disruptionsAllowed: 0
    expectedPods: 3
    observedGeneration: 1
`;
        const r = await runChecker(["-"], live);
        assert.equal(r.code, 1, r.stderr);
        assert.match(
            r.stdout,
            /^PodDisruptionBudget shop\/web \(<stdin>:19\)\n {2}error {3}pdb-allows-disruption: PodDisruptionBudget shop\/web has status\.disruptionsAllowed 0, so a drain would block now: 1 of the 3 pods it selects is unhealthy/m,
        );
        assert.match(r.stdout, /related: Deployment shop\/web \(<stdin>:4\)/);
    });

    describe("bad input exits 2 with a message and no stack trace", () => {
        const cases: [string, () => string[], RegExp][] = [
            ["a missing file", () => [path.join(tree.root, "missing.yaml")], /cannot read .*missing\.yaml: no such file or directory/],
            [
                "invalid YAML",
                () => [path.join(tree.root, "bad/yaml.yaml")],
                /yaml\.yaml:4:9: invalid YAML: Nested mappings are not allowed/,
            ],
            [
                "a named file holding no Kubernetes object (a patch list)",
                () => [path.join(tree.root, "bad/patch.yaml")],
                /patch\.yaml holds no Kubernetes object:\n {4}.*patch\.yaml:1: skipped a document that is a list/,
            ],
            [
                "a bad --config",
                () => ["--config", path.join(tree.root, "config/bad.yaml"), clean],
                /bad --config:\n {2}.*bad\.yaml:2: rules\.workload-has-pdb must be one of error, warning, off/,
            ],
            ["a missing --config", () => ["--config", path.join(tree.root, "none.yaml"), clean], /cannot read config .*none\.yaml/],
            ["an unknown --format", () => ["--format", "xml", clean], /argument 'xml' is invalid/],
            ["an unknown option", () => ["--strict", clean], /unknown option '--strict'/],
            ["no PATH and no --flux", () => [], /give a PATH \(a file, a directory or - for stdin\) or --flux TREE/],
        ];
        for (const [what, argv, expected] of cases) {
            it(what, async () => {
                const r = await runChecker(argv());
                assert.equal(r.code, 2, r.stdout);
                assert.match(r.stderr, expected);
                assert.doesNotMatch(r.stderr, /\n\s+at /, "stack trace");
                assert.equal(r.stdout, "");
            });
        }

        it("an empty stdin", async () => {
            const r = await runChecker(["-"], "");
            assert.equal(r.code, 2);
            assert.match(r.stderr, /<stdin>: no input/);
        });

        it("the empty List kubectl prints for a wrong context: a pre-flight must not pass on nothing", async () => {
            const r = await runChecker(["-"], 'apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ""\n');
            assert.equal(r.code, 2, r.stdout);
            assert.equal(r.stdout, "");
            assert.match(
                r.stderr,
                /cannot check the input:\n {2}no Kubernetes objects in <stdin>, only empty Lists, so there is nothing to check; kubectl prints an empty List when the context or namespace is wrong\n/,
            );
        });

        it("only ConfigMaps: read, nothing to check, and that is a pass", async () => {
            const r = await runChecker(["-"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\n");
            assert.equal(r.code, 0, r.stderr);
            assert.match(r.stdout, /^Checked 0 Deployments, .*: no findings\.\n$/);
        });
    });

    it("--help exits 0 and documents the exit codes", async () => {
        const r = await runChecker(["--help"]);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /Usage: check-manifests \[options\] \[PATH\.\.\.\]/);
        assert.match(r.stdout, /2 {2}unusable input, config or arguments/);
    });

    it("the real CLI reads a pipe and sets the exit code", function () {
        this.timeout(60000);
        const run = spawnSync(
            process.execPath,
            ["-r", require.resolve("ts-node/register/transpile-only"), path.join(ROOT, "checker/cli.ts"), "--format", "json", "-"],
            {
                cwd: ROOT,
                input: deploymentYaml("web", 3),
                encoding: "utf8",
            },
        );
        assert.equal(run.status, 1, run.stderr);
        assert.equal(JSON.parse(run.stdout).findings[0].rule, "workload-has-pdb");
    });
});
