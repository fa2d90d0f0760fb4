import { strict as assert } from "assert";
import * as path from "path";
import { dropDuplicates } from "../../checker/duplicates";
import { deploymentYaml, pdbYaml, runChecker, tempTree } from "./support";

describe("checker: the same object twice in one input", () => {
    it("keeps the last of each (kind, namespace, name), at its own position, with one warning naming every source", () => {
        const object = (kind: string, name: string, apiVersion = "v1", namespace?: string) => ({
            apiVersion,
            kind,
            metadata: namespace === undefined ? { name } : { name, namespace },
        });
        const result = dropDuplicates(
            [
                { object: object("ConfigMap", "a"), source: { file: "x.yaml", line: 1 } },
                { object: object("ConfigMap", "a", "v1", "default"), source: { file: "y.yaml", line: 3 } },
                { object: object("Deployment", "web", "extensions/v1beta1"), source: { file: "old.yaml", line: 1 } },
                { object: object("ConfigMap", "a", "v1", "other"), source: { file: "z.yaml", line: 1 } },
                { object: object("Deployment", "web", "apps/v1"), source: { file: "new.yaml", line: 7 } },
                { object: object("ConfigMap", "a"), source: { file: "w.yaml", line: 9 } },
                { object: { kind: "Pod", metadata: { generateName: "x-" } }, source: { file: "g.yaml", line: 1 } },
                { object: { kind: "Pod", metadata: { generateName: "x-" } }, source: { file: "g.yaml", line: 5 } },
            ],
            "default",
        );
        assert.deepEqual(
            result.objects.map((o) => `${o.source?.file}:${o.source?.line}`),
            ["z.yaml:1", "new.yaml:7", "w.yaml:9", "g.yaml:1", "g.yaml:5"],
            "a namespace-less object is in the default namespace; Deployments of both API groups are one object; generateName objects are never duplicates",
        );
        assert.deepEqual(result.warnings, [
            "ConfigMap a is defined 3 times, at x.yaml:1, y.yaml:3 and w.yaml:9: only the last (w.yaml:9) is checked, as kubectl apply would leave it",
            "Deployment default/web is defined twice, at old.yaml:1 and new.yaml:7: only the last (new.yaml:7) is checked, as kubectl apply would leave it",
        ]);
    });

    it("a PDB in two overlays read as written: one warning, never two PDBs, and every related line points at the PDB checked", async () => {
        const tree = tempTree({
            "base/web.yaml": deploymentYaml("web", 2),
            "providers/docker/pdb.yaml": pdbYaml("web", "minAvailable: 2"),
            "providers/hetzner/pdb.yaml": `# the hetzner copy\n${pdbYaml("web", "minAvailable: 2")}`,
        });
        try {
            const r = await runChecker(["--no-render", "--format", "json", tree.root]);
            assert.equal(r.code, 1, r.stderr);
            const docker = path.join(tree.root, "providers/docker/pdb.yaml");
            const hetzner = path.join(tree.root, "providers/hetzner/pdb.yaml");
            assert.equal(
                r.stderr,
                `check-manifests: warning: PodDisruptionBudget shop/web is defined twice, at ${docker}:1 and ${hetzner}:2: ` +
                    `only the last (${hetzner}:2) is checked, as kubectl apply would leave it\n`,
            );
            const report = JSON.parse(r.stdout);
            assert.equal(report.checked.PodDisruptionBudget, 1);
            assert.deepEqual(
                report.findings.map((f: { message: string }) => f.message.split(":")[0]),
                ["PodDisruptionBudget shop/web allows no voluntary disruption of Deployment shop/web at 2 replicas (replicas"],
                "no 'selected by 2 PodDisruptionBudgets'",
            );
            assert.deepEqual(report.findings[0].related[0].source, { file: hetzner, line: 2 });
        } finally {
            tree.cleanup();
        }
    });
});
