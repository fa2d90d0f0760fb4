import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findKustomizeTool, isRemoteEntry, kustomizeReason, renderKustomization } from "../../gitops/render";
import { withFakeBin } from "../support/fakeBin";

/** Writes files (path → text) under a fresh temporary directory. */
function tree(files: Record<string, string>): string {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "render-test-"));
    for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
    }
    return root;
}

const cm = (name: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  a: "1"\n`;

describe("gitops/render: kustomize from PATH", function () {
    const tool = findKustomizeTool();
    let root: string;

    before(function () {
        if (!tool) {
            this.skip(); // neither kustomize nor kubectl on PATH
        }
        root = tree({
            "base/kustomization.yaml": "resources:\n  - two.yaml\n",
            "base/two.yaml": `# comment\n${cm("first")}---\n${cm("second")}`,
            "app/kustomization.yaml":
                "resources:\n  - ../base\n  - ../remote\nnamePrefix: p-\nconfigMapGenerator:\n  - name: gen\n    literals: [x=y]\n",
            // A remote resource that fails at once: nothing listens on the discard port.
            "remote/kustomization.yaml": "resources:\n  - local.yaml\n  - https://127.0.0.1:9/crds.yaml\n",
            "remote/local.yaml": cm("kept"),
            "broken/kustomization.yaml": "resources:\n  - missing.yaml\n",
        });
    });
    after(() => root && fs.rmSync(root, { recursive: true, force: true }));

    it("finds kustomize or kubectl on PATH, and nothing on an empty PATH", () => {
        assert.ok(tool && ["kustomize", "kubectl"].includes(tool.name) && fs.existsSync(tool.executable));
        assert.equal(findKustomizeTool(""), undefined);
    });

    it("returns kustomize's objects with the file and line that declared each, and the generator of generated ones", () => {
        const result = renderKustomization(path.join(root, "base"));
        assert.deepEqual(
            result.objects.map((o) => [o.object.metadata?.name, o.source.file, o.source.line]),
            [
                ["first", path.join(fs.realpathSync(root), "base/two.yaml"), 2],
                ["second", path.join(fs.realpathSync(root), "base/two.yaml"), 9],
            ],
        );
        // The origin annotation used to find the file is not left on the object.
        assert.equal(result.objects[0].object.metadata?.annotations, undefined);
    });

    it("renders the rest of a directory whose remote resource cannot be fetched, and names what was left out", () => {
        const result = renderKustomization(path.join(root, "app"));
        assert.equal(result.error, undefined);
        const names = result.objects.map((o) => String(o.object.metadata?.name)).sort();
        assert.deepEqual(
            names.filter((n) => !n.startsWith("p-gen-")),
            ["p-first", "p-kept", "p-second"],
        );
        const generated = result.objects.find((o) => String(o.object.metadata?.name).startsWith("p-gen-"));
        assert.equal(generated?.source.generatedBy, "ConfigMapGenerator");
        assert.equal(generated?.source.file, path.join(fs.realpathSync(root), "app/kustomization.yaml"));
        assert.equal(result.leftOut.length, 1);
        assert.equal(result.leftOut[0].directory, path.join(fs.realpathSync(root), "remote"));
        assert.deepEqual(
            result.leftOut[0].remotes.map((r) => [r.url, path.basename(r.file), r.line]),
            [["https://127.0.0.1:9/crds.yaml", "kustomization.yaml", 3]],
        );
        assert.match(result.leftOut[0].reason, /127\.0\.0\.1:9/);
        // The kept object's file is the original one, not the temporary copy it was rendered from.
        const kept = result.objects.find((o) => o.object.metadata?.name === "p-kept");
        assert.equal(kept?.source.file, path.join(fs.realpathSync(root), "remote/local.yaml"));
    });

    it("reports a directory that does not render, without throwing", () => {
        const broken = renderKustomization(path.join(root, "broken"));
        assert.deepEqual(broken.objects, []);
        assert.match(String(broken.error), /missing\.yaml/);
        assert.doesNotMatch(String(broken.error), /^E\d{4}/);
        assert.match(String(renderKustomization(path.join(root, "nowhere")).error), /is not a directory/);
        assert.match(String(renderKustomization(root).error), /has no kustomization\.yaml/);
    });

    it("prefers a standalone kustomize on PATH (kustomize build), and renders without files when it predates buildMetadata", () => {
        // An old kustomize: refuses buildMetadata, otherwise builds (through kubectl's kustomize).
        const old = [
            'fake_log KUSTOMIZE "$@"',
            "for last; do :; done",
            'if grep -q buildMetadata "$last/kustomization.yaml"; then echo \'Error: json: unknown field "buildMetadata"\' >&2; exit 1; fi',
            "shift",
            `exec ${JSON.stringify(tool!.name === "kubectl" ? tool!.executable : "/usr/bin/kubectl")} kustomize "$@"`,
        ].join("\n");
        withFakeBin({ kustomize: old }, (dir) => {
            const found = findKustomizeTool(`${dir}${path.delimiter}/usr/bin`);
            assert.deepEqual(found, { name: "kustomize", executable: path.join(dir, "kustomize"), subcommand: "build" });
            const result = renderKustomization(path.join(root, "base"), { tool: found });
            assert.equal(result.error, undefined);
            assert.deepEqual(
                result.objects.map((o) => [o.object.metadata?.name, o.source]),
                [
                    ["first", { root: path.join(root, "base") }],
                    ["second", { root: path.join(root, "base") }],
                ],
            );
            const calls = fs.readFileSync(path.join(dir, "log"), "utf8").trim().split("\n");
            assert.equal(calls.length, 2, "one refused run with buildMetadata, one without");
            assert.ok(calls.every((c) => c.startsWith("KUSTOMIZE\tbuild\t")));
        });
    });

    it("knows kustomize's remote forms", () => {
        for (const remote of [
            "https://x/y.yaml",
            "github.com/org/repo//dir?ref=v1",
            "git@github.com:o/r.git",
            "ssh://git@x/r",
            "../x?ref=main",
        ]) {
            assert.ok(isRemoteEntry(remote), remote);
        }
        for (const local of ["../base", "file.yaml", "github/x"]) {
            assert.ok(!isRemoteEntry(local), local);
        }
    });

    it("shortens kubectl's error to kustomize's reason", () => {
        const stderr = 'E1205 23:35:30.030599   10092 run.go:72] "command failed" err=<\n\taccumulating resources: boom\n >\n';
        assert.equal(kustomizeReason(stderr), "accumulating resources: boom");
        // The layers kustomize adds per directory on the way down become `in <dir>:`.
        const nested =
            "E1206 00:15:50.976827   27032 run.go:72] \"command failed\" err=\"accumulating resources: accumulation err='accumulating resources from '../w': '/t/w' must resolve to a file': recursed accumulation of path '/t/w': accumulating resources: accumulation err='accumulating resources from 'missing.yaml': lstat /t/w/missing.yaml: no such file or directory': must build at directory: not a valid directory: lstat /t/w/missing.yaml: no such file or directory\"\n";
        assert.equal(kustomizeReason(nested), "in /t/w: resource missing.yaml: lstat /t/w/missing.yaml: no such file or directory");
    });
});
