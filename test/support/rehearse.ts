import { main } from "../../rehearsal/cli";

/** What one in-process run of the rehearsal CLI printed, and its exit code. */
export interface RehearsalRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs by arguments (and the PATH the tool pre-flight searches): a run simulates the whole program. */
const runs = new Map<string, Promise<RehearsalRun>>();

/**
 * Runs the rehearsal CLI's main() in this process with `args`, capturing what it prints. Runs with
 * the same arguments and PATH are made once per test process and shared: the output is plain text.
 */
export function rehearse(...args: string[]): Promise<RehearsalRun> {
    const key = JSON.stringify([args, process.env.PATH]);
    let run = runs.get(key);
    if (!run) {
        let stdout = "";
        let stderr = "";
        run = main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }).then((code) => ({ code, stdout, stderr }));
        runs.set(key, run);
    }
    return run;
}
