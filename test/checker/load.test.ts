import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { expandPath, loadPaths, parseManifests } from "../../checker/load";
import { deploymentYaml, runChecker, tempTree } from "./support";

function escapeRegExp(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const noStdin = async () => {
    throw new Error("stdin must not be read");
};

describe("checker: loading manifests", () => {
    it("reads multi-document YAML with the line each object starts on", () => {
        const text = `# leading comment\n${deploymentYaml("a", 1)}---\n# only a comment\n---\n${deploymentYaml("b", 2)}`;
        const result = parseManifests(text, "m.yaml");
        assert.deepEqual(result.errors, []);
        assert.deepEqual(
            result.objects.map((o) => o.source),
            [
                { file: "m.yaml", line: 2 },
                { file: "m.yaml", line: 20 },
            ],
        );
        assert.equal(result.documents, 2, "the comment-only document is not counted");
    });

    it("expands kind: List items, each with its own line", () => {
        const text = `apiVersion: v1
kind: List
items:
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: a}
- apiVersion: policy/v1
  kind: PodDisruptionBudget
  metadata: {name: b}
`;
        const result = parseManifests(text, "live.yaml");
        assert.deepEqual(result.errors, []);
        assert.deepEqual(
            result.objects.map((o) => [(o.object as { kind: string }).kind, o.source?.line]),
            [
                ["Deployment", 4],
                ["PodDisruptionBudget", 7],
            ],
        );
    });

    it("items of a typed list such as DeploymentList inherit apiVersion and kind", () => {
        const result = parseManifests("apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: a}\n", "raw.yaml");
        assert.deepEqual(result.errors, []);
        assert.deepEqual(result.objects[0].object, { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "a" } });
    });

    it("an empty List parses to no objects (whether that is enough is for loadPaths to say)", () => {
        const result = parseManifests("apiVersion: v1\nkind: List\nitems: []\n", "x.yaml");
        assert.deepEqual(result, { objects: [], errors: [], warnings: [], documents: 1 });
    });

    it("invalid YAML is reported with file, line and column", () => {
        const result = parseManifests(`${deploymentYaml("a", 1)}---\nkind: Deployment\nmetadata:\n  name: a: b\n`, "bad.yaml");
        assert.deepEqual(result.errors, ["bad.yaml:19:9: invalid YAML: Nested mappings are not allowed in compact mappings"]);
        assert.equal(result.objects.length, 1, "the valid document before it is still read");
        const duplicate = parseManifests("apiVersion: v1\nkind: A\nkind: B\n", "dup.yaml");
        assert.match(duplicate.errors[0], /^dup\.yaml:3:1: invalid YAML: Map keys must be unique$/);
    });

    it("documents that are not Kubernetes objects are skipped with one warning each, naming file and line", () => {
        const text = "apiVersion: v1\nkind: ConfigMap\n---\nkey: value\n---\n- a\n- b\n---\njust text\n---\nkind: Deployment\n";
        const result = parseManifests(text, "x.yaml");
        assert.deepEqual(result.errors, []);
        assert.equal(result.objects.length, 1);
        assert.deepEqual(result.warnings, [
            "x.yaml:4: skipped a document that is not a Kubernetes object: it has no apiVersion and no kind",
            "x.yaml:6: skipped a document that is a list, not a Kubernetes object (a mapping with apiVersion and kind)",
            'x.yaml:9: skipped a document that is the scalar "just text", not a Kubernetes object (a mapping with apiVersion and kind)',
            "x.yaml:11: skipped a document that is not a Kubernetes object: it has no apiVersion",
        ]);
    });

    it("List items that are not objects are skipped with the item's line", () => {
        const text = "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n- name: stray\n";
        assert.deepEqual(parseManifests(text, "l.yaml").warnings, [
            "l.yaml:6: skipped item 1 of the List: it is not a Kubernetes object: it has no apiVersion and no kind",
        ]);
        assert.deepEqual(parseManifests("apiVersion: v1\nkind: List\nitems: 5\n", "l.yaml").errors, [
            'l.yaml:1: List has "items" that is not a list',
        ]);
    });

    it("directories are searched recursively for .yaml and .yml, in sorted order", () => {
        const tree = tempTree({
            "b.yaml": deploymentYaml("b", 1),
            "a/z.yml": deploymentYaml("z", 1),
            "a/y.YAML": deploymentYaml("y", 1),
            "a/notes.txt": "not yaml: [",
            "c/kustomization.json": "{}",
        });
        try {
            const expanded = expandPath(tree.root);
            assert.deepEqual(expanded.errors, []);
            assert.deepEqual(
                expanded.files.map((f) => path.relative(tree.root, f)),
                [path.join("a", "y.YAML"), path.join("a", "z.yml"), "b.yaml"],
            );
        } finally {
            tree.cleanup();
        }
    });

    it("a named file is read whatever its extension", async () => {
        const tree = tempTree({ "rendered.txt": deploymentYaml("a", 1) });
        try {
            const result = await loadPaths([path.join(tree.root, "rendered.txt")], noStdin);
            assert.deepEqual(result.errors, []);
            assert.equal(result.objects.length, 1);
        } finally {
            tree.cleanup();
        }
    });

    it("missing paths, empty directories and empty input are errors", async () => {
        const tree = tempTree({ "empty/README.md": "nothing here", "blank.yaml": "# nothing\n" });
        try {
            assert.deepEqual((await loadPaths([path.join(tree.root, "missing.yaml")], noStdin)).errors, [
                `cannot read ${path.join(tree.root, "missing.yaml")}: no such file or directory`,
            ]);
            assert.deepEqual((await loadPaths([path.join(tree.root, "empty")], noStdin)).errors, [
                `no .yaml or .yml files under ${path.join(tree.root, "empty")}`,
            ]);
            assert.deepEqual((await loadPaths([path.join(tree.root, "blank.yaml")], noStdin)).errors, [
                `no YAML documents in ${path.join(tree.root, "blank.yaml")}, so there is nothing to check`,
            ]);
        } finally {
            tree.cleanup();
        }
    });

    describe("input without a single Kubernetes object is an error, naming every PATH", () => {
        const emptyList = "apiVersion: v1\nkind: List\nitems: []\n";
        let tree: ReturnType<typeof tempTree>;
        before(() => {
            tree = tempTree({
                "empty-list.yaml": emptyList,
                "blank.yaml": "",
                "only-configmaps.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            });
        });
        after(() => tree.cleanup());
        const at = (name: string) => path.join(tree.root, name);
        const onlyEmptyLists = (sources: string) =>
            `no Kubernetes objects in ${sources}, only empty Lists, so there is nothing to check; kubectl prints an empty List when the context or namespace is wrong`;

        it("an empty List, as kubectl prints for a wrong context", async () => {
            assert.deepEqual((await loadPaths([at("empty-list.yaml")], noStdin)).errors, [onlyEmptyLists(at("empty-list.yaml"))]);
            assert.deepEqual((await loadPaths(["-"], async () => emptyList)).errors, [onlyEmptyLists("<stdin>")]);
        });

        it("an empty file next to an empty List, and stdin holding only a document separator", async () => {
            assert.deepEqual((await loadPaths([at("blank.yaml"), at("empty-list.yaml")], noStdin)).errors, [
                onlyEmptyLists(`${at("blank.yaml")}, ${at("empty-list.yaml")}`),
            ]);
            assert.deepEqual((await loadPaths(["-"], async () => "---\n")).errors, [
                "no YAML documents in <stdin>, so there is nothing to check",
            ]);
        });

        it("objects of kinds the rules ignore count as read; so does one object among empty inputs", async () => {
            const configMaps = await loadPaths([at("only-configmaps.yaml")], noStdin);
            assert.deepEqual(configMaps.errors, []);
            assert.equal(configMaps.objects.length, 1);
            assert.deepEqual(
                (await loadPaths([at("blank.yaml"), at("empty-list.yaml"), "-"], async () => deploymentYaml("a", 1))).errors,
                [],
            );
        });
    });

    describe("an unreadable entry inside a directory is reported under its own path", () => {
        let tree: ReturnType<typeof tempTree>;
        before(function () {
            tree = tempTree({
                "good.yaml": deploymentYaml("a", 1),
                "sub/ok.yml": deploymentYaml("b", 1),
                "linked/target.txt": deploymentYaml("c", 1),
            });
            try {
                fs.symlinkSync("missing.yaml", path.join(tree.root, "sub", "x.yaml"));
                fs.symlinkSync(path.join("..", "linked", "target.txt"), path.join(tree.root, "sub", "via-link.yaml"));
                fs.symlinkSync("gone.txt", path.join(tree.root, "broken-notes.txt"));
            } catch {
                // Some file systems (Windows without privileges) cannot create symbolic links.
                this.skip();
            }
        });
        after(() => tree.cleanup());

        it("a broken symbolic link x.yaml names the link and its target; the rest of the directory is still read", async () => {
            const link = path.join(tree.root, "sub", "x.yaml");
            const result = await loadPaths([tree.root], noStdin);
            assert.deepEqual(result.errors, [`cannot read ${link}: it is a symbolic link to missing.yaml, which does not exist`]);
            assert.deepEqual(
                (await loadPaths([link], noStdin)).errors,
                [`cannot read ${link}: it is a symbolic link to missing.yaml, which does not exist`],
                "named directly",
            );
            assert.deepEqual(
                result.objects.map((o) => path.relative(tree.root, o.source?.file ?? "")),
                ["good.yaml", path.join("sub", "ok.yml"), path.join("sub", "via-link.yaml")],
                "a link to a file is followed; a broken link without a manifest extension is ignored like any other such file",
            );
        });

        it("an unreadable subdirectory is named itself, and the rest is still read", async function () {
            // root reads any directory whatever its mode, so this can only be observed as another user.
            if (process.getuid?.() === 0 || process.platform === "win32") {
                this.skip();
            }
            const locked = path.join(tree.root, "locked");
            fs.mkdirSync(locked);
            fs.chmodSync(locked, 0o000);
            try {
                const result = await loadPaths([path.join(tree.root, "good.yaml"), tree.root], noStdin);
                assert.ok(result.errors.includes(`cannot read ${locked}: permission denied`), result.errors.join("\n"));
                assert.ok(result.objects.length >= 2);
            } finally {
                fs.chmodSync(locked, 0o755);
                fs.rmdirSync(locked);
            }
        });

        it("exits 2 naming the link, not the directory", async () => {
            const r = await runChecker([tree.root]);
            assert.equal(r.code, 2, r.stdout);
            assert.match(r.stderr, new RegExp(`cannot read ${escapeRegExp(path.join(tree.root, "sub", "x.yaml"))}: it is a symbolic link`));
            assert.doesNotMatch(r.stderr, new RegExp(`cannot read ${escapeRegExp(tree.root)}:`));
            assert.equal(r.stdout, "");
        });
    });

    it("reads stdin for -, once, and treats an empty pipe as an error", async () => {
        const result = await loadPaths(["-"], async () => deploymentYaml("a", 1));
        assert.deepEqual(result.objects[0].source, { file: "<stdin>", line: 1 });
        assert.deepEqual((await loadPaths(["-"], async () => "  \n")).errors, ["<stdin>: no input; did the command before the pipe fail?"]);
        assert.deepEqual((await loadPaths(["-", "-"], async () => "")).errors, ["stdin (-) can be read only once"]);
    });
});
