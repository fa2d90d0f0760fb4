/**
 * The stack's configuration as the Pulumi CLI would hand it to the program: `Pulumi.yaml`
 * defaults, overlaid with `Pulumi.<stack>.yaml`, overlaid with `--set`/`--set-secret` paths.
 * Encrypted values cannot be read without the stack's secrets provider, so they, and required
 * secrets that are not set, become clearly marked placeholders.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";
import { projectDefaults } from "../config/declarations";
import { PLACEHOLDER_PREFIX } from "../config/reader";

/** A problem with a stack file or a `--set` argument; names the file or the argument. */
export class StackConfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackConfigError";
    }
}

/** Config in the shape `pulumi.runtime.setAllConfig` takes. */
export interface StackConfig {
    /** `namespace:key` to the value Pulumi would pass (scalars as text, structures as JSON). */
    readonly values: Record<string, string>;
    /** Keys (`namespace:key`) whose value is secret. */
    readonly secretKeys: string[];
    /** Keys whose encrypted value was replaced by a placeholder. */
    readonly encryptedPlaceholders: string[];
}

/** One `--set PATH=VALUE` or `--set-secret PATH=VALUE`. */
export interface ConfigOverride {
    /** `pulumi config set --path` syntax: `key`, `key.sub`, `key[0]`, `ns:key`. */
    readonly path: string;
    /** The value, as text (like `pulumi config set`). */
    readonly value: string;
    /** True for `--set-secret`. */
    readonly secret: boolean;
}

/** Splits `KEY=VALUE` at the first `=`. */
export function parseOverride(text: string, secret: boolean): ConfigOverride {
    const eq = text.indexOf("=");
    if (eq <= 0) {
        throw new StackConfigError(
            `${secret ? "--set-secret" : "--set"} ${JSON.stringify(secret ? text.replace(/=.*/, "=…") : text)}: expected PATH=VALUE`,
        );
    }
    return { path: text.slice(0, eq), value: text.slice(eq + 1), secret };
}

/** Parses a `--path` expression into its segments: strings for keys, numbers for list indexes. */
export function parseConfigPath(expr: string): (string | number)[] {
    const segments: (string | number)[] = [];
    const re = /([^.[\]]+)|\[(\d+)\]|\["([^"]*)"\]|(\.)/gy;
    let expectKey = true;
    let m: RegExpExecArray | null;
    let consumed = 0;
    while ((m = re.exec(expr)) !== null) {
        if (m[4] !== undefined && expectKey) {
            break;
        }
        consumed = re.lastIndex;
        if (m[1] !== undefined) {
            if (!expectKey) {
                break;
            }
            segments.push(m[1]);
            expectKey = false;
        } else if (m[2] !== undefined) {
            segments.push(Number(m[2]));
            expectKey = false;
        } else if (m[3] !== undefined) {
            segments.push(m[3]);
            expectKey = false;
        } else {
            expectKey = true;
        }
    }
    if (consumed !== expr.length || expectKey || typeof segments[0] !== "string") {
        throw new StackConfigError(`config path ${JSON.stringify(expr)} is not valid: use key, key.sub, key[0] or key["a.b"]`);
    }
    return segments;
}

function setAtPath(root: Record<string, unknown>, segments: (string | number)[], value: unknown, expr: string): void {
    // Each step is a map or a list, indexed by the next segment.
    let node = root as Record<string | number, unknown>;
    segments.forEach((seg, i) => {
        const last = i === segments.length - 1;
        if (typeof seg === "number" && !Array.isArray(node)) {
            throw new StackConfigError(`config path ${JSON.stringify(expr)}: [${seg}] indexes something that is not a list`);
        }
        if (typeof seg === "number" && seg > (node as unknown as unknown[]).length) {
            throw new StackConfigError(
                `config path ${JSON.stringify(expr)}: index ${seg} is past the end of the list (length ${(node as unknown as unknown[]).length})`,
            );
        }
        if (last) {
            node[seg] = value;
            return;
        }
        if (node[seg] === undefined || node[seg] === null) {
            node[seg] = typeof segments[i + 1] === "number" ? [] : {};
        }
        const next = node[seg];
        if (typeof next !== "object" || next === null) {
            throw new StackConfigError(`config path ${JSON.stringify(expr)}: ${String(seg)} is a plain value, not a map or list`);
        }
        node = next as Record<string | number, unknown>;
    });
}

function readYamlFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new StackConfigError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const doc = parseDocument(text, { prettyErrors: true });
    if (doc.errors.length) {
        const err = doc.errors[0];
        const line = err.linePos?.[0]?.line;
        throw new StackConfigError(`${file}${line ? `:${line}` : ""}: invalid YAML: ${err.message.split("\n")[0]}`);
    }
    return doc.toJS();
}

/** Is this a `{ secure: ... }` ciphertext? */
function isEncrypted(value: unknown): boolean {
    return !!value && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length === 1 && "secure" in value;
}

/** Walks a value and reports whether any leaf is encrypted (secret paths inside structures). */
function containsEncrypted(value: unknown): boolean {
    if (isEncrypted(value)) {
        return true;
    }
    return !!value && typeof value === "object" && Object.values(value).some(containsEncrypted);
}

/** Replaces encrypted leaves with placeholders named after their key. */
function replaceEncrypted(value: unknown, key: string): unknown {
    if (isEncrypted(value)) {
        return `${PLACEHOLDER_PREFIX}${key}`;
    }
    if (Array.isArray(value)) {
        return value.map((v, i) => replaceEncrypted(v, `${key}[${i}]`));
    }
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceEncrypted(v, `${key}.${k}`)]));
    }
    return value;
}

/** Text as Pulumi passes it: strings as-is, everything else as JSON. */
function asConfigText(value: unknown): string {
    return typeof value === "string" ? value : JSON.stringify(value);
}

function qualify(key: string, project: string): string {
    return key.includes(":") ? key : `${project}:${key}`;
}

/**
 * Reads `Pulumi.yaml` and `Pulumi.<stack>.yaml` from `projectDir` and applies overrides.
 * Throws StackConfigError naming the file (and line) or the argument at fault.
 */
export function loadStackConfig(projectDir: string, stack: string, overrides: readonly ConfigOverride[] = []): StackConfig {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
        throw new StackConfigError(`--stack ${JSON.stringify(stack)}: a stack name has only letters, digits, '-', '_' and '.'`);
    }
    const projectFile = path.join(projectDir, "Pulumi.yaml");
    const project = readYamlFile(projectFile) as { name?: string; config?: Record<string, unknown> } | null;
    const projectName = project?.name;
    if (!projectName) {
        throw new StackConfigError(`${projectFile}: no project name`);
    }
    const merged: Record<string, unknown> = {};
    const secretKeys = new Set<string>();
    for (const [key, value] of Object.entries(projectDefaults(project))) {
        merged[qualify(key, projectName)] = value;
    }

    const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(stackFile)) {
        throw new StackConfigError(`no stack file ${stackFile}: create it (pulumi stack init ${stack}) or pass an existing --stack`);
    }
    const stackDoc = readYamlFile(stackFile) as { config?: unknown } | null;
    const stackConfig = stackDoc?.config ?? {};
    if (!stackConfig || typeof stackConfig !== "object" || Array.isArray(stackConfig)) {
        throw new StackConfigError(`${stackFile}: 'config' must be a map of keys to values`);
    }
    const encryptedPlaceholders: string[] = [];
    for (const [key, value] of Object.entries(stackConfig)) {
        const full = qualify(key, projectName);
        if (containsEncrypted(value)) {
            secretKeys.add(full);
            encryptedPlaceholders.push(full);
        }
        merged[full] = replaceEncrypted(value, full);
    }

    for (const o of overrides) {
        const segments = parseConfigPath(o.path);
        const full = qualify(segments[0] as string, projectName);
        if (segments.length === 1) {
            merged[full] = o.value;
            // Like `pulumi config set` without --secret: the key is plain text from now on.
            secretKeys.delete(full);
        } else {
            const root: Record<string, unknown> = { [full]: structuredClone(merged[full]) };
            setAtPath(root, [full, ...segments.slice(1)], o.value, o.path);
            merged[full] = root[full];
        }
        if (o.secret) {
            secretKeys.add(full);
        }
    }

    const values = Object.fromEntries(Object.entries(merged).map(([k, v]) => [k, asConfigText(v)]));
    return { values, secretKeys: [...secretKeys].sort(), encryptedPlaceholders: encryptedPlaceholders.sort() };
}
