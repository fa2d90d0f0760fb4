import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/** Arguments of a script run on the operator's machine. */
export interface ScriptCommandArgs {
    /** The script, `loadScript("<area>/<name>.sh")`: constant text, with its inputs in `environment`. */
    readonly script: string;
    /** Inputs of the script. Secret values stay secret: Pulumi never prints the environment. */
    readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** True when stdout carries a secret: it is marked secret and never logged. */
    readonly secretStdout?: boolean;
    /** Values whose change re-runs the script (a replaced server, say). */
    readonly triggers?: pulumi.Input<unknown[]>;
    /**
     * For a script that acts (deletes records, suspends Flux, starts a restore) rather than reads:
     * `true`, no input change ever runs it again, only replacing the resource does; `{ rerunOn }`,
     * only a change of those environment entries does (new seed values, say).
     */
    readonly runOnce?: true | { readonly rerunOn: readonly string[] };
}

/**
 * Inputs whose change makes @pulumi/command run `create` again (a Command without `update` does
 * so on any change): a new kubeconfig, a newer script or a changed setting would repeat an action.
 */
const RUN_ONCE_INPUTS = ["create", "interpreter", "logging", "environment"] as const;

/** The `ignoreChanges` that keep a script from running twice (see `ScriptCommandArgs.runOnce`). */
function runOnceIgnoreChanges(args: ScriptCommandArgs): string[] {
    if (args.runOnce === undefined) {
        return [];
    }
    if (args.runOnce === true) {
        return [...RUN_ONCE_INPUTS];
    }
    const { rerunOn } = args.runOnce;
    const environment = args.environment;
    if (environment === undefined || pulumi.Output.isInstance(environment) || environment instanceof Promise) {
        throw new Error("runOnce.rerunOn needs the environment as a plain object, to name the entries that do not re-run the script");
    }
    const ignored = Object.keys(environment)
        .filter((k) => !rerunOn.includes(k))
        .map((k) => `environment.${k}`);
    return [...RUN_ONCE_INPUTS.filter((i) => i !== "environment"), ...ignored];
}

/**
 * A `command.local.Command` that runs a POSIX sh script once, on create. Secret-bearing stdout is
 * marked secret and kept out of the logs, so a kubeconfig never lands in the Pulumi console.
 */
export function scriptCommand(name: string, args: ScriptCommandArgs, opts: pulumi.CustomResourceOptions): command.local.Command {
    return new command.local.Command(
        name,
        {
            create: args.script,
            interpreter: ["/bin/sh", "-c"],
            environment: args.environment,
            triggers: args.triggers,
            logging: args.secretStdout ? "stderr" : "stdoutAndStderr",
        },
        {
            ...opts,
            additionalSecretOutputs: args.secretStdout ? ["stdout"] : opts.additionalSecretOutputs,
            ignoreChanges: [...(opts.ignoreChanges ?? []), ...runOnceIgnoreChanges(args)],
        },
    );
}
