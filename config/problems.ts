import * as pulumi from "@pulumi/pulumi";

/**
 * Collecting configuration problems instead of failing on the first one: at 3 a.m. an operator
 * wants the whole list of what is wrong with a stack file in one run, not one error per `pulumi up`.
 */

/** One thing wrong with the stack's configuration. */
export interface ConfigProblem {
    /** The config key, in `pulumi config set --path` syntax (e.g. `controlPlaneCount`, `cnpgDatabases[1]`). */
    readonly key: string;
    /** The offending value as the user wrote it, or `[secret]` when the key holds a secret. */
    readonly value: string;
    /** What is wrong and what is allowed instead. */
    readonly message: string;
}

/** Marker used wherever a secret value would otherwise be printed. */
const SECRET_PLACEHOLDER = "[secret]";

/** Renders a value for an error message without ever echoing a secret. */
function describeValue(value: unknown, secret = false): string {
    if (secret) {
        return SECRET_PLACEHOLDER;
    }
    if (value === undefined) {
        return "(unset)";
    }
    if (typeof value === "string") {
        return JSON.stringify(value);
    }
    return JSON.stringify(value) ?? String(value);
}

/** Accumulates problems and remembers which keys were read, so unknown keys can be reported. */
export class ProblemCollector {
    private readonly list: ConfigProblem[] = [];
    private readonly readKeys = new Set<string>();

    /** Records that `key` is a known key of the program. */
    markRead(key: string): void {
        this.readKeys.add(key);
    }

    /** Keys that some validator read. */
    get knownKeys(): ReadonlySet<string> {
        return this.readKeys;
    }

    /** Records a problem; `secret` hides the value. */
    add(key: string, value: unknown, message: string, secret = false): void {
        // A key read by two areas (a shared credential) is reported once.
        if (this.list.some((p) => p.key === key && p.message === message)) {
            return;
        }
        this.list.push({ key, value: describeValue(value, secret), message });
    }

    /** The problems found so far, in the order they were found. */
    get problems(): readonly ConfigProblem[] {
        return this.list;
    }
}

/**
 * Thrown by the program's config loader; carries every problem found. A `RunError`, so the
 * Pulumi CLI prints the list without a stack trace: this is a user error, not a crash.
 */
export class ConfigError extends pulumi.RunError {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

/** A readable, one-problem-per-line report, the same in the program, the rehearsal and the tests. */
export function formatProblems(problems: readonly ConfigProblem[]): string {
    const lines = problems.map((p) => `  - ${p.key} = ${p.value}: ${p.message}`);
    const noun = problems.length === 1 ? "problem" : "problems";
    return `Configuration has ${problems.length} ${noun}; nothing was changed:\n${lines.join("\n")}`;
}
