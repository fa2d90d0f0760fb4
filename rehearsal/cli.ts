/**
 * `npm run rehearse`: runs the real program against the simulated cloud and prints what a rebuild
 * would do, phase by phase. No credentials, no Pulumi CLI. Exit codes: 0 plan shown, 2 bad input
 * (config problems, bad flags, unreadable stack file), 1 the program failed.
 */
import { Command, CommanderError } from "commander";
import { Placeholder } from "../config";
import { PreflightOutcome, formatPreflight } from "../gitops/preflight";
import { describeAutoscaling } from "./autoscalerSummary";
import { EstimateOverrideError, RebuildEstimate, estimateJson, estimateRebuild, renderEstimate } from "./estimate";
import { renderMermaid } from "./mermaid";
import { planPhases, renderPlan, shortType, stepGraph } from "./plan";
import { REDACTED, RecordedResource, SimulationResult, simulate } from "./simulate";
import { ConfigOverride, StackConfigError, parseOverride } from "./stackConfig";

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
    readonly stdout: (text: string) => void;
    readonly stderr: (text: string) => void;
}

/** The pre-flight in `--json`: skipped with its reason, or the findings (files as reported). */
function preflightJson(outcome: PreflightOutcome | undefined): Record<string, unknown> | undefined {
    if (!outcome) {
        return undefined;
    }
    if (outcome.status === "skipped") {
        return { status: "skipped", reason: outcome.reason };
    }
    return {
        status: "done",
        tool: outcome.tool.name,
        gitopsPath: outcome.gitopsPath,
        syncPath: outcome.syncPath,
        seconds: outcome.seconds,
        kustomizations: outcome.tree.kustomizations.map((k) => ({ name: k.key, path: k.path, objects: k.objects.length, error: k.error })),
        findings: outcome.report.findings,
    };
}

/** Output formats: the readable plan, one JSON object, or a Mermaid flowchart. */
const FORMATS = ["text", "json", "mermaid"] as const;
type Format = (typeof FORMATS)[number];

/** The JSON document of `--json`; `estimate` is absent when the program failed (no complete graph). */
export function toJson(result: SimulationResult, estimate?: RebuildEstimate): Record<string, unknown> {
    const resource = (r: RecordedResource) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        parent: r.parent,
        provider: r.providerUrn,
        dependencies: r.dependencies,
        inputs: r.inputs,
        import: r.import,
        protect: r.protect,
        retainOnDelete: r.retainOnDelete,
        ...(estimate?.steps.has(r.urn)
            ? {
                  estimate: {
                      kind: estimate.steps.get(r.urn)!.kind,
                      typicalSeconds: estimate.steps.get(r.urn)!.typicalSeconds,
                      worstSeconds: estimate.steps.get(r.urn)!.worstSeconds,
                  },
              }
            : {}),
    });
    return {
        stack: result.stack,
        resources: result.resources.map(resource),
        ...(estimate ? { estimate: estimateJson(estimate) } : {}),
        errors: result.errors,
        preflight: preflightJson(result.preflight),
    };
}

/**
 * Last line of defence: no secret value may appear in what is printed. Any secret string found
 * in the text is a bug in the program, so the CLI refuses to print.
 */
export function assertNoSecrets(text: string, secrets: ReadonlySet<string>): void {
    for (const s of secrets) {
        if (s !== REDACTED && text.includes(s)) {
            throw new Error("refusing to print the plan: it would contain a secret value (a bug in platform-dr; please report it)");
        }
    }
}

/** One placeholder line: the key, and the command that sets it (or what a real run skips without it). */
export function renderPlaceholder(p: Placeholder): string {
    // A map entry (`talosPatchVariables.GHCR_TOKEN`) is set with --path.
    const key = p.key.includes(".") ? `--path '${p.key}'` : p.key;
    const set =
        p.hint ?? (p.secret ? `pulumi config set --secret ${key}${key === p.key ? "" : " <value>"}` : `pulumi config set ${key} <value>`);
    return `  ! ${p.key.padEnd(28)} ${p.withoutIt ? `optional (${set}): ${p.withoutIt}` : `required: ${set}`}`;
}

function renderText(result: SimulationResult, estimate: RebuildEstimate): string {
    const phases = planPhases(result.resources);
    const count = phases.reduce((n, p) => n + p.steps.length, 0);
    const out = [
        `Rebuild plan for stack '${result.stack}': ${count} resources in ${phases.length} phases (simulated cloud; nothing was changed).`,
        "",
        renderPlan(phases),
        renderEstimate(estimate, shortType),
    ];
    if (result.talosPatches.length) {
        out.push("Talos patches (variables named, never their values):", ...result.talosPatches.map((l) => `  ${l}`), "");
    }
    if (result.restores.length) {
        out.push("Restores:", ...result.restores.map((l) => `  ${l}`), "");
    }
    const autoscaling = describeAutoscaling(result.resources);
    if (autoscaling.length) {
        out.push("Cluster Autoscaler and teardown:", ...autoscaling.map((l) => `  ${l}`), "");
    }
    if (result.preflight) {
        out.push(...formatPreflight(result.preflight), "");
    }
    if (result.placeholders.length) {
        out.push(
            "Placeholders: the plan used stand-ins for these values, which the stack does not set (or which a rehearsal cannot decrypt):",
        );
        out.push(...result.placeholders.map(renderPlaceholder), "");
    }
    if (result.tools.length) {
        out.push(
            "Tools: a real pulumi up or preview would stop here, before registering anything:",
            ...result.tools.map((t) => `  ! ${t.message}. Install: ${t.install}`),
            "",
        );
    }
    if (result.messages.length) {
        out.push("Messages from the program:", ...result.messages.map((m) => `  ${m}`), "");
    }
    out.push("Stack outputs:");
    for (const [k, v] of Object.entries(result.outputs)) {
        if (v !== undefined) {
            // Outputs of the other mode are undefined; Pulumi does not show them either.
            out.push(`  ${k}: ${v === REDACTED ? REDACTED : JSON.stringify(v)}`);
        }
    }
    return out.join("\n") + "\n";
}

/** Runs the CLI; returns the exit code. Never throws for user errors. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
    const overrides: ConfigOverride[] = [];
    const program = new Command()
        .name("rehearse")
        .description("Show what `pulumi up` on an empty stack would do, against a simulated cloud.")
        .option("--stack <name>", "stack whose Pulumi.<stack>.yaml to read", "prod")
        .option("--set <path=value>", "override a config value (pulumi config set --path syntax)", (v: string) => {
            overrides.push(parseOverride(v, false));
        })
        .option("--set-secret <path=value>", "override a secret config value", (v: string) => {
            overrides.push(parseOverride(v, true));
        })
        .option("--format <format>", `output: ${FORMATS.join(", ")}`, "text")
        .option("--json", "print one JSON object instead of the plan (--format json)")
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    let opts: { stack: string; json?: boolean; format: string };
    let format: Format;
    try {
        program.parse(argv, { from: "user" });
        opts = program.opts();
        if (!(FORMATS as readonly string[]).includes(opts.format)) {
            io.stderr(`rehearse: --format ${JSON.stringify(opts.format)}: use one of ${FORMATS.join(", ")}\n`);
            return 2;
        }
        if (opts.json && opts.format !== "text" && opts.format !== "json") {
            io.stderr(`rehearse: --json and --format ${opts.format} ask for two outputs; pass one\n`);
            return 2;
        }
        format = opts.json ? "json" : (opts.format as Format);
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? 0 : 2;
        }
        if (e instanceof StackConfigError) {
            io.stderr(`rehearse: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    let result: SimulationResult;
    try {
        result = await simulate({ stack: opts.stack, overrides });
    } catch (e) {
        if (e instanceof StackConfigError) {
            io.stderr(`rehearse: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    let estimate: RebuildEstimate | undefined;
    if (!result.errors.length) {
        try {
            estimate = estimateRebuild(result.resources, result.estimateOverrides);
        } catch (e) {
            if (e instanceof EstimateOverrideError) {
                io.stderr(`rehearse: ${e.message}\n`);
                return 2;
            }
            throw e;
        }
    }
    const text =
        format === "json"
            ? JSON.stringify(toJson(result, estimate), null, 2) + "\n"
            : !estimate
              ? ""
              : format === "mermaid"
                ? renderMermaid(planPhases(result.resources), stepGraph(result.resources), estimate)
                : renderText(result, estimate);
    assertNoSecrets(text + result.errors.join("\n") + result.messages.join("\n"), result.secretValues);
    io.stdout(text);
    if (result.errors.length) {
        if (format !== "json") {
            io.stderr(result.errors.join("\n") + "\n");
        }
        return result.configInvalid ? 2 : 1;
    }
    if (format !== "text" && result.messages.length) {
        io.stderr(result.messages.join("\n") + "\n");
    }
    return 0;
}

/**
 * Exits once stdout and stderr have drained. The Pulumi runtime keeps handles open, so the process
 * must exit explicitly; exiting at once would cut a piped `--json` at the pipe's buffer size.
 */
function exitAfterFlush(code: number): void {
    process.stdout.write("", () => process.stderr.write("", () => process.exit(code)));
}

if (require.main === module) {
    main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) }).then(
        exitAfterFlush,
        (e: unknown) => {
            process.stderr.write(`rehearse failed: ${e instanceof Error ? e.message : String(e)}\n`);
            exitAfterFlush(1);
        },
    );
}
