import { strict as assert } from "assert";
import * as path from "path";
import { substituteVariables, unresolvedVariables } from "../../checker/substitute";
import { deploymentYaml, pdbYaml, runChecker, tempTree } from "./support";

/** A Deployment whose spec.replicas is written as `replicas` (a `${...}` expression, say). */
function templated(name: string, replicas: string, namespace = "shop"): string {
    return deploymentYaml(name, 0).replace("replicas: 0", `replicas: ${replicas}`).replace("namespace: shop", `namespace: ${namespace}`);
}

describe("checker: Flux post-build variables", () => {
    it("a default is used when no value is given, and the result is a number as Flux reads it back", () => {
        const [{ object }] = substituteVariables(
            [{ object: { apiVersion: "apps/v1", kind: "Deployment", spec: { replicas: "${n:=2}" } } }],
            {},
        ).objects;
        assert.deepEqual(object, { apiVersion: "apps/v1", kind: "Deployment", spec: { replicas: 2 } });
    });

    it("values win over defaults; $${x} stays literal; objects that opt out and kinds the rules ignore are left alone", () => {
        const deployment = (extra: Record<string, unknown> = {}) => ({
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", ...extra },
            spec: { replicas: "${n:-1}", template: { metadata: { labels: { app: "$${literal}" } } } },
        });
        const optedOut = deployment({ annotations: { "kustomize.toolkit.fluxcd.io/substitute": "disabled" } });
        const configMap = { apiVersion: "v1", kind: "ConfigMap", data: { x: "${n}" } };
        const result = substituteVariables([{ object: deployment() }, { object: optedOut }, { object: configMap }], { n: "4" });
        assert.deepEqual(result.objects[0].object, {
            ...deployment(),
            spec: { replicas: 4, template: { metadata: { labels: { app: "${literal}" } } } },
        });
        assert.equal(result.objects[1].object, optedOut);
        assert.equal(result.objects[2].object, configMap);
        assert.deepEqual(result.warnings, []);
    });

    it("an unresolved variable in a rule field names the variable and the field; one in a field no rule reads is ignored", () => {
        const object = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "web", namespace: "shop", annotations: { note: "${ignored}" } },
            spec: { replicas: "${web_replicas}", template: { metadata: { labels: { app: "web", tier: "${tier}" } } } },
        };
        const result = unresolvedVariables([{ object, source: { file: "web.yaml", line: 3 } }], "default");
        assert.deepEqual(result.warnings, [
            'Deployment shop/web (web.yaml:3): unresolved variable: spec.replicas "${web_replicas}" needs ${web_replicas}; ' +
                'spec.template.metadata.labels.tier "${tier}" needs ${tier}; namespace shop is not judged. Give the value with --var NAME=VALUE or --vars-from FILE',
        ]);
        assert.deepEqual([...result.namespaces], ["shop"]);
        assert.equal(result.everything, false);
        assert.equal(
            unresolvedVariables([{ object: { ...object, metadata: { name: "x", namespace: "${ns}" } } }], "default").everything,
            true,
        );
    });

    describe("through the command line", () => {
        let tree: ReturnType<typeof tempTree>;
        before(() => {
            tree = tempTree({
                "app/web.yaml": `${templated("web", "${web_replicas:=2}")}---\n${pdbYaml("web", "minAvailable: 2")}`,
                "unset/api.yaml": `${templated("api", "${api_replicas}", "api")}---\n${templated("other", "3", "other")}`,
                "vars/cm.yaml": 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: variables-cluster}\ndata: {web_replicas: "3"}\n',
                "vars/secret.yaml": `apiVersion: v1\nkind: Secret\nmetadata: {name: variables-cluster}\ndata: {api_replicas: ${Buffer.from("4").toString("base64")}}\n`,
            });
        });
        after(() => tree.cleanup());

        it("the default: web runs 2 and its PDB (minAvailable 2) blocks", async () => {
            const r = await runChecker(["--format", "json", path.join(tree.root, "app")]);
            assert.equal(r.code, 1, r.stderr);
            assert.match(JSON.parse(r.stdout).findings[0].message, /at 2 replicas \(replicas: 2\)/);
        });

        it("--var and --vars-from give the value (web at 3 then passes)", async () => {
            for (const argv of [
                ["--var", "web_replicas=3"],
                ["--vars-from", path.join(tree.root, "vars/cm.yaml")],
            ]) {
                const r = await runChecker([...argv, path.join(tree.root, "app")]);
                assert.equal(r.code, 0, `${argv.join(" ")}: ${r.stdout}${r.stderr}`);
            }
        });

        it("an unresolved variable is a warning naming it; its namespace is not judged, the others are", async () => {
            const r = await runChecker(["--format", "json", path.join(tree.root, "unset")]);
            assert.equal(r.code, 1, r.stderr);
            assert.match(
                r.stderr,
                /warning: Deployment api\/api \(.*api\.yaml:1\): unresolved variable: spec\.replicas "\$\{api_replicas\}" needs \$\{api_replicas\}; namespace api is not judged/,
            );
            const report = JSON.parse(r.stdout);
            assert.deepEqual(
                report.findings.map((f: { object: { namespace: string } }) => f.object.namespace),
                ["other"],
                "no finding claims api's replicas are malformed",
            );
            assert.equal(report.warnings.length, 1);
            const given = await runChecker(["--vars-from", path.join(tree.root, "vars/secret.yaml"), path.join(tree.root, "unset")]);
            assert.equal(given.stderr, "");
            assert.match(given.stdout, /Deployment api\/api runs 4 replicas/);
        });

        it("bad variables exit 2 before anything is read", async () => {
            const r = await runChecker(["--var", "not a var", path.join(tree.root, "app")]);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /^check-manifests: bad variables:\n {2}--var "not a var" must be name=value\n$/);
        });
    });
});
