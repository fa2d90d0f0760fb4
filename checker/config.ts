/**
 * The checker's `--config` file (YAML or JSON), validated with a JSON schema. Errors name the
 * file, the line and the offending field.
 */
import * as fs from "fs";
import Ajv, { ErrorObject } from "ajv";
import { Document, LineCounter, parseDocument } from "yaml";
import { Enforcement, Exemption, RULE_IDS, RuleEngineOptions, RuleId, parseExemptionPattern } from "../policies/rules";

/** The config file as written. */
interface CheckerConfigFile {
    /** Effective replica count from which a workload needs a PDB and a zero-downtime rollout. */
    readonly replicaThreshold?: number;
    /** Namespace of objects without one. */
    readonly defaultNamespace?: string;
    /** Exempt objects: `namespace/name` glob patterns, or objects with a `namespace` and/or `name` glob. */
    readonly exemptions?: readonly (string | Exemption)[];
    /** Per-rule enforcement. */
    readonly rules?: Partial<Record<RuleId, Enforcement>>;
}

const ENFORCEMENT = { enum: ["error", "warning", "off"] };

/** JSON schema of the config file. */
const CONFIG_SCHEMA = {
    type: "object",
    additionalProperties: false,
    properties: {
        replicaThreshold: { type: "integer", minimum: 1 },
        defaultNamespace: { type: "string", minLength: 1 },
        exemptions: {
            type: "array",
            items: {
                if: { type: "string" },
                then: { type: "string", pattern: "^[^/]+/[^/]+$" },
                else: {
                    type: "object",
                    additionalProperties: false,
                    minProperties: 1,
                    properties: { namespace: { type: "string", minLength: 1 }, name: { type: "string", minLength: 1 } },
                },
            },
        },
        rules: {
            type: "object",
            additionalProperties: false,
            properties: Object.fromEntries(RULE_IDS.map((id) => [id, ENFORCEMENT])),
        },
    },
} as const;

const validateConfig = new Ajv({ allErrors: true }).compile<CheckerConfigFile>(CONFIG_SCHEMA);

/** `/rules/workload-has-pdb` -> `rules.workload-has-pdb`, `/exemptions/0` -> `exemptions[0]`. */
function fieldName(instancePath: string, extra?: string): string {
    const parts = instancePath
        .split("/")
        .slice(1)
        .map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    if (extra !== undefined) {
        parts.push(extra);
    }
    return (
        parts.reduce((name, part) => (/^\d+$/.test(part) ? `${name}[${part}]` : name ? `${name}.${part}` : part), "") || "(the top level)"
    );
}

function typeWanted(instancePath: string, type: string): string {
    if (/^\/exemptions\/\d+$/.test(instancePath)) {
        return 'a "namespace/name" pattern or a mapping with namespace and/or name';
    }
    const wanted: Record<string, string> = { object: "a mapping", array: "a list", integer: "a whole number", string: "a string" };
    return wanted[type] ?? type;
}

function describeError(error: ErrorObject): { path: string[]; text: string } {
    const path = error.instancePath.split("/").slice(1);
    switch (error.keyword) {
        case "additionalProperties": {
            const field = String(error.params.additionalProperty);
            const known = error.instancePath === "/rules" ? ` (known rules: ${RULE_IDS.join(", ")})` : "";
            return { path: [...path, field], text: `${fieldName(error.instancePath, field)} is not a known setting${known}` };
        }
        case "enum":
            return { path, text: `${fieldName(error.instancePath)} must be one of ${(error.params.allowedValues as string[]).join(", ")}` };
        case "pattern":
            return { path, text: `${fieldName(error.instancePath)} must look like "namespace/name" (globs allowed, e.g. "kube-system/*")` };
        case "minProperties":
            return { path, text: `${fieldName(error.instancePath)} must give a namespace, a name, or both` };
        case "type":
            return { path, text: `${fieldName(error.instancePath)} must be ${typeWanted(error.instancePath, String(error.params.type))}` };
        default:
            return { path, text: `${fieldName(error.instancePath)} ${error.message ?? "is invalid"}` };
    }
}

function lineOfPath(document: Document.Parsed, lines: LineCounter, path: string[]): number | undefined {
    // For an unknown key, point at the key itself; otherwise at the value.
    const keys = path.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    const node = document.getIn(keys, true) as { range?: [number, number, number] } | undefined;
    const offset = node?.range?.[0];
    return offset === undefined ? undefined : lines.linePos(offset).line;
}

/** Engine options from a validated config file. */
function toEngineOptions(config: CheckerConfigFile): RuleEngineOptions {
    return {
        replicaThreshold: config.replicaThreshold,
        defaultNamespace: config.defaultNamespace,
        rules: config.rules,
        // Patterns were checked by the schema, so parsing them cannot fail here.
        exemptions: config.exemptions?.map((e) => (typeof e === "string" ? (parseExemptionPattern(e) as Exemption) : e)),
    };
}

/** Parses and validates config text; `file` names it in messages. */
export function parseConfig(text: string, file: string): { options: RuleEngineOptions } | { errors: string[] } {
    const lines = new LineCounter();
    const document = parseDocument(text, { lineCounter: lines });
    if (document.errors.length > 0) {
        return {
            errors: document.errors.map(
                (e) =>
                    `${file}:${e.linePos?.[0].line ?? 1}: invalid YAML: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
            ),
        };
    }
    const value: unknown = document.contents === null ? {} : document.toJS();
    if (!validateConfig(value)) {
        const messages = (validateConfig.errors ?? [])
            // `if` only says the then/else branch failed; that branch's own error is the useful one.
            .filter((e) => e.keyword !== "if")
            .map(describeError)
            .map(({ path, text: reason }) => {
                const line = lineOfPath(document, lines, path);
                return { line: line ?? 0, text: `${file}${line === undefined ? "" : `:${line}`}: ${reason}` };
            });
        return { errors: [...new Set(messages.sort((a, b) => a.line - b.line).map((m) => m.text))] };
    }
    return { options: toEngineOptions(value) };
}

/** Reads and validates the config file at `file`. */
export function loadConfig(file: string): { options: RuleEngineOptions } | { errors: string[] } {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        return {
            errors: [
                `cannot read config ${file}: ${code === "ENOENT" ? "no such file or directory" : code === "EISDIR" ? "is a directory" : (e as Error).message}`,
            ],
        };
    }
    return parseConfig(text, file);
}
