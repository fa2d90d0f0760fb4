import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { ConfigError, PlatformConfig, RawConfig, validateConfig } from "./index";

// Pulumi knows which config keys are secret but keeps the lookup internal; it is used only here.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(key: string): boolean };

/** Provider credentials the providers also read from the environment; mirrored so validation sees them. */
export const CREDENTIAL_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
    "hcloud:token": "HCLOUD_TOKEN",
    "cloudflare:apiToken": "CLOUDFLARE_API_TOKEN",
    "github:token": "GITHUB_TOKEN",
});

/** Pulumi hands structured values (arrays, objects) to the program as JSON text. */
function parseConfigValue(text: string): unknown {
    if (/^\s*[[{]/.test(text)) {
        try {
            return JSON.parse(text);
        } catch {
            return text;
        }
    }
    return text;
}

/**
 * Builds raw config from a `project:key -> text` map: this project's keys become bare, other
 * namespaces keep theirs; provider credentials fall back to their environment variables.
 */
export function rawConfigFrom(
    all: Readonly<Record<string, string>>,
    project: string,
    isSecret: (key: string) => boolean,
    env: NodeJS.ProcessEnv,
): RawConfig {
    const values: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, text] of Object.entries(all)) {
        const key = fullKey.startsWith(`${project}:`) ? fullKey.slice(project.length + 1) : fullKey;
        values[key] = parseConfigValue(text);
        if (isSecret(fullKey)) {
            secretKeys.add(key);
        }
    }
    for (const [key, variable] of Object.entries(CREDENTIAL_ENVIRONMENT)) {
        if (values[key] === undefined && env[variable]) {
            values[key] = env[variable];
            secretKeys.add(key); // the environment is not the stack file: nothing leaks
        }
    }
    return { values, secretKeys };
}

/** Set by the rehearsal: unset required secrets become marked placeholders. */
export const REHEARSAL_ENV = "PLATFORM_DR_REHEARSAL";

/** True when the program runs under the simulated cloud (the rehearsal, the tests), not the Pulumi engine. */
export function runningUnderMocks(): boolean {
    return pulumi.runtime.getMonitor() instanceof MockMonitor;
}

/**
 * Placeholders are honoured only under the simulated cloud (the mock monitor), so the variable can
 * never make a real `pulumi up` deploy a placeholder instead of failing on a missing secret.
 */
function placeholdersAllowed(): boolean {
    return process.env[REHEARSAL_ENV] === "1" && runningUnderMocks();
}

/**
 * Reads the stack's config once, validates it, and returns the typed object. On any problem it
 * throws a ConfigError listing all of them, before a single resource is registered.
 */
export function loadConfig(): PlatformConfig {
    const raw = rawConfigFrom(pulumi.runtime.allConfig(), pulumi.getProject(), isConfigSecret, process.env);
    const result = validateConfig({ ...raw, rehearsal: placeholdersAllowed() });
    if (!result.ok) {
        throw new ConfigError(result.problems);
    }
    return result.config;
}
