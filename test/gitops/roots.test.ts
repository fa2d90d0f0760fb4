import { strict as assert } from "assert";
import * as path from "path";
import { kustomizationRoots } from "../../gitops/roots";
import { tempTree } from "../checker/support";

const KUSTOMIZATION = (lines: string) => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n${lines}`;

describe("gitops: kustomization roots", () => {
    it("are the kustomizations no other includes; components and included bases are not roots", () => {
        const tree = tempTree({
            "base/kustomization.yaml": KUSTOMIZATION("resources: [app.yaml]\n"),
            "base/app.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            "components/extra/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\n",
            "legacy/kustomization.yaml": KUSTOMIZATION("bases: [../base]\n"),
            "overlays/a/kustomization.yaml": KUSTOMIZATION(
                "resources: [../../base, https://example.com/x.yaml]\ncomponents: [../../components/extra]\n",
            ),
            "overlays/b/kustomization.yml": KUSTOMIZATION("resources:\n  - ../../base/\n  - nested\n"),
            "overlays/b/nested/kustomization.yaml": KUSTOMIZATION("resources: []\n"),
            "unused/Kustomization": KUSTOMIZATION("resources: [missing-dir]\n"),
            "node_modules/pkg/kustomization.yaml": KUSTOMIZATION(""),
            "loose/file.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n",
        });
        try {
            assert.deepEqual(
                kustomizationRoots(tree.root).map((r) => path.relative(tree.root, r)),
                ["legacy", "overlays/a", "overlays/b", "unused"],
            );
            assert.deepEqual(
                kustomizationRoots(path.join(tree.root, "overlays/b")),
                [path.join(tree.root, "overlays/b")],
                "a kustomization directory is its own single root",
            );
            assert.deepEqual(kustomizationRoots(path.join(tree.root, "loose")), [], "no kustomization at all: no roots");
        } finally {
            tree.cleanup();
        }
    });
});
