/**
 * `check-manifests`: runs the availability rules over Kubernetes manifests. `main` takes the
 * arguments and the I/O to use and returns the exit code, so tests need no subprocess.
 *
 * Exit codes: 0 no error findings (warnings alone still exit 0: they are advice, and a warning
 * that should block belongs at `error` in the config), 1 at least one error finding, 2 unusable
 * input or arguments, 3 a bug in the checker itself.
 */
import { Command, CommanderError, Option } from "commander";
import { DEFAULT_NAMESPACE, RuleEngineOptions, SourcedObject, evaluate, readObjects } from "../policies/rules";
import { loadConfig } from "./config";
import { ManifestSource, loadPaths } from "./load";
import { SourceLookup, jsonReport, textReport } from "./report";

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
export interface CheckerArguments {
    /** Output format. */
    readonly format: "text" | "json";
    /** `--config` file, if given. */
    readonly config?: string;
    /** Files, directories, or `-` for stdin. */
    readonly paths: string[];
}

const DESCRIPTION =
    "Checks Kubernetes manifests against the availability rules workload-has-pdb, pdb-allows-disruption and " +
    "rolling-update-max-unavailable-zero. PATH is a YAML file, a directory (searched recursively for .yaml/.yml) or - for stdin.";

const EXIT_CODES_HELP = `
Exit codes:
  0  no error findings (warnings alone exit 0)
  1  at least one error finding
  2  unusable input, config or arguments
  3  internal error (a bug in the checker)`;

/** Builds the command; `parsed` receives the arguments instead of running an action, so parsing stays pure. */
function buildCommand(io: CheckerIo, parsed: (args: CheckerArguments) => void): Command {
    return new Command("check-manifests")
        .description(DESCRIPTION)
        .argument("<PATH...>", "manifest files, directories, or - for stdin")
        .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"))
        .option("--config <file>", "YAML or JSON config: replicaThreshold, defaultNamespace, exemptions, rules")
        .addHelpText("after", EXIT_CODES_HELP)
        .showHelpAfterError("(run with --help for usage)")
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
        .action((paths: string[], options: { format: "text" | "json"; config?: string }) =>
            parsed({ format: options.format, config: options.config, paths }),
        );
}

/** Parses `argv` (without node and script); a CommanderError carries help output or a usage error. */
export function parseArguments(argv: readonly string[], io: CheckerIo): CheckerArguments | CommanderError {
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

/** Source lookup over every checked object, for the text report's "related" lines. */
function sourceLookup(objects: readonly SourcedObject<ManifestSource>[], defaultNamespace: string): SourceLookup {
    const byRef = new Map<string, ManifestSource | undefined>();
    for (const object of readObjects(objects, defaultNamespace)) {
        const key = `${object.ref.kind}/${object.ref.namespace}/${object.ref.name}`;
        if (!byRef.has(key)) {
            byRef.set(key, object.source);
        }
    }
    return (ref) => byRef.get(`${ref.kind}/${ref.namespace}/${ref.name}`);
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
            io.stderr(`check-manifests: bad --config:\n${config.errors.map((e) => `  ${e}\n`).join("")}`);
            return EXIT.badInput;
        }
        options = config.options;
    }
    const loaded = await loadPaths(args.paths, io.readStdin);
    if (loaded.errors.length > 0) {
        io.stderr(`check-manifests: cannot check the input:\n${loaded.errors.map((e) => `  ${e}\n`).join("")}`);
        return EXIT.badInput;
    }
    const result = evaluate(loaded.objects, options);
    io.stdout(
        args.format === "json"
            ? jsonReport(result)
            : textReport(result, sourceLookup(loaded.objects, options.defaultNamespace ?? DEFAULT_NAMESPACE)),
    );
    return result.findings.some((f) => f.severity === "error") ? EXIT.findings : EXIT.clean;
}
