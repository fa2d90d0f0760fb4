import * as pulumi from "@pulumi/pulumi";
import { DeclaredDefault, declaredDefaults } from "./declarations";
import { ProblemCollector } from "./problems";

/**
 * The stack's configuration as plain data, before validation. Keys of this project are bare
 * (`controlPlaneCount`); keys of other namespaces keep their namespace (`hcloud:token`).
 * Values are what Pulumi hands the program: scalars as strings, arrays and objects already parsed.
 */
export interface RawConfig {
    /** Every configured value. */
    readonly values: Readonly<Record<string, unknown>>;
    /** Keys whose value was stored as a secret (`pulumi config set --secret`). */
    readonly secretKeys: ReadonlySet<string>;
    /**
     * Rehearsal only: a required secret or account ID that is not set is replaced by a marked
     * placeholder instead of being reported as a problem, so a plan can be shown without
     * credentials. A real run never sets this (see `config/load.ts`).
     */
    readonly rehearsal?: boolean;
}

/** A value a rehearsal made up because the stack does not set it; listed under the plan. */
export interface Placeholder {
    /** The config key. */
    readonly key: string;
    /** True for secrets (set with `pulumi config set --secret`). */
    readonly secret: boolean;
    /** For keys a real run may leave unset: what it then does not do. */
    readonly withoutIt?: string;
    /** What to do instead of `pulumi config set` (e.g. check out a repository), when that is the fix. */
    readonly hint?: string;
}

/** Options for string keys. */
export interface StringOptions {
    /** The value must match this pattern in full. */
    readonly pattern?: RegExp;
    /** What the pattern means, for the error message. */
    readonly expected?: string;
    /** The value must be one of these. */
    readonly oneOf?: readonly string[];
    /**
     * For a required key that no default can stand for (an account ID): the value a rehearsal
     * uses when it is unset, listed as a placeholder. A real run reports the key as missing.
     */
    readonly rehearsalPlaceholder?: string;
}

/** Options for integer keys. */
export interface IntegerOptions {
    readonly min?: number;
    readonly max?: number;
}

/** Options for secret keys. */
export interface SecretOptions {
    /** An unset required secret is a problem (or a placeholder in a rehearsal). */
    readonly required: boolean;
    /** Returns what is wrong with the value, or undefined. Never echo the value in the message. */
    readonly check?: (value: string) => string | undefined;
    /**
     * For an optional secret whose absence skips part of the program: a rehearsal uses a
     * placeholder so the plan shows that part, and says this (what a real run without it skips).
     */
    readonly withoutIt?: string;
}

/** Prefix of a rehearsal placeholder; a real run never sees one. */
export const PLACEHOLDER_PREFIX = "rehearsal-placeholder:";

/**
 * Typed, validating access to raw config. An unset key takes its default from the declarations
 * in `Pulumi.yaml` (config/declarations.ts), the one place defaults are written; a key without a
 * declared default is required, or read with an `optional...` reader. Readers never throw: on a
 * bad value they record a problem and return the default (or a harmless value), so one run
 * reports every problem at once.
 */
export class ConfigReader {
    /** Values that a rehearsal replaced by placeholders, in the order first read. */
    readonly placeholders: Placeholder[] = [];

    constructor(
        private readonly raw: RawConfig,
        readonly problems: ProblemCollector,
        private readonly defaults: Readonly<Record<string, DeclaredDefault>> = declaredDefaults(),
    ) {}

    /**
     * Marks keys as known without reading them: keys that only apply in another mode (Pulumi
     * passes every declared default, so they are present, and must not be reported as unknown).
     */
    declare(...keys: string[]): void {
        keys.forEach((k) => this.problems.markRead(k));
    }

    /** True when the key has a value, set or declared. */
    has(key: string): boolean {
        return this.value(key) !== undefined;
    }

    /** Records a problem found by a cross-field check; `secret` hides the value. */
    problem(key: string, value: unknown, message: string, secret = false): void {
        this.problems.add(key, value, message, secret);
    }

    /** The set value, else the declared default; an empty string is unset. */
    private value(key: string): unknown {
        this.problems.markRead(key);
        const set = this.raw.values[key];
        const v = set === undefined || set === "" ? this.defaults[key] : set;
        return v === "" ? undefined : v;
    }

    /** The key's declared default as text, for messages ("such as ..."); empty when it has none. */
    declared(key: string): string {
        const d = this.defaults[key];
        return d === undefined ? "" : typeof d === "string" ? d : JSON.stringify(d);
    }

    /** What a reader returns for a bad value: the declared default, so later checks see a sane value. */
    private fallback(key: string): DeclaredDefault | undefined {
        const d = this.defaults[key];
        return d === "" ? undefined : d;
    }

    /** A string: set, declared, or a problem (in a rehearsal, `rehearsalPlaceholder` when it has one). */
    string(key: string, opts: StringOptions = {}): string {
        const v = this.value(key);
        if (v === undefined) {
            if (this.raw.rehearsal && opts.rehearsalPlaceholder !== undefined) {
                this.notePlaceholder({ key, secret: false });
                return opts.rehearsalPlaceholder;
            }
            this.problems.add(
                key,
                v,
                `is required${opts.expected ? `: ${opts.expected}` : ""}; set it with \`pulumi config set ${key} <value>\``,
            );
            return "";
        }
        const fallback = this.fallback(key);
        const safe = typeof fallback === "string" ? fallback : "";
        if (typeof v !== "string") {
            this.problems.add(key, v, `must be a string${opts.expected ? ` (${opts.expected})` : ""}`);
            return safe;
        }
        return this.checkString(key, v, opts) ? v : safe;
    }

    /** A string without a declared default, that may be unset (the caller derives what unset means). */
    optionalString(key: string, opts: Omit<StringOptions, "rehearsalPlaceholder"> = {}): string | undefined {
        const v = this.value(key);
        if (v === undefined) {
            return undefined;
        }
        if (typeof v !== "string") {
            this.problems.add(key, v, `must be a string${opts.expected ? ` (${opts.expected})` : ""}`);
            return undefined;
        }
        return this.checkString(key, v, opts) ? v : undefined;
    }

    private checkString(key: string, v: string, opts: StringOptions): boolean {
        if (opts.oneOf && !opts.oneOf.includes(v)) {
            this.problems.add(key, v, `must be one of: ${opts.oneOf.join(", ")}`);
            return false;
        }
        if (opts.pattern && !opts.pattern.test(v)) {
            this.problems.add(key, v, `must be ${opts.expected ?? `a string matching ${opts.pattern}`}`);
            return false;
        }
        return true;
    }

    /** An integer; Pulumi passes numbers as strings, so both forms are accepted. */
    integer(key: string, opts: IntegerOptions = {}): number {
        const v = this.value(key);
        if (v === undefined) {
            this.problems.add(key, v, "is required: an integer");
            return 0;
        }
        const n = toInteger(v);
        const fallback = toInteger(this.fallback(key));
        if (!Number.isInteger(n)) {
            this.problems.add(key, v, "must be an integer");
            return Number.isInteger(fallback) ? fallback : 0;
        }
        if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
            const range = [opts.min !== undefined ? `>= ${opts.min}` : "", opts.max !== undefined ? `<= ${opts.max}` : ""]
                .filter(Boolean)
                .join(" and ");
            this.problems.add(key, v, `must be an integer ${range}`);
            return Number.isInteger(fallback) ? fallback : n;
        }
        return n;
    }

    /** A boolean; `true`/`false` as strings or booleans. */
    boolean(key: string): boolean {
        const v = this.value(key);
        if (v === undefined) {
            this.problems.add(key, v, "is required: true or false");
            return false;
        }
        if (v === true || v === "true") {
            return true;
        }
        if (v === false || v === "false") {
            return false;
        }
        this.problems.add(key, v, "must be true or false");
        return this.fallback(key) === "true";
    }

    /** A list of strings; each entry is passed to `check`, which returns a message when it is bad. */
    stringList(key: string, opts: { check?: (entry: string) => string | undefined } = {}): string[] {
        const v = this.value(key);
        if (v === undefined) {
            this.problems.add(key, v, "is required: a list of strings");
            return [];
        }
        if (!Array.isArray(v)) {
            this.problems.add(key, v, "must be a list of strings (YAML sequence)");
            return [];
        }
        const out: string[] = [];
        v.forEach((entry, i) => {
            const entryKey = `${key}[${i}]`;
            if (typeof entry !== "string" && typeof entry !== "number") {
                this.problems.add(entryKey, entry, "must be a string");
                return;
            }
            const s = String(entry);
            const why = opts.check?.(s);
            if (why) {
                this.problems.add(entryKey, s, why);
                return;
            }
            out.push(s);
        });
        return out;
    }

    /**
     * A list of records written compactly, one string per record: `"<id> field=value field=value"`.
     * Project config in Pulumi.yaml can only declare scalars and arrays of scalars, so records
     * are strings; this keeps them one readable line each. Unknown or repeated fields are problems.
     * `parse` returns the typed record, or a message saying what is wrong with the entry.
     */
    recordList<T>(
        key: string,
        opts: {
            /** For a key whose default depends on other keys (so `Pulumi.yaml` declares none): the records when it is unset. */
            whenUnset?: readonly string[];
            fields: readonly string[];
            parse: (entry: CompactRecord) => T | string;
        },
    ): T[] {
        const out: T[] = [];
        let bad = false;
        const texts = opts.whenUnset && this.value(key) === undefined ? [...opts.whenUnset] : this.stringList(key);
        // Defaults go through the same parser: a broken default is a bug worth reporting too.
        texts.forEach((text, i) => {
            const entry = parseCompactRecord(text, opts.fields);
            const parsed = typeof entry === "string" ? entry : opts.parse(entry);
            if (typeof parsed === "string") {
                this.problems.add(`${key}[${i}]`, text, parsed);
                bad = true;
            } else {
                out.push(parsed);
            }
        });
        return bad ? [] : out;
    }

    /**
     * In a rehearsal, records a stand-in for something a real run requires (a value, a directory)
     * and returns true; a real run returns false and the caller reports the problem.
     */
    standIn(placeholder: Placeholder): boolean {
        if (!this.raw.rehearsal) {
            return false;
        }
        this.notePlaceholder(placeholder);
        return true;
    }

    /**
     * A map of secrets set one entry at a time (`pulumi config set --secret --path 'key.NAME' <value>`),
     * as plain values for checks made before anything is registered: whatever the caller emits from
     * them it must wrap in `pulumi.secret`. Entries a rehearsal could not decrypt are listed as
     * placeholders (key `key.NAME`).
     */
    secretRecord(key: string): Record<string, string> {
        const v = this.value(key);
        if (v === undefined) {
            return {};
        }
        if (typeof v !== "object" || v === null || Array.isArray(v)) {
            this.problems.add(
                key,
                v,
                `must be a map of NAME: value; set each entry with \`pulumi config set --secret --path '${key}.NAME' <value>\``,
                true,
            );
            return {};
        }
        if (!this.raw.secretKeys.has(key)) {
            this.problems.add(
                key,
                v,
                `is stored in plain text; remove it and set each entry with \`pulumi config set --secret --path '${key}.NAME' <value>\``,
                true,
            );
            return {};
        }
        const out: Record<string, string> = {};
        for (const [name, entry] of Object.entries(v as Record<string, unknown>)) {
            if (entry !== null && typeof entry === "object") {
                this.problems.add(`${key}.${name}`, entry, "must be a string", true);
                continue;
            }
            out[name] = String(entry ?? "");
            if (this.raw.rehearsal && out[name].startsWith(PLACEHOLDER_PREFIX)) {
                this.notePlaceholder({ key: `${key}.${name}`, secret: true });
            }
        }
        return out;
    }

    /** Records a placeholder once, however many areas read the same secret (`cloudflare:apiToken`). */
    private notePlaceholder(placeholder: Placeholder): void {
        if (!this.placeholders.some((p) => p.key === placeholder.key)) {
            this.placeholders.push(placeholder);
        }
    }

    /**
     * A secret. It must have been stored as a secret: a credential in plain text in
     * `Pulumi.<stack>.yaml` is a leak, so that is reported as a problem, naming the fix.
     */
    secret(key: string, opts: SecretOptions): pulumi.Output<string> | undefined {
        const v = this.value(key);
        if (v === undefined) {
            if (this.raw.rehearsal && (opts.required || opts.withoutIt)) {
                this.notePlaceholder({ key, secret: true, withoutIt: opts.required ? undefined : opts.withoutIt });
                return pulumi.secret(`${PLACEHOLDER_PREFIX}${key}`);
            }
            if (!opts.required) {
                return undefined;
            }
            this.problems.add(key, v, `is required: set it with \`pulumi config set --secret ${key}\``, true);
            return undefined;
        }
        if (this.raw.rehearsal && typeof v === "string" && v.startsWith(PLACEHOLDER_PREFIX)) {
            // A rehearsal cannot decrypt the stack's secrets: the value is set but unknown.
            this.notePlaceholder({ key, secret: true });
            return pulumi.secret(v);
        }
        if (!this.raw.secretKeys.has(key)) {
            // Say which key without echoing the leaked value.
            this.problems.add(key, v, `is stored in plain text; remove it and set it with \`pulumi config set --secret ${key}\``, true);
            return undefined;
        }
        // A structured secret (a list set with --path, or a JSON document such as a docker config
        // set from a file) arrives parsed; checks and consumers see its JSON text.
        const text = typeof v === "object" && v !== null ? JSON.stringify(v) : v;
        if (typeof text !== "string") {
            this.problems.add(key, v, "must be a string", true);
            return undefined;
        }
        const why = opts.check?.(text);
        if (why) {
            this.problems.add(key, v, why, true);
            return undefined;
        }
        return pulumi.secret(text);
    }
}

/** One compact record: its leading id and its `field=value` pairs. */
export interface CompactRecord {
    /** The first token, e.g. `umami/umami-db`. */
    readonly id: string;
    /** The `field=value` pairs that follow. */
    readonly fields: Readonly<Record<string, string>>;
}

/** A config integer (a number, or its text as Pulumi passes it); NaN when it is none. */
function toInteger(v: unknown): number {
    return typeof v === "number" ? v : typeof v === "string" && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
}

/** Parses `"<id> a=1 b=2"`; returns a message when the entry is malformed. */
function parseCompactRecord(text: string, allowed: readonly string[]): CompactRecord | string {
    const [id, ...rest] = text.trim().split(/\s+/);
    if (!id || id.includes("=")) {
        return `must start with a name, then field=value pairs (fields: ${allowed.join(", ") || "none"})`;
    }
    const fields: Record<string, string> = {};
    for (const token of rest) {
        const eq = token.indexOf("=");
        const field = eq > 0 ? token.slice(0, eq) : token;
        if (eq <= 0 || eq === token.length - 1) {
            return `has "${token}", which is not field=value`;
        }
        if (!allowed.includes(field)) {
            return `has unknown field "${field}" (fields: ${allowed.join(", ") || "none"})`;
        }
        if (field in fields) {
            return `sets "${field}" twice`;
        }
        fields[field] = token.slice(eq + 1);
    }
    return { id, fields };
}
