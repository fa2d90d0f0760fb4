import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * Shell helpers every fake starts with. `fake_log TAG ARGS...` appends one tab-separated line to
 * `$FAKE_DIR/log`; `count NAME` counts its own calls (prints 1, 2, ...), for answers that change
 * between polls.
 */
const FAKE_HELPERS = `fake_log() { tag=$1; shift; { printf '%s' "$tag"; for a in "$@"; do printf '\\t%s' "$a"; done; printf '\\n'; } >> "$FAKE_DIR/log"; }
count() { n=$(( $(cat "$FAKE_DIR/count.$1" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE_DIR/count.$1"; echo "$n"; }
`;

/** How to run a script against fake binaries. */
export interface FakeRunOptions {
    /** Fake executables by name: an sh body (run with FAKE_HELPERS defined). `sleep` defaults to one that only logs `SLEEP`. */
    readonly fakes?: Readonly<Record<string, string>>;
    /** The script's environment, besides PATH, FAKE_DIR and SCRIPT_PID. */
    readonly env?: Readonly<Record<string, string>>;
    /** PATH for the script; by default the fakes' directory, then /usr/bin and /bin. */
    readonly path?: string | ((fakeDir: string) => string);
    /** Prepares the fakes' directory (files the fakes read) before the run. */
    readonly setup?: (fakeDir: string) => void;
    /** Milliseconds before the run is killed. */
    readonly timeoutMs?: number;
}

/** What a run did: the process result and the lines the fakes logged. */
export interface FakeRun extends SpawnSyncReturns<string> {
    /** Every line the fakes logged, in order. */
    readonly lines: readonly string[];
    /** The fields after TAG of each line logged with `fake_log TAG ...`. */
    fields(tag: string): string[][];
}

/**
 * Makes a directory of fake executables (each an sh body, FAKE_HELPERS defined, logging to
 * `$FAKE_DIR/log`), hands it to `use`, and removes it afterwards: for code that runs tools from a
 * PATH (the tool pre-flight), and for runWithFakes.
 */
export function withFakeBin<T>(fakes: Readonly<Record<string, string>>, use: (fakeDir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-fake-"));
    const cleanUp = () => fs.rmSync(dir, { recursive: true, force: true });
    let result: T;
    try {
        for (const [name, body] of Object.entries(fakes)) {
            fs.writeFileSync(path.join(dir, name), `#!/bin/sh\nFAKE_DIR=${JSON.stringify(dir)}\n${FAKE_HELPERS}${body}\n`, { mode: 0o755 });
        }
        result = use(dir);
    } catch (e) {
        cleanUp();
        throw e;
    }
    // An async `use` keeps its fakes until it settles.
    if (result instanceof Promise) {
        return result.finally(cleanUp) as T;
    }
    cleanUp();
    return result;
}

/**
 * Runs a shell script (a loadScript() text) with fake binaries first on PATH, so its real control
 * flow (retries, deadlines, messages, cleanup) runs without a cluster or a cloud. The script runs
 * under `exec`, so its pid is SCRIPT_PID and a fake can signal it as a terminal would; FAKE_DIR is
 * the fakes' directory, removed after `inspect` has read what the fakes left there.
 */
export function runWithFakes<T extends object = object>(
    script: string,
    options: FakeRunOptions = {},
    inspect?: (fakeDir: string) => T,
): FakeRun & T {
    return withFakeBin({ sleep: 'fake_log SLEEP "$@"', ...options.fakes }, (dir) => {
        options.setup?.(dir);
        const PATH = typeof options.path === "function" ? options.path(dir) : (options.path ?? `${dir}:/usr/bin:/bin`);
        const r = spawnSync("/bin/sh", ["-c", 'SCRIPT_PID=$$; export SCRIPT_PID; exec /bin/sh -c "$1"', "sh", script], {
            env: { ...options.env, PATH, FAKE_DIR: dir },
            encoding: "utf8",
            timeout: options.timeoutMs ?? 10_000,
        });
        const log = path.join(dir, "log");
        const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
        const fields = (tag: string) => lines.filter((l) => l.startsWith(`${tag}\t`) || l === tag).map((l) => l.split("\t").slice(1));
        return Object.assign(r, { lines, fields }, inspect?.(dir) ?? ({} as T));
    });
}
