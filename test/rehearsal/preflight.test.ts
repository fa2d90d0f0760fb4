import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { main } from "../../rehearsal/cli";
import { findKustomizeTool } from "../../gitops/render";
import { writeTree } from "../support/tree";

async function rehearse(...args: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
}

const PROJECT = path.resolve(__dirname, "../..");

describe("rehearsal: the convergence pre-flight", function () {
    this.timeout(60_000);
    let root: string;
    let gitopsPath: string;
    before(() => {
        root = writeTree({
            "k8s/clusters/prod/kustomization.yaml": "resources: [apps.yaml]\n",
            "k8s/clusters/prod/apps.yaml":
                "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  path: apps\n  sourceRef:\n    kind: OCIRepository\n    name: flux-system\n",
            "k8s/apps/kustomization.yaml": "resources: [thing.yaml]\n",
            "k8s/apps/thing.yaml": "apiVersion: things.nowhere.io/v1\nkind: Thing\nmetadata:\n  name: t\n  namespace: default\n",
            "file.yaml": "not: a directory\n",
        });
        gitopsPath = path.relative(PROJECT, path.join(root, "k8s"));
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("exits 2, naming the key, for a gitopsPath that is not a directory or a tree without the sync path", async () => {
        const file = await rehearse("--set", `gitopsPath=${path.relative(PROJECT, path.join(root, "file.yaml"))}`);
        assert.equal(file.code, 2);
        assert.match(file.stderr, /gitopsPath = ".*file\.yaml": is not a directory/);
        const sync = await rehearse("--set", `gitopsPath=${gitopsPath}`, "--set", "fluxSourcePath=clusters/staging");
        assert.equal(sync.code, 2);
        assert.match(sync.stderr, /fluxSourcePath = "clusters\/staging": is missing in the tree at gitopsPath/);
    });

    it("stops before registering anything when a kind has no CRD (enforce), and reports and goes on with warn", async function () {
        if (!findKustomizeTool()) {
            this.skip(); // neither kustomize nor kubectl on PATH
        }
        const stopped = await rehearse("--set", `gitopsPath=${gitopsPath}`, "--json");
        assert.equal(stopped.code, 1);
        const json = JSON.parse(stopped.stdout);
        assert.deepEqual(json.resources, []);
        assert.match(json.errors[0], /things\.nowhere\.io\/Thing: nothing installs its CRD before flux-system\/apps/);
        assert.match(json.errors[0], /Nothing was changed/);

        const warned = await rehearse("--set", `gitopsPath=${gitopsPath}`, "--set", "gitopsPreflight=warn");
        assert.equal(warned.code, 0, warned.stderr);
        assert.match(
            warned.stdout,
            /\nConvergence pre-flight of .*k8s from sync path clusters\/prod, rendered with (kustomize build|kubectl kustomize) .* in [\d.]+ s: 1 error\(s\), \d+ warning\(s\)\.\n {2}Kustomizations in Flux's order: flux-system \(clusters\/prod, 1 objects\) -> apps \(apps, 1 objects\)\n {2}✗ error: \[apps\] things\.nowhere\.io\/Thing: nothing installs/,
        );
        assert.match(warned.stdout, /\n {6}at apps\/thing\.yaml:1\n/);
    });
});
