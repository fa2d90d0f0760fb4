/**
 * `npm run -s tool-versions -- --stack prod`: the talosctl and kubectl versions a real run of the
 * stack needs, read offline from its config (`Pulumi.yaml` defaults overlaid with
 * `Pulumi.<stack>.yaml`, validated like the program does), as `key=value` lines for
 * `$GITHUB_OUTPUT`. The rebuild workflow installs exactly these, so the versions live in the config
 * only. Exit codes: 0 printed, 2 bad input (unreadable stack file, configuration problems).
 */
import { Command, CommanderError } from "commander";
import { formatProblems, validateConfig } from "../config";
import { rawConfigFrom } from "../config/load";
import { CliIo } from "./cli";
import { PROJECT_DIR } from "./simulate";
import { StackConfigError, loadStackConfig } from "./stackConfig";

/** The lines printed: `talos-version=v1.13.8`, `kubernetes-version=v1.36.3`. */
export function toolVersionLines(stack: string, projectDir = PROJECT_DIR): string {
    const stackConfig = loadStackConfig(projectDir, stack);
    const secret = new Set(stackConfig.secretKeys);
    // Secrets cannot be read here and are not needed: the validation stands placeholders in for them.
    const raw = rawConfigFrom(stackConfig.values, "platform-dr", (k) => secret.has(k), {});
    const result = validateConfig({ ...raw, rehearsal: true });
    if (!result.ok) {
        throw new StackConfigError(formatProblems(result.problems));
    }
    const { talosVersion, kubernetesVersion } = result.config.cluster;
    return `talos-version=${talosVersion}\nkubernetes-version=${kubernetesVersion}\n`;
}

/** Runs the CLI; returns the exit code. */
export function main(argv: readonly string[], io: CliIo): number {
    const program = new Command()
        .name("tool-versions")
        .description("Print the talosctl and kubectl versions the stack's config needs.")
        .option("--stack <name>", "stack whose Pulumi.<stack>.yaml to read", "prod")
        .exitOverride()
        .configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
    try {
        program.parse(argv, { from: "user" });
        io.stdout(toolVersionLines(program.opts<{ stack: string }>().stack));
        return 0;
    } catch (e) {
        if (e instanceof CommanderError) {
            return e.exitCode === 0 ? 0 : 2;
        }
        if (e instanceof StackConfigError) {
            io.stderr(`tool-versions: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2), { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t) });
}
