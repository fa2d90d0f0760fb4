import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { validateConfig } from "../../config";
import { validProdRaw } from "../support/config";
import { writeTree } from "../support/tree";

/** `gitopsPath` as the config holds it: relative to the project root. */
const fromProject = (absolute: string) => path.relative(path.resolve(__dirname, "../.."), absolute);

describe("config: gitopsPath and gitopsPreflight", () => {
    let root: string;
    before(() => {
        root = writeTree({ "k8s/clusters/prod/kustomization.yaml": "resources: []\n", "not-a-dir.yaml": "x: 1\n" });
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    const validate = (overrides: Record<string, unknown>) => validateConfig(validProdRaw(overrides));

    it("reads a checkout, relative to the project root, and the enforce default", () => {
        const result = validate({ gitopsPath: fromProject(path.join(root, "k8s")) });
        assert.ok(result.ok);
        assert.deepEqual(result.config.gitopsTree, {
            path: fromProject(path.join(root, "k8s")),
            absolute: path.join(root, "k8s"),
            present: true,
            mode: "enforce",
        });
    });

    it("takes an unset path, or one with nothing there (a fresh clone), as no tree: the pre-flight is skipped, not refused", () => {
        for (const overrides of [{}, { gitopsPath: "" }, { gitopsPath: "../no-such-checkout/k8s" }]) {
            const result = validate(overrides);
            assert.ok(result.ok, JSON.stringify(overrides));
            assert.equal(result.config.gitopsTree.present, false);
        }
    });

    it("refuses a path that is not a readable directory, naming gitopsPath", () => {
        const result = validate({ gitopsPath: fromProject(path.join(root, "not-a-dir.yaml")) });
        assert.ok(!result.ok);
        assert.deepEqual(
            result.problems.map((p) => [p.key, p.message.split(" (")[0]]),
            [["gitopsPath", "is not a directory"]],
        );
    });

    it("refuses a tree without the FluxInstance's sync path, naming fluxSourcePath and the tree", () => {
        const result = validate({ gitopsPath: fromProject(path.join(root, "k8s")), fluxSourcePath: "clusters/staging" });
        assert.ok(!result.ok);
        assert.equal(result.problems.length, 1);
        assert.equal(result.problems[0].key, "fluxSourcePath");
        assert.match(
            result.problems[0].message,
            /^is missing in the tree at gitopsPath .*k8s \(.*clusters\/staging\): the FluxInstance would sync nothing/,
        );
    });

    it("accepts enforce, warn and skip only", () => {
        assert.ok(validate({ gitopsPreflight: "warn" }).ok);
        const result = validate({ gitopsPreflight: "maybe" });
        assert.ok(!result.ok && result.problems.some((p) => p.key === "gitopsPreflight"));
    });
});
