/**
 * How a Velero restore ended, read from its waiter's one-line result. Pure, so the parsing and
 * the operator's notice are tested without a cluster.
 */

/** The JSONPath template the restore waiter reads once the phase is accepted (see scripts/lib/phase.sh). */
export const RESTORE_REPORT_JSONPATH = "errors={.status.errors} warnings={.status.warnings}";

/** How a Velero restore ended. */
export interface RestoreOutcome {
    /** The Restore's name. */
    readonly restore: string;
    /** Its final `.status.phase` (`Completed`, `PartiallyFailed`), or `unknown` when unreadable. */
    readonly phase: string;
    /** `.status.errors`: items Velero could not restore (0 when the field is absent). */
    readonly errors: number;
    /** `.status.warnings`: items restored with a warning, e.g. already present (0 when absent). */
    readonly warnings: number;
}

/**
 * Reads `<kind> <namespace>/<name>: <phase>[ (errors=N warnings=M)]`. Velero omits zero counts,
 * so an empty count is 0. A line that does not have this shape gives phase `unknown`: the restore
 * was accepted by the waiter, and a 3 a.m. rebuild must not fail over a report it cannot read.
 */
export function parseRestoreOutcome(restore: string, result: string): RestoreOutcome {
    const line = result.trim().split("\n").pop() ?? "";
    const match = /: (\S+)(?: \((.*)\))?$/.exec(line);
    if (!match) {
        return { restore, phase: "unknown", errors: 0, warnings: 0 };
    }
    const count = (field: string): number => {
        const value = new RegExp(`(?:^|\\s)${field}=(\\d*)`).exec(match[2] ?? "")?.[1];
        return value ? Number(value) : 0;
    };
    return { restore, phase: match[1], errors: count("errors"), warnings: count("warnings") };
}

/**
 * The warning an operator must see when a restore was accepted but did not restore everything,
 * or its outcome could not be read; undefined for a clean `Completed`. Names the commands that
 * show what is missing.
 */
export function restoreOutcomeNotice(outcome: RestoreOutcome): string | undefined {
    const inspect = `see what was not restored with \`velero restore describe ${outcome.restore} --details\` and \`velero restore logs ${outcome.restore}\``;
    if (outcome.phase === "PartiallyFailed") {
        return `Velero restore ${outcome.restore} ended PartiallyFailed with ${outcome.errors} error(s) and ${outcome.warnings} warning(s); veleroAllowPartiallyFailed let the rebuild go on: ${inspect}`;
    }
    if (outcome.phase === "unknown") {
        return `the outcome of Velero restore ${outcome.restore} could not be read: ${inspect}`;
    }
    return undefined;
}
