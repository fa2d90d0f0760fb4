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
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECRET_BEARING_TYPES } from "../support/types";

/** Settings of the policy. */
export interface SecretsPolicyConfig {
    /** Name endings of local commands whose stdout is a credential (default -kubeconfig, -talosconfig, -secrets). */
    readonly commandNameSuffixes?: readonly string[];
}

const DEFAULT_COMMAND_SUFFIXES = ["-kubeconfig", "-talosconfig", "-secrets"];

/** The output of a resource that must be secret and what it carries; undefined when the resource carries no credential. */
function secretOutputsOf(type: string, name: string, config: SecretsPolicyConfig): { output: string; carries: string } | undefined {
    if (type === SECRET_BEARING_TYPES.apiToken) {
        return { output: "value", carries: "a Cloudflare API token" };
    }
    const suffix = (config.commandNameSuffixes ?? DEFAULT_COMMAND_SUFFIXES).find((s) => name.endsWith(s));
    if (type === SECRET_BEARING_TYPES.command && suffix !== undefined) {
        return { output: "stdout", carries: `a ${suffix.slice(1)} document` };
    }
    return undefined;
}

/** Commands printing kubeconfigs, talosconfigs or secrets, and Cloudflare API tokens, mark those outputs secret. */
export const secretsStaySecret: ResourceValidationPolicy = {
    name: "secrets-stay-secret",
    description:
        "Credential-carrying outputs are listed in additionalSecretOutputs: stdout of command:local:Command resources whose " +
        "names end in -kubeconfig, -talosconfig or -secrets, and value of cloudflare:index/apiToken:ApiToken. Policies cannot " +
        "see whether a value is secret (@pulumi/policy unwraps secrets before validation), so the stack outputs kubeconfig " +
        "and talosconfig are not checked here.",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            commandNameSuffixes: { type: "array", items: { type: "string", minLength: 1 }, default: DEFAULT_COMMAND_SUFFIXES },
        },
    },
    remediationSteps: 'Add the output to the resource option additionalSecretOutputs, e.g. { additionalSecretOutputs: ["stdout"] }.',
    validateResource: (args, reportViolation) => {
        const expected = secretOutputsOf(args.type, args.name, args.getConfig<SecretsPolicyConfig>());
        if (expected === undefined) {
            return args.notApplicable("applies to credential-carrying commands and API tokens only");
        }
        if (!args.opts.additionalSecretOutputs.includes(expected.output)) {
            reportViolation(
                `${args.name}'s ${expected.output} carries ${expected.carries} but is not marked secret, so it would be stored ` +
                    `in plain text in the state and shown in logs. Fix: add additionalSecretOutputs: ["${expected.output}"] to its resource options.`,
            );
        }
    },
};
