/**
 * `Pulumi.yaml` is the one place a config key's default is written. The Pulumi CLI hands those
 * defaults to the program in a real run; the config readers take them from here too, so a run
 * under mocks (the rehearsal, the tests) and a direct `validateConfig` see the same values, and
 * no default is repeated in code. Defaults that depend on other keys (the verification of a Git
 * source, the databases of a rebuild) cannot be declared; the code derives them, and the key's
 * description in `Pulumi.yaml` says how.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

/** The project file of this program. */
const PROJECT_FILE = path.resolve(__dirname, "..", "Pulumi.yaml");

/** A declared default in the form Pulumi hands values to the program: scalars as text, arrays parsed. */
export type DeclaredDefault = string | readonly unknown[];

/**
 * The defaults of a parsed `Pulumi.yaml`, by bare key. A declaration is either `{ type, default }`
 * or, in Pulumi's short form, the value itself; `value` (a fixed project value) counts as a default.
 */
export function projectDefaults(project: unknown): Record<string, DeclaredDefault> {
    const config = (project as { config?: unknown } | null)?.config;
    const out: Record<string, DeclaredDefault> = {};
    if (!config || typeof config !== "object") {
        return out;
    }
    for (const [key, declaration] of Object.entries(config)) {
        const d = declaration && typeof declaration === "object" && !Array.isArray(declaration) ? declaration : { default: declaration };
        const value: unknown = (d as { value?: unknown }).value ?? (d as { default?: unknown }).default;
        if (value === undefined || value === null) {
            continue;
        }
        out[key] = Array.isArray(value) ? value : typeof value === "object" ? JSON.stringify(value) : String(value);
    }
    return out;
}

let cached: Readonly<Record<string, DeclaredDefault>> | undefined;

/**
 * This project's declared defaults, read once. A missing or broken `Pulumi.yaml` is a broken
 * checkout (Pulumi itself would not start): the error names the file.
 */
export function declaredDefaults(): Readonly<Record<string, DeclaredDefault>> {
    if (!cached) {
        let project: unknown;
        try {
            project = parse(fs.readFileSync(PROJECT_FILE, "utf8"));
        } catch (e) {
            throw new Error(`${PROJECT_FILE}: cannot read the config declarations: ${(e as Error).message.split("\n")[0]}`);
        }
        cached = Object.freeze(projectDefaults(project));
    }
    return cached;
}
