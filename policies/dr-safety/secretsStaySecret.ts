/**
 * Resource policy `secrets-stay-secret`: outputs that carry credentials are marked secret, so they
 * are encrypted in the state and masked in every log.
 *
 * What a policy can see: @pulumi/policy 1.21 deserializes properties with secrets unwrapped
 * (`deserializeProperties(..., false)` in analyze and analyzeStack; only remediations keep
 * `Secret` wrappers), so no validation policy can tell whether a value is secret, and that
 * includes stack outputs such as `kubeconfig` and `talosconfig`. What it can see is the
 * `additionalSecretOutputs` resource option, which makes the named outputs secret whatever their
 * value. That is what this policy checks. Stack outputs are checked by the program test instead
 * (test/policies/program.test.ts).
 *
 * Which commands print a credential is read from the command's own inputs first: a script that
 * prints one says so in its header (`# Stdout: secret (...)`, SECRET_STDOUT_MARKER), and that line
 * is part of the `create` input, so a renamed command is still checked and no name exemption
 * applies to it. Name endings stay as a second net for commands built without such a script.
 * Secret-bearing environment inputs (KUBECONFIG_CONTENT, MACHINE_CONFIG) do not select a command:
 * most commands that take them print only status lines, which must stay visible.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECRET_BEARING_TYPES, SECRET_STDOUT_MARKER } from "../support/types";

/** Settings of the policy. */
interface SecretsPolicyConfig {
    /** Name endings of local commands whose stdout is a credential (default -kubeconfig, -talosconfig, -secrets, -bundle, -config). */
    readonly commandNameSuffixes?: readonly string[];
    /**
     * Name endings of local commands whose stdout carries no credential although the name also
     * ends in one of `commandNameSuffixes` (default -apply-config, -vault-config); these win.
     */
    readonly plainCommandNameSuffixes?: readonly string[];
}

/**
 * What the program's credential commands print: `-bundle` is the Talos secrets bundle
 * (components/cluster/talosSecrets.ts) and `-config` a node's machine config
 * (components/cluster/talosNode.ts), which holds the cluster CAs' private keys and join tokens.
 */
const DEFAULT_COMMAND_SUFFIXES = ["-kubeconfig", "-talosconfig", "-secrets", "-bundle", "-config"];

/**
 * `-config` also ends the names of commands that only print a status line: `<node>-apply-config`
 * (ISO boot applies the machine config; components/cluster/talosNode.ts) and `openbao-vault-config`
 * (re-runs the vault-config Job; components/restore/openbaoRecovery.ts). Marking those secret would
 * hide useful logs for nothing, so they are exempt by name.
 */
const DEFAULT_PLAIN_COMMAND_SUFFIXES = ["-apply-config", "-vault-config"];

/** What a default credential ending's stdout is, for messages; other endings are described by their name. */
const CARRIED_BY_SUFFIX: Readonly<Record<string, string>> = {
    "-bundle": "a Talos secrets bundle document",
    "-config": "a Talos machine config document",
};

/**
 * The output of a resource that must be secret and what it carries; undefined when the resource
 * carries no credential, or a string saying why a credential-like name is exempt.
 */
function secretOutputsOf(
    type: string,
    name: string,
    props: Record<string, unknown>,
    config: SecretsPolicyConfig,
): { output: string; carries: string } | string | undefined {
    if (type === SECRET_BEARING_TYPES.apiToken) {
        return { output: "value", carries: "a Cloudflare API token" };
    }
    if (type !== SECRET_BEARING_TYPES.command) {
        return undefined;
    }
    const declared = typeof props.create === "string" ? SECRET_STDOUT_MARKER.exec(props.create) : null;
    if (declared) {
        const what = /^\s*\((.+?)\)\.?\s*$/.exec(declared[1])?.[1];
        return {
            output: "stdout",
            carries: what ? `${what} (its script says "# Stdout: secret")` : 'a credential (its script says "# Stdout: secret")',
        };
    }
    const suffix = (config.commandNameSuffixes ?? DEFAULT_COMMAND_SUFFIXES).find((s) => name.endsWith(s));
    if (suffix === undefined) {
        return undefined;
    }
    const plain = (config.plainCommandNameSuffixes ?? DEFAULT_PLAIN_COMMAND_SUFFIXES).find((s) => name.endsWith(s));
    if (plain !== undefined) {
        return `${name} ends in ${plain}, listed in plainCommandNameSuffixes as printing no credential`;
    }
    return { output: "stdout", carries: CARRIED_BY_SUFFIX[suffix] ?? `a ${suffix.slice(1)} document` };
}

/** Commands whose script declares secret stdout or printing kubeconfigs, talosconfigs, secrets, Talos secrets bundles or machine configs, and Cloudflare API tokens, mark those outputs secret. */
export const secretsStaySecret: ResourceValidationPolicy = {
    name: "secrets-stay-secret",
    description:
        "Credential-carrying outputs are listed in additionalSecretOutputs: stdout of command:local:Command resources whose " +
        'script declares "# Stdout: secret" (whatever the command is named) or whose names end in -kubeconfig, -talosconfig, ' +
        "-secrets, -bundle (Talos secrets bundle) or -config (Talos machine config), " +
        "except -apply-config and -vault-config (status lines), and value of cloudflare:index/apiToken:ApiToken. Policies cannot " +
        "see whether a value is secret (@pulumi/policy unwraps secrets before validation), so the stack outputs kubeconfig " +
        "and talosconfig are not checked here.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            commandNameSuffixes: { type: "array", items: { type: "string", minLength: 1 }, default: DEFAULT_COMMAND_SUFFIXES },
            plainCommandNameSuffixes: { type: "array", items: { type: "string", minLength: 1 }, default: DEFAULT_PLAIN_COMMAND_SUFFIXES },
        },
    },
    remediationSteps: 'Add the output to the resource option additionalSecretOutputs, e.g. { additionalSecretOutputs: ["stdout"] }.',
    validateResource: (args, reportViolation) => {
        const expected = secretOutputsOf(args.type, args.name, args.props, args.getConfig<SecretsPolicyConfig>());
        if (expected === undefined) {
            return args.notApplicable("applies to credential-carrying commands and API tokens only");
        }
        if (typeof expected === "string") {
            return args.notApplicable(expected);
        }
        if (!args.opts.additionalSecretOutputs.includes(expected.output)) {
            reportViolation(
                `${args.name}'s ${expected.output} carries ${expected.carries} but is not marked secret, so it would be stored ` +
                    `in plain text in the state and shown in logs. Fix: add additionalSecretOutputs: ["${expected.output}"] to its resource options.`,
            );
        }
    },
};
