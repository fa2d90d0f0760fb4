/**
 * Post-build variables for the checker: `--var name=value` and `--vars-from FILE`, where FILE
 * holds ConfigMaps and/or Secrets as Flux's `postBuild.substituteFrom` reads them (ConfigMap
 * `data`; Secret `data` base64-decoded, and `stringData` as written). Later files override earlier
 * ones and `--var` overrides every file, as Flux's inline `substitute` overrides `substituteFrom`.
 * Expanding `${var}` is gitops/variables.ts's job; this module only gathers the values.
 * Secret values never appear in a message: errors name the file, line and key.
 */
import * as fs from "fs";
import { Document, LineCounter, Node, isMap, parseAllDocuments } from "yaml";
import { VARIABLE_NAME } from "../gitops/variables";

/** Values by variable name, or every reason they could not be read. */
export type VariablesResult = { readonly variables: Record<string, string> } | { readonly errors: string[] };

/** Parses one `--var name=value`; the value may be empty and may contain `=`. */
export function parseVarArgument(argument: string): { name: string; value: string } | { error: string } {
    const equals = argument.indexOf("=");
    if (equals < 0) {
        return { error: `--var ${JSON.stringify(argument)} must be name=value` };
    }
    const name = argument.slice(0, equals);
    if (!VARIABLE_NAME.test(name)) {
        return { error: `--var ${JSON.stringify(name)} is not a valid variable name (letters, digits and _, not starting with a digit)` };
    }
    return { name, value: argument.slice(equals + 1) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Strict base64, as the API server decodes Secret data: whole groups of four, padding only at the end. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function lineOf(node: unknown, lines: LineCounter, fallback: number): number {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? fallback : lines.linePos(offset).line;
}

/** Reads one ConfigMap or Secret document into `into`. */
function readDocument(document: Document.Parsed, file: string, lines: LineCounter, into: Record<string, string>, errors: string[]): void {
    const start = lineOf(document.contents, lines, 1);
    const value: unknown = document.toJS();
    if (value === null || value === undefined) {
        return;
    }
    if (!isRecord(value) || (value.kind !== "ConfigMap" && value.kind !== "Secret")) {
        errors.push(`${file}:${start}: --vars-from takes ConfigMaps and Secrets (as Flux's substituteFrom), not this document`);
        return;
    }
    if (value.sops !== undefined) {
        errors.push(
            `${file}:${start}: the ${value.kind} is SOPS-encrypted; decrypt it first (sops -d ${file} > plain.yaml) and pass that file`,
        );
        return;
    }
    const fields = value.kind === "Secret" ? ["data", "stringData"] : ["data"];
    for (const field of fields) {
        const map = value[field];
        if (map === undefined || map === null) {
            continue;
        }
        const node = isMap(document.contents) ? document.contents.get(field, true) : undefined;
        if (!isRecord(map)) {
            errors.push(`${file}:${lineOf(node, lines, start)}: ${value.kind} ${field} must be a mapping of names to strings`);
            continue;
        }
        for (const [name, raw] of Object.entries(map)) {
            const where = `${file}:${lineOf(isMap(node) ? node.get(name, true) : undefined, lines, start)}`;
            if (!VARIABLE_NAME.test(name)) {
                errors.push(`${where}: ${field}.${name} is not a valid variable name (letters, digits and _, not starting with a digit)`);
            } else if (typeof raw !== "string") {
                errors.push(`${where}: ${field}.${name} must be a string (quote it), as the API server requires`);
            } else if (value.kind === "Secret" && field === "data") {
                const compact = raw.replace(/\s+/g, "");
                if (!BASE64.test(compact)) {
                    errors.push(`${where}: data.${name} is not base64 (Secret data is base64; put plain text under stringData)`);
                } else {
                    into[name] = Buffer.from(compact, "base64").toString("utf8");
                }
            } else {
                into[name] = raw;
            }
        }
    }
}

/** Reads the ConfigMaps and Secrets of one `--vars-from` file; later documents override earlier ones. */
export function parseVarsFile(text: string, file: string): VariablesResult {
    const lines = new LineCounter();
    const variables: Record<string, string> = {};
    const errors: string[] = [];
    const documents = parseAllDocuments(text, { lineCounter: lines });
    for (const document of documents) {
        if (document.errors.length > 0) {
            for (const error of document.errors) {
                errors.push(`${file}:${error.linePos?.[0].line ?? 1}: invalid YAML: ${error.message.split("\n")[0]}`);
            }
            continue;
        }
        readDocument(document, file, lines, variables, errors);
    }
    if (errors.length === 0 && Object.keys(variables).length === 0) {
        errors.push(`${file}: no variables in it (a ConfigMap with data, or a Secret with data or stringData)`);
    }
    return errors.length > 0 ? { errors } : { variables };
}

/** Gathers every `--vars-from` file in order, then every `--var`; all problems are reported at once. */
export function collectVariables(varArguments: readonly string[], varsFiles: readonly string[]): VariablesResult {
    const variables: Record<string, string> = {};
    const errors: string[] = [];
    for (const file of varsFiles) {
        let text: string;
        try {
            text = fs.readFileSync(file, "utf8");
        } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            errors.push(
                `cannot read --vars-from ${file}: ${code === "ENOENT" ? "no such file or directory" : code === "EISDIR" ? "is a directory" : String(e)}`,
            );
            continue;
        }
        const result = parseVarsFile(text, file);
        if ("errors" in result) {
            errors.push(...result.errors);
        } else {
            Object.assign(variables, result.variables);
        }
    }
    for (const argument of varArguments) {
        const parsed = parseVarArgument(argument);
        if ("error" in parsed) {
            errors.push(parsed.error);
        } else {
            variables[parsed.name] = parsed.value;
        }
    }
    return errors.length > 0 ? { errors } : { variables };
}
