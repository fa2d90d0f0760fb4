/**
 * The convergence pre-flight: follow the platform's Flux tree from the FluxInstance's sync path
 * (fluxTree.ts), analyse who provides every kind (convergence.ts), and say it in lines a person
 * reads at 3 a.m. It is skipped, with the reason, when there is no tree to read or no kustomize.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ConvergenceInputs, ConvergenceReport, Finding, analyseConvergence } from "./convergence";
import { FluxTree, followFluxTree } from "./fluxTree";
import { KustomizeTool, NO_KUSTOMIZE_TOOL, describeTool, findKustomizeTool } from "./render";

/** What the pre-flight reads. */
export interface PreflightInput extends ConvergenceInputs {
    /** `gitopsPath` as configured (for messages) and resolved; `configured` undefined = not set. */
    readonly tree: { readonly configured?: string; readonly absolute?: string; readonly present: boolean };
    /** The FluxInstance's `spec.sync.path`, relative to the tree. */
    readonly syncPath: string;
    /** The FluxInstance's source kind (its generated source is named flux-system). */
    readonly sourceKind: string;
    /** The kustomize to use; found on PATH when not given. `null` = none (tests). */
    readonly tool?: KustomizeTool | null;
}

/** The pre-flight's outcome. */
export type PreflightOutcome =
    | { readonly status: "skipped"; readonly reason: string }
    | {
          readonly status: "done";
          readonly tool: KustomizeTool;
          readonly gitopsPath: string;
          readonly syncPath: string;
          readonly tree: FluxTree;
          readonly report: ConvergenceReport;
          /** Wall-clock seconds the render and analysis took. */
          readonly seconds: number;
      };

/** Runs the pre-flight, or says why it was skipped. Never throws for a tree it cannot read: that is in the report. */
export function runPreflight(input: PreflightInput): PreflightOutcome {
    if (input.tree.configured === undefined || input.tree.absolute === undefined) {
        return {
            status: "skipped",
            reason: "gitopsPath is not set (the platform repository's k8s/ directory, checked out beside this one)",
        };
    }
    if (!input.tree.present) {
        return {
            status: "skipped",
            reason: `there is no checkout at gitopsPath ${input.tree.configured} (${input.tree.absolute}); clone the platform repository there to check the tree`,
        };
    }
    const tool = input.tool === undefined ? findKustomizeTool() : input.tool;
    if (!tool) {
        return { status: "skipped", reason: `${NO_KUSTOMIZE_TOOL}; install kubectl to check the tree` };
    }
    const started = process.hrtime.bigint();
    const tree = followFluxTree(input.tree.absolute, input.syncPath, { tool }, { kind: input.sourceKind, name: "flux-system" });
    const report = analyseConvergence(tree, input);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { status: "done", tool, gitopsPath: input.tree.configured, syncPath: input.syncPath, tree, report, seconds };
}

/** The errors of a finished pre-flight (empty when skipped). */
function preflightErrors(outcome: PreflightOutcome): readonly Finding[] {
    return outcome.status === "done" ? outcome.report.findings.filter((f) => f.severity === "error") : [];
}

const MARK: Readonly<Record<Finding["severity"], string>> = { error: "✗ error", warning: "! warning", info: "- note" };

/** The report as lines (no trailing newline), files shown relative to the tree. */
export function formatPreflight(outcome: PreflightOutcome): string[] {
    if (outcome.status === "skipped") {
        return [`Convergence pre-flight skipped: ${outcome.reason}.`];
    }
    const { tree, report } = outcome;
    const relative = (file: string) => (file.startsWith(tree.root + path.sep) ? path.relative(tree.root, file) : file);
    const errors = report.findings.filter((f) => f.severity === "error").length;
    const warnings = report.findings.filter((f) => f.severity === "warning").length;
    const lines = [
        `Convergence pre-flight of ${outcome.gitopsPath} from sync path ${outcome.syncPath}, rendered with ${describeTool(outcome.tool)} in ${outcome.seconds.toFixed(1)} s: ${errors} error(s), ${warnings} warning(s).`,
        `  Kustomizations in Flux's order: ${tree.kustomizations
            .map((k) => `${k.name} (${k.path}, ${k.error ? "not rendered" : `${k.objects.length} objects`})`)
            .join(" -> ")}`,
    ];
    const byProgram = new Map<string, string[]>();
    for (const use of report.kinds.filter((k) => k.provider.by === "program")) {
        const kind = `${use.group}/${use.kind}`;
        byProgram.set(kind, [...(byProgram.get(kind) ?? []), use.kustomization.split("/")[1]]);
    }
    if (byProgram.size) {
        lines.push(
            `  Kinds this program installs before Flux: ${[...byProgram].map(([kind, ks]) => `${kind} (${ks.join(", ")})`).join("; ")}`,
        );
    }
    for (const severity of ["error", "warning", "info"] as const) {
        for (const finding of report.findings.filter((f) => f.severity === severity)) {
            const at = finding.kustomization ? `[${finding.kustomization.split("/")[1]}] ` : "";
            lines.push(`  ${MARK[severity]}: ${at}${finding.message}`);
            if (finding.files.length) {
                lines.push(`      at ${finding.files.map(relative).join(", ")}`);
            }
        }
    }
    return lines;
}

/** The last pre-flight of this process: the rehearsal shows what the program's own run found. */
let lastOutcome: PreflightOutcome | undefined;

/** Remembers an outcome for `lastPreflight`. */
export function rememberPreflight(outcome: PreflightOutcome | undefined): void {
    lastOutcome = outcome;
}

/** The outcome the program's last run remembered, if any. */
export function lastPreflight(): PreflightOutcome | undefined {
    return lastOutcome;
}

/**
 * Thrown by the program when the pre-flight finds errors and `gitopsPreflight` is `enforce`: a
 * `RunError`, so Pulumi prints the report without a stack trace, before anything is registered.
 */
class PreflightError extends pulumi.RunError {
    constructor(readonly outcome: PreflightOutcome) {
        super(
            [
                ...formatPreflight(outcome),
                "Nothing was changed: Flux would stall on this tree after the rebuild. Fix the program or the tree, or set gitopsPreflight to warn to rebuild anyway.",
            ].join("\n"),
        );
        this.name = "PreflightError";
    }
}

/** The program's side: what it installs before Flux, and the config of the tree. */
export interface ProgramPreflight extends Omit<PreflightInput, "tool"> {
    /** `gitopsPreflight`. */
    readonly mode: "enforce" | "warn" | "skip";
    /** Why it is skipped whatever the mode (Scenario 5), if it is. */
    readonly skipReason?: string;
    /** Where the report goes in a real run (the rehearsal prints it itself). */
    readonly log?: (lines: readonly string[], errors: boolean) => void;
}

/**
 * Runs the pre-flight for `pulumi up`/`preview` (and the rehearsal): remembers the outcome, logs it,
 * and throws a PreflightError on errors when the mode is `enforce`. Called before any resource is
 * registered, so a stop changes nothing.
 */
export function checkConvergence(input: ProgramPreflight): PreflightOutcome {
    const outcome: PreflightOutcome =
        input.skipReason || input.mode === "skip"
            ? { status: "skipped", reason: input.skipReason ?? "gitopsPreflight is skip" }
            : runPreflight({ ...input, tool: undefined });
    rememberPreflight(outcome);
    const errors = preflightErrors(outcome).length > 0;
    if (errors && input.mode === "enforce") {
        throw new PreflightError(outcome);
    }
    input.log?.(formatPreflight(outcome), errors);
    return outcome;
}
