/**
 * `check-manifests`: runs the availability rules over Kubernetes manifests. `main` takes the
 * arguments and the I/O to use and returns the exit code, so tests need no subprocess.
 *
 * Exit codes: 0 no error findings (warnings alone still exit 0: they are advice, and a warning
 * that should block belongs at `error` in the config), 1 at least one error finding, 2 unusable
 * input or arguments, 3 a bug in the checker itself.
 */
import { Command, CommanderError, Option } from "commander";
import {
    CHECKED_KINDS,
    CheckedCounts,
    CheckedKind,
    DEFAULT_NAMESPACE,
    RuleEngineOptions,
    SourcedObject,
    evaluate,
    readObjects,
} from "../policies/rules";
import { loadConfig } from "./config";
import { declaredDefaults } from "../config/declarations";
import { dropDuplicates } from "./duplicates";
import { gatherInputs } from "./inputs";
import { CheckUnit } from "./unit";
import { ManifestSource } from "./load";
import { SourceLookup, UnitReport, jsonReport, textReport } from "./report";
import { substituteVariables, unresolvedVariables } from "./substitute";
import { collectVariables } from "./vars";

/** Exit codes of the checker; `internalError` means a bug in the checker, never a problem with the input. */
export const EXIT = { clean: 0, findings: 1, badInput: 2, internalError: 3 } as const;

/** Where the checker reads and writes; the real process streams in the CLI, strings in tests. */
export interface CheckerIo {
    /** Writes report text. */
    stdout(text: string): void;
    /** Writes error messages. */
    stderr(text: string): void;
    /** Reads all of stdin (used for the `-` PATH). */
    readStdin(): Promise<string>;
}

/** Parsed command line. */
interface CheckerArguments {
    /** Output format. */
    readonly format: "text" | "json";
    /** `--config` file, if given. */
    readonly config?: string;
    /** Files, directories, or `-` for stdin. */
    readonly paths: string[];
    /** False with `--no-render`: directories are read as written. */
    readonly render: boolean;
    /** `--var name=value`, in order. */
    readonly vars: string[];
    /** `--vars-from FILE`, in order. */
    readonly varsFrom: string[];
    /** `--flux TREE`: a Flux tree to follow from its sync path. */
    readonly flux?: string;
    /** `--sync-path`: the FluxInstance's spec.sync.path inside the tree. */
    readonly syncPath: string;
    /** `--source-kind`: the kind of the source the FluxInstance syncs. */
    readonly sourceKind: string;
}

const DESCRIPTION =
    "Checks Kubernetes manifests against the availability rules workload-has-pdb, pdb-allows-disruption and " +
    "rolling-update-max-unavailable-zero. PATH is a YAML file, a directory or - for stdin. A directory with " +
    "kustomization.yaml files is rendered, each kustomization root (one no other kustomization includes) on its own, " +
    "with `kustomize build` if kustomize is on PATH, else `kubectl kustomize`; --no-render reads the files as written. " +
    "A directory without kustomizations is searched recursively for .yaml/.yml files. Flux post-build variables " +
    "(${var}, ${var:=default}, ${var:-default}) in the objects the rules read are substituted from --var and --vars-from, " +
    "else their default. --flux TREE follows a Flux tree from its sync path through every Flux Kustomization's " +
    "spec.path, with post-build substitution, and judges the cluster it builds, reporting each finding under its Kustomization.";

const EXIT_CODES_HELP = `
Exit codes:
  0  no error findings (warnings alone exit 0)
  1  at least one error finding
  2  unusable input, config or arguments
  3  internal error (a bug in the checker)`;

function collect(value: string, previous: string[]): string[] {
    return [...previous, value];
}

interface ParsedOptions {
    format: "text" | "json";
    config?: string;
    render: boolean;
    var: string[];
    varsFrom: string[];
    flux?: string;
    syncPath: string;
    sourceKind: string;
}

/** Builds the command; `parsed` receives the arguments instead of running an action, so parsing stays pure. */
function buildCommand(io: CheckerIo, parsed: (args: CheckerArguments) => void): Command {
    return new Command("check-manifests")
        .description(DESCRIPTION)
        .argument("[PATH...]", "manifest files, directories, or - for stdin")
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .option("--config <file>", "YAML or JSON config: replicaThreshold, defaultNamespace, exemptions, rules")
        .option("--no-render", "read directories as written, without running kustomize")
        .option("--var <name=value>", "a post-build variable (repeatable); wins over --vars-from", collect, [])
        .option(
            "--vars-from <file>",
            "ConfigMap/Secret YAML whose data are variables, as Flux's substituteFrom (repeatable; later files win)",
            collect,
            [],
        )
        .option("--flux <tree>", "follow the Flux tree at TREE (the repository directory spec.path is relative to)")
        .option("--sync-path <path>", "with --flux: the FluxInstance's spec.sync.path in TREE", String(declaredDefaults().fluxSourcePath))
        .addOption(
            new Option("--source-kind <kind>", "with --flux: the kind of the source the FluxInstance syncs")
                .choices(["OCIRepository", "GitRepository", "Bucket"])
                .default("OCIRepository"),
        )
        .addHelpText("after", EXIT_CODES_HELP)
        .showHelpAfterError("(run with --help for usage)")
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
        .action((paths: string[], options: ParsedOptions) =>
            parsed({
                format: options.format,
                config: options.config,
                paths,
                render: options.render,
                vars: options.var,
                varsFrom: options.varsFrom,
                flux: options.flux,
                syncPath: options.syncPath,
                sourceKind: options.sourceKind,
            }),
        );
}

/** Parses `argv` (without node and script); a CommanderError carries help output or a usage error. */
function parseArguments(argv: readonly string[], io: CheckerIo): CheckerArguments | CommanderError {
    let result: CheckerArguments | undefined;
    try {
        buildCommand(io, (args) => (result = args)).parse([...argv], { from: "user" });
    } catch (e) {
        if (e instanceof CommanderError) {
            return e;
        }
        throw e;
    }
    return result as CheckerArguments;
}

/** Source lookup over the objects of one unit (already one per identity), for the "related" lines. */
function sourceLookup(objects: readonly SourcedObject<ManifestSource>[], defaultNamespace: string): SourceLookup {
    const byRef = new Map<string, ManifestSource | undefined>();
    for (const object of readObjects(objects, defaultNamespace)) {
        byRef.set(`${object.ref.kind}/${object.ref.namespace}/${object.ref.name}`, object.source);
    }
    return (ref) => byRef.get(`${ref.kind}/${ref.namespace}/${ref.name}`);
}

function countChecked(objects: readonly SourcedObject<ManifestSource>[], defaultNamespace: string): CheckedCounts {
    const counts = Object.fromEntries(CHECKED_KINDS.map((k) => [k, 0])) as CheckedCounts;
    for (const object of readObjects(objects, defaultNamespace)) {
        counts[object.ref.kind as CheckedKind] += 1;
    }
    return counts;
}

/**
 * Substitutes (unless the unit's reader did), deduplicates and evaluates one unit; warnings are
 * prefixed with its root. A unit in parts (a Flux tree) is judged whole and reported part by part.
 */
export function checkUnit(
    unit: CheckUnit,
    options: RuleEngineOptions,
    variables: Record<string, string>,
    warnings: string[],
): UnitReport[] {
    const defaultNamespace = options.defaultNamespace ?? DEFAULT_NAMESPACE;
    const prefix = unit.root === undefined ? "" : `${unit.root}: `;
    const substituted = unit.substituted ? { objects: unit.objects, warnings: [] } : substituteVariables(unit.objects, variables);
    const unique = dropDuplicates(substituted.objects, defaultNamespace);
    const unresolved = unresolvedVariables(unique.objects, defaultNamespace);
    warnings.push(...[...substituted.warnings, ...unique.warnings, ...unresolved.warnings].map((w) => `${prefix}${w}`));
    const result = evaluate(unique.objects, options);
    const findings = unresolved.everything ? [] : result.findings.filter((f) => !unresolved.namespaces.has(f.object.namespace));
    const sourceOf = sourceLookup(unique.objects, defaultNamespace);
    if (unit.parts === undefined) {
        return [{ root: unit.root, how: unit.how, result: { findings, checked: result.checked }, sourceOf }];
    }
    return unit.parts.map((part) => ({
        root: part.root,
        how: part.how,
        result: {
            findings: findings.filter((f) => f.source !== undefined && part.sources.has(f.source)),
            checked: countChecked(
                unique.objects.filter((o) => o.source !== undefined && part.sources.has(o.source)),
                defaultNamespace,
            ),
        },
        sourceOf,
    }));
}

function problems(heading: string, lines: readonly string[]): string {
    return `check-manifests: ${heading}:\n${lines.map((e) => `  ${e}\n`).join("")}`;
}

/** Runs the checker; returns the exit code. */
export async function main(argv: readonly string[], io: CheckerIo): Promise<number> {
    const args = parseArguments(argv, io);
    if (args instanceof CommanderError) {
        // Help and version are successful exits; every other parse failure is a usage error.
        return args.exitCode === 0 ? EXIT.clean : EXIT.badInput;
    }
    let options: RuleEngineOptions = {};
    if (args.config !== undefined) {
        const config = loadConfig(args.config);
        if ("errors" in config) {
            io.stderr(problems("bad --config", config.errors));
            return EXIT.badInput;
        }
        options = config.options;
    }
    const variables = collectVariables(args.vars, args.varsFrom);
    if ("errors" in variables) {
        io.stderr(problems("bad variables", variables.errors));
        return EXIT.badInput;
    }
    if (args.paths.length === 0 && args.flux === undefined) {
        io.stderr("check-manifests: give a PATH (a file, a directory or - for stdin) or --flux TREE\n(run with --help for usage)\n");
        return EXIT.badInput;
    }
    const inputs = await gatherInputs(
        args.paths,
        {
            render: args.render,
            flux: args.flux === undefined ? undefined : { tree: args.flux, syncPath: args.syncPath, sourceKind: args.sourceKind },
            variables: variables.variables,
        },
        io.readStdin,
    );
    if (inputs.errors.length > 0) {
        io.stderr(problems("cannot check the input", inputs.errors));
        return EXIT.badInput;
    }
    const warnings = [...inputs.warnings];
    const units = inputs.units.flatMap((unit) => checkUnit(unit, options, variables.variables, warnings));
    for (const warning of warnings) {
        io.stderr(`check-manifests: warning: ${warning}\n`);
    }
    io.stdout(args.format === "json" ? jsonReport(units, warnings) : textReport(units));
    return units.some((u) => u.result.findings.some((f) => f.severity === "error")) ? EXIT.findings : EXIT.clean;
}
