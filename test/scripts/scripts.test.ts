import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { loadScript, SCRIPTS_DIR } from "../../components/scripts";

const ROOT = path.join(__dirname, "..", "..");
const areas = fs.readdirSync(SCRIPTS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory() && d.name !== "lib");
/** Every script, as `<area>/<name>.sh`. */
const SCRIPTS = areas.flatMap((a) =>
    fs
        .readdirSync(path.join(SCRIPTS_DIR, a.name))
        .filter((f) => f.endsWith(".sh"))
        .map((f) => `${a.name}/${f}`),
);
const LIBS = fs.readdirSync(path.join(SCRIPTS_DIR, "lib")).filter((f) => f.endsWith(".sh"));

/** The TypeScript of the program (not tests), where scripts are loaded. */
function programSources(dir = ROOT): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) {
            return ["node_modules", "test", ".git", "scripts"].includes(e.name) ? [] : programSources(p);
        }
        return e.name.endsWith(".ts") ? [fs.readFileSync(p, "utf8")] : [];
    });
}

/** Variables a script sets itself (so they are not inputs): assignments, `read`, `for`, `export`. */
function assigned(text: string): Set<string> {
    const names = new Set<string>();
    for (const m of text.matchAll(/(?:^|[\s;(])(?:export\s+|read\s+-r\s+|for\s+)?([A-Za-z_][A-Za-z0-9_]*)(?:=|\s+in\b)/gm)) {
        names.add(m[1]);
    }
    for (const m of text.matchAll(/\bread\s+-r\s+([A-Za-z_][A-Za-z0-9_]*)/g)) {
        names.add(m[1]);
    }
    return names;
}

describe("scripts: the shell scripts under scripts/", () => {
    it("has scripts in several areas (the layout is read, not empty)", () => {
        assert.ok(SCRIPTS.length >= 15, SCRIPTS.join(", "));
    });

    it("ShellCheck (POSIX sh, following the lib pieces) finds nothing in any script or in any lib piece on its own", function () {
        const version = spawnSync("shellcheck", ["--version"], { encoding: "utf8" });
        if (version.error) {
            assert.fail("shellcheck is not on PATH: install it (apt-get install shellcheck); it is a prerequisite of npm test");
        }
        const r = spawnSync(
            "shellcheck",
            ["-s", "sh", "-x", "-f", "gcc", ...[...SCRIPTS, ...LIBS.map((l) => `lib/${l}`)].map((s) => path.join("scripts", s))],
            {
                cwd: ROOT,
                encoding: "utf8",
            },
        );
        assert.equal(r.stdout + r.stderr, "", "ShellCheck findings");
        assert.equal(r.status, 0);
    });

    it("every script is loaded by the program, and every lib piece is sourced by a script", () => {
        const code = programSources().join("\n");
        const unused = SCRIPTS.filter((s) => !code.includes(`loadScript("${s}")`));
        assert.deepEqual(unused, [], "scripts no code loads");
        const sources = SCRIPTS.map((s) => fs.readFileSync(path.join(SCRIPTS_DIR, s), "utf8")).join("\n");
        const libText = LIBS.map((l) => fs.readFileSync(path.join(SCRIPTS_DIR, "lib", l), "utf8")).join("\n");
        assert.deepEqual(
            LIBS.filter((l) => !`${sources}\n${libText}`.includes(`"\${SCRIPTS_LIB:?}/${l}"`)),
            [],
            "lib pieces no script sources",
        );
    });

    for (const script of SCRIPTS) {
        it(`${script}: self-contained once loaded, and documents every input it reads at its top`, () => {
            const text = loadScript(script);
            assert.ok(text.startsWith("#!/bin/sh\n"), "starts with #!/bin/sh");
            assert.doesNotMatch(text, /SCRIPTS_LIB|# shellcheck shell=/);
            const header = /^#!\/bin\/sh\n((?:#.*\n)+)/.exec(fs.readFileSync(path.join(SCRIPTS_DIR, script), "utf8"))?.[1] ?? "";
            assert.match(header, /^# Env: /m, "the header has an Env: line");
            const env = header.slice(header.indexOf("# Env: "));
            const own = assigned(text);
            const inputs = [...new Set([...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]))].filter(
                (v) => !own.has(v) && !["PATH", "HOME"].includes(v),
            );
            assert.deepEqual(
                inputs.filter((v) => !new RegExp(`\\b${v}\\b`).test(env)),
                [],
                `inputs missing from the Env: line of scripts/${script}`,
            );
        });
    }

    it("loadScript inlines each lib piece once, in place of its source line", () => {
        const text = loadScript("velero/restore.sh");
        assert.equal(text.match(/^umask 077$/gm)?.length, 1);
        assert.equal(text.match(/^wait_for_phase\(\) \{$/gm)?.length, 1);
        assert.ok(text.indexOf("umask 077") < text.indexOf('export KUBECONFIG="$work/kubeconfig"'));
    });
});
