import { strict as assert } from "assert";
import { followFluxTree, substituteObject } from "../../gitops/fluxTree";
import { KubeObject, findKustomizeTool } from "../../gitops/render";
import { lookupFrom } from "../../gitops/variables";
import { writeTree } from "../support/tree";

const deployment = (replicas: string, annotations = ""): KubeObject => ({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: annotations ? { name: "web", annotations: { "kustomize.toolkit.fluxcd.io/substitute": annotations } } : { name: "web" },
    spec: { replicas },
});

describe("gitops/fluxTree: substituteObject and outside variables", () => {
    it("substitutes in the object's YAML and reads it back: a default becomes a number", () => {
        const result = substituteObject(deployment("${n:=2}"), lookupFrom({}));
        assert.deepEqual(result.object.spec, { replicas: 2 });
        assert.deepEqual(result.issues, []);
        assert.equal(result.broken, undefined);
    });

    it("leaves an opted-out object alone and reports an unresolved variable with its name", () => {
        const optedOut = deployment("${n}", "disabled");
        assert.equal(substituteObject(optedOut, lookupFrom({})).object, optedOut);
        const unresolved = substituteObject(deployment("${n}"), lookupFrom({}));
        assert.deepEqual(
            unresolved.issues.map((i) => [i.kind, i.name]),
            [["unresolved", "n"]],
        );
        assert.deepEqual(unresolved.object.spec, { replicas: "${n}" });
    });

    it("keeps the object as it was when the substituted text is no longer YAML", () => {
        const original = deployment("${n}");
        const result = substituteObject(original, lookupFrom({ n: "a: b: c" }));
        assert.equal(result.object, original);
        assert.match(result.broken ?? "", /^is not YAML after substitution/);
    });

    it("outside variables act as a last substituteFrom: over the tree's ConfigMap, under inline substitute, only where postBuild is", function () {
        const tool = findKustomizeTool();
        if (!tool) {
            this.skip(); // neither kustomize nor kubectl on PATH
            return;
        }
        const ks = (name: string, path: string, postBuild: string) =>
            `---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: ${name}, namespace: flux-system}\n` +
            `spec:\n  path: ${path}\n  sourceRef: {kind: OCIRepository, name: flux-system}\n${postBuild}`;
        const cm = (name: string, data: string) =>
            `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: default}\ndata:\n${data}`;
        const root = writeTree({
            "clusters/prod/kustomization.yaml": "resources: [layers.yaml]\n",
            "clusters/prod/layers.yaml":
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vars, namespace: flux-system}\ndata: {a: tree, b: tree}\n" +
                ks("with", "apps", "  postBuild:\n    substitute: {b: inline}\n    substituteFrom: [{kind: ConfigMap, name: vars}]\n") +
                ks("without", "plain", ""),
            "apps/kustomization.yaml": "resources: [cm.yaml]\n",
            "apps/cm.yaml": cm("with", "  a: ${a}\n  b: ${b}\n"),
            "plain/kustomization.yaml": "resources: [cm.yaml]\n",
            "plain/cm.yaml": cm("without", "  a: ${a}\n"),
        });
        const tree = followFluxTree(root, "clusters/prod", { tool, variables: { a: "outside", b: "outside" } });
        const data = (key: string) => tree.kustomizations.find((k) => k.key === key)?.objects[0].object.data;
        assert.deepEqual(data("flux-system/with"), { a: "outside", b: "inline" });
        assert.deepEqual(data("flux-system/without"), { a: "${a}" }, "Flux substitutes nothing without a postBuild");
    });
});
