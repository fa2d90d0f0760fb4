// `npm test`: the type check with ESLint, Prettier and knip one after the other, side by side with
// mocha (on two cores the static checks take the second one, at a lower priority: mocha's
// simulations have timeouts, the static checks none). Mocha's report streams as it runs;
// each static check prints its findings when it ends. Exit code 1 when any step failed.
// Caches (Prettier, the type check's build info) live in .cache/ of this checkout.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import * as path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => path.join(root, "node_modules", ".bin", name);

/** The static checks, in order: the most telling first. The type check and ESLint share one program (tools/typecheck-lint.mjs). */
const STATIC = [
    ["tsc+eslint", process.execPath, [path.join(root, "tools", "typecheck-lint.mjs")]],
    ["prettier", bin("prettier"), ["--check", "--cache", "--cache-location", ".cache/prettier", "--log-level", "warn", "."]],
    ["knip", bin("knip"), []],
];

/** Runs one step; resolves with its exit code, output and seconds. */
function run(name, command, args, stream) {
    const started = Date.now();
    return new Promise((resolve) => {
        const child = spawn(command, args, { cwd: root, stdio: stream ? "inherit" : ["ignore", "pipe", "pipe"] });
        let output = "";
        child.stdout?.on("data", (d) => (output += d));
        child.stderr?.on("data", (d) => (output += d));
        child.on("error", (e) => resolve({ name, code: 127, output: String(e), seconds: 0 }));
        child.on("close", (code) => resolve({ name, code: code ?? 1, output, seconds: (Date.now() - started) / 1000 }));
    });
}

async function staticChecks() {
    const results = [];
    for (const [name, command, args] of STATIC) {
        const r = await run(name, "nice", ["-n", "10", command, ...args], false);
        if (r.code !== 0) {
            process.stderr.write(`\n${name} failed:\n${r.output}\n`);
        }
        results.push(r);
    }
    return results;
}

const started = Date.now();
const [checks, mocha] = await Promise.all([staticChecks(), run("mocha", bin("mocha"), [], true)]);
const all = [...checks, mocha];
const summary = all.map((r) => `${r.name} ${r.code === 0 ? "ok" : "FAILED"} ${r.seconds.toFixed(1)}s`).join(", ");
process.stdout.write(`\nnpm test: ${summary}; ${((Date.now() - started) / 1000).toFixed(1)}s in all\n`);
process.exitCode = all.every((r) => r.code === 0) ? 0 : 1;
