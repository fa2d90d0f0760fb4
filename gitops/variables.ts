/**
 * The one `${var}` expander of the project: Flux's post-build substitution (spec.postBuild.substitute /
 * substituteFrom), ksail's expansion of Talos patch files, and the manifest checker's --var/--vars-from
 * all go through `expandVariables`.
 *
 * Supported, as Flux (drone/envsubst) and ksail read them:
 * - `${name}`: the value; unset = unresolved (reported, then kept or emptied as the caller says);
 * - `${name:-default}` / `${name:=default}`: the default when the variable is unset or empty;
 * - `${name-default}` / `${name=default}`: the default only when the variable is unset.
 *   The default may itself contain `${...}` expressions. `:=` does not assign (neither tool does).
 * - a bare `$name` is left alone (Flux and ksail both leave it: scripts inside manifests use it);
 * - with `dollarEscape` (Flux), `$${name}` is written out as the literal `${name}`.
 * Other bash forms (`${name:1:2}`, `${name/a/b}`, `${#name}`, ...) and names that are not identifiers
 * (`${schema.spec.name}`) are left as they are and reported as unsupported, with their line: Flux
 * fails such a build unless the object opts out of substitution.
 */

/** Where the expander found a problem. Lines and columns are 1-based. */
export interface VariableIssue {
    /** `unresolved`: no value and no default; `unsupported`: an expression this expander does not evaluate. */
    readonly kind: "unresolved" | "unsupported";
    /** The variable name (for `unsupported`, what stood between `${` and the first operator). */
    readonly name: string;
    /** The whole expression as written, e.g. `${domain}`. */
    readonly expression: string;
    readonly line: number;
    readonly column: number;
}

/** How to expand. */
export interface ExpandOptions {
    /**
     * What an unresolved `${name}` becomes: `keep` leaves the expression in the text (default; good for
     * reporting), `empty` writes "" as Flux (non-strict) and ksail do. Either way it is reported.
     */
    readonly unresolved?: "keep" | "empty";
    /** Flux's escape: `$${name}` is written as `${name}` and never expanded. Off by default (ksail has no escape). */
    readonly dollarEscape?: boolean;
}

/** The expanded text and everything that could not be expanded. */
export interface Expansion {
    readonly text: string;
    readonly issues: readonly VariableIssue[];
    /** Names that were looked up and found, in first-use order (for "which variables matter" reports). */
    readonly used: readonly string[];
}

/** A variable lookup: the value, or undefined when the variable is unset. */
export type VariableLookup = (name: string) => string | undefined;

/** A lookup over a plain record (own properties only, so `constructor` is never a variable). */
export function lookupFrom(values: Readonly<Record<string, string>>): VariableLookup {
    return (name) => (Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined);
}

/** The index of the `}` closing the `${` whose body starts at `start`, counting nested `${...}`; -1 if none. */
function closingBrace(text: string, start: number): number {
    let depth = 0;
    for (let i = start; i < text.length; i++) {
        if (text[i] === "$" && text[i + 1] === "{") {
            depth++;
            i++;
        } else if (text[i] === "}") {
            if (depth === 0) {
                return i;
            }
            depth--;
        }
    }
    return -1;
}

/** 1-based line and column of an offset, from the sorted offsets at which lines start. */
function position(lineStarts: readonly number[], offset: number): { line: number; column: number } {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
        const mid = (low + high + 1) >> 1;
        if (lineStarts[mid] <= offset) {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    return { line: low + 1, column: offset - lineStarts[low] + 1 };
}

/** A variable name Flux accepts: `[_a-zA-Z][_a-zA-Z0-9]*` (the checker validates --var and --vars-from names with it). */
export const VARIABLE_NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;

/** A variable name as Flux accepts it, then an optional default operator and its text. */
const OPERATOR = new RegExp(`^(${VARIABLE_NAME.source.slice(1, -1)})(?:(:?[-=])([\\s\\S]*))?$`);

/**
 * Expands `${...}` expressions in `text` from `lookup` (see the module comment for the forms). Never
 * throws: what cannot be expanded is reported with its line and column in `text`.
 */
export function expandVariables(text: string, lookup: VariableLookup, options: ExpandOptions = {}): Expansion {
    const lineStarts = [0];
    for (let i = 0; i < text.length; i++) {
        if (text[i] === "\n") {
            lineStarts.push(i + 1);
        }
    }
    const issues: VariableIssue[] = [];
    const used: string[] = [];
    const report = (kind: VariableIssue["kind"], name: string, expression: string, offset: number) =>
        issues.push({ kind, name, expression, ...position(lineStarts, offset) });

    // `base` maps offsets inside a default's text back to offsets in the original text.
    const expand = (segment: string, base: number): string => {
        let out = "";
        let i = 0;
        while (i < segment.length) {
            const dollar = segment.indexOf("$", i);
            if (dollar < 0) {
                out += segment.slice(i);
                break;
            }
            out += segment.slice(i, dollar);
            if (options.dollarEscape && segment.startsWith("$${", dollar)) {
                const end = closingBrace(segment, dollar + 3);
                const stop = end < 0 ? segment.length : end + 1;
                out += segment.slice(dollar + 1, stop);
                i = stop;
                continue;
            }
            if (segment[dollar + 1] !== "{") {
                out += "$";
                i = dollar + 1;
                continue;
            }
            const end = closingBrace(segment, dollar + 2);
            if (end < 0) {
                // An unterminated `${`: nothing to expand; Flux fails the same text, so say so.
                report("unsupported", segment.slice(dollar + 2).split(/\s/)[0], segment.slice(dollar).split("\n")[0], base + dollar);
                out += segment.slice(dollar);
                break;
            }
            const expression = segment.slice(dollar, end + 1);
            const body = segment.slice(dollar + 2, end);
            const match = OPERATOR.exec(body);
            if (!match) {
                report("unsupported", body.split(/[^_a-zA-Z0-9.]/)[0] || body, expression, base + dollar);
                out += expression;
                i = end + 1;
                continue;
            }
            const [, name, operator, fallback] = match;
            const value = lookup(name);
            if (value !== undefined && !used.includes(name)) {
                used.push(name);
            }
            const useDefault = operator !== undefined && (value === undefined || (operator.startsWith(":") && value === ""));
            if (useDefault) {
                out += expand(fallback, base + dollar + 2 + name.length + operator.length);
            } else if (value !== undefined) {
                out += value;
            } else {
                report("unresolved", name, expression, base + dollar);
                out += options.unresolved === "empty" ? "" : expression;
            }
            i = end + 1;
        }
        return out;
    };
    return { text: expand(text, 0), issues, used };
}
