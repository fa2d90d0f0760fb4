import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";

/** Arguments of a script run on the operator's machine. */
export interface ScriptCommandArgs {
    /** The script; constant text, with its inputs in `environment` (see cluster/talosScripts.ts). */
    readonly script: string;
    /** Inputs of the script. Secret values stay secret: Pulumi never prints the environment. */
    readonly environment?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** True when stdout carries a secret: it is marked secret and never logged. */
    readonly secretStdout?: boolean;
    /** Values whose change re-runs the script (a replaced server, say). */
    readonly triggers?: pulumi.Input<unknown[]>;
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
        { ...opts, additionalSecretOutputs: args.secretStdout ? ["stdout"] : opts.additionalSecretOutputs },
    );
}
