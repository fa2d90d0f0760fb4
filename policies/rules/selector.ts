/**
 * Label selectors with the exact `metav1.LabelSelector` semantics: `matchLabels` and every
 * `matchExpressions` requirement are ANDed; an empty selector matches everything and a missing
 * one matches nothing (policy/v1 PDBs; see `parseSelector` for the v1beta1 difference).
 */
import { show } from "./intOrPercent";

/** Pod labels. */
export type Labels = Readonly<Record<string, string>>;

/** One `matchExpressions` entry, validated. */
type Requirement =
    | { readonly key: string; readonly operator: "In" | "NotIn"; readonly values: ReadonlySet<string> }
    | { readonly key: string; readonly operator: "Exists" | "DoesNotExist" };

/** A parsed selector: matches nothing, everything, or pods meeting all requirements. */
export type Selector =
    | { readonly type: "nothing"; readonly why: "missing" | "malformed" }
    | { readonly type: "everything" }
    | { readonly type: "requirements"; readonly matchLabels: Labels; readonly expressions: readonly Requirement[] };

/** A parsed selector plus the reason it was rejected, if it was. */
export interface ParsedSelector {
    /** The selector to match with; a malformed one matches nothing, as the API server would not admit it. */
    readonly selector: Selector;
    /** Why the selector is malformed, if it is. */
    readonly problem?: string;
}

type Operator = Requirement["operator"];

const OPERATORS: ReadonlySet<string> = new Set<Operator>(["In", "NotIn", "Exists", "DoesNotExist"]);

function isOperator(value: unknown): value is Operator {
    return typeof value === "string" && OPERATORS.has(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Label values must be strings; YAML scalars such as `1` or `true` are read as their text, as
 * kubectl would reject them anyway. A null (`app:` with nothing after it) is the empty string:
 * that is how the API server decodes it, so `{app: }` selects pods labelled `app=""`, not all pods.
 */
function scalarText(value: unknown): string | undefined {
    if (value === null) {
        return "";
    }
    return typeof value === "string" ? value : typeof value === "number" || typeof value === "boolean" ? String(value) : undefined;
}

const NO_LABELS: Labels = {};

function allStrings(raw: Record<string, unknown>): boolean {
    for (const key in raw) {
        if (Object.prototype.hasOwnProperty.call(raw, key) && typeof raw[key] !== "string") {
            return false;
        }
    }
    return true;
}

/**
 * Reads a `labels`/`matchLabels` map; values that are maps or lists are dropped (the API server
 * rejects them; a PDB selector carrying one is reported by `parseSelector`).
 * A map that is already all strings, the usual case, is used as it is rather than copied.
 */
export function readLabels(raw: unknown): Labels {
    if (!isRecord(raw)) {
        return NO_LABELS;
    }
    if (allStrings(raw)) {
        return raw as Labels;
    }
    const labels: Record<string, string> = {};
    for (const [key, value] of Object.entries(raw)) {
        const text = scalarText(value);
        if (text !== undefined) {
            labels[key] = text;
        }
    }
    return labels;
}

function readRequirement(raw: unknown, index: number): Requirement | string {
    if (!isRecord(raw) || typeof raw.key !== "string" || raw.key === "") {
        return `matchExpressions[${index}] needs a non-empty "key"`;
    }
    const { key, operator, values } = raw;
    if (!isOperator(operator)) {
        return `matchExpressions[${index}] has operator ${show(operator)}; use In, NotIn, Exists or DoesNotExist`;
    }
    const list = values === undefined || values === null ? [] : values;
    if (!Array.isArray(list)) {
        return `matchExpressions[${index}].values must be a list`;
    }
    if (operator === "In" || operator === "NotIn") {
        const texts = list.map(scalarText);
        if (texts.length === 0 || texts.some((t) => t === undefined)) {
            return `matchExpressions[${index}] (${key} ${operator}) needs a non-empty list of string values`;
        }
        return { key, operator, values: new Set(texts as string[]) };
    }
    if (list.length > 0) {
        return `matchExpressions[${index}] (${key} ${operator}) must not list values`;
    }
    return { key, operator };
}

/**
 * Parses `spec.selector` of a PDB. `emptyMatchesEverything` is false for policy/v1beta1, where an
 * empty selector selected no pods; policy/v1 changed that to every pod in the namespace.
 */
export function parseSelector(raw: unknown, emptyMatchesEverything: boolean): ParsedSelector {
    if (raw === undefined || raw === null) {
        return { selector: { type: "nothing", why: "missing" } };
    }
    const malformed = (problem: string): ParsedSelector => ({ selector: { type: "nothing", why: "malformed" }, problem });
    if (!isRecord(raw)) {
        return malformed(`selector ${show(raw)} is not a label selector object`);
    }
    if (raw.matchLabels !== undefined && raw.matchLabels !== null && !isRecord(raw.matchLabels)) {
        return malformed("selector.matchLabels must be a map of label to value");
    }
    if (isRecord(raw.matchLabels)) {
        // Dropping such a label would widen the selector, possibly to every pod in the namespace.
        const bad = Object.entries(raw.matchLabels).find(([, value]) => scalarText(value) === undefined);
        if (bad) {
            return malformed(`selector.matchLabels.${bad[0]} is ${show(bad[1])}; a label value must be a string`);
        }
    }
    const rawExpressions = raw.matchExpressions ?? [];
    if (!Array.isArray(rawExpressions)) {
        return malformed("selector.matchExpressions must be a list");
    }
    const expressions: Requirement[] = [];
    for (const [index, entry] of rawExpressions.entries()) {
        const requirement = readRequirement(entry, index);
        if (typeof requirement === "string") {
            return malformed(`selector.${requirement}`);
        }
        expressions.push(requirement);
    }
    const matchLabels = readLabels(raw.matchLabels);
    if (Object.keys(matchLabels).length === 0 && expressions.length === 0) {
        return { selector: emptyMatchesEverything ? { type: "everything" } : { type: "nothing", why: "missing" } };
    }
    return { selector: { type: "requirements", matchLabels, expressions } };
}

function meets(requirement: Requirement, labels: Labels): boolean {
    const has = Object.prototype.hasOwnProperty.call(labels, requirement.key);
    switch (requirement.operator) {
        case "In":
            return has && requirement.values.has(labels[requirement.key]);
        case "NotIn":
            return !has || !requirement.values.has(labels[requirement.key]);
        case "Exists":
            return has;
        case "DoesNotExist":
            return !has;
    }
}

/** True when `selector` selects pods carrying `labels`. */
export function matches(selector: Selector, labels: Labels): boolean {
    if (selector.type !== "requirements") {
        return selector.type === "everything";
    }
    for (const [key, value] of Object.entries(selector.matchLabels)) {
        if (!Object.prototype.hasOwnProperty.call(labels, key) || labels[key] !== value) {
            return false;
        }
    }
    return selector.expressions.every((r) => meets(r, labels));
}

/** Renders labels as `{app=web, tier=frontend}` for messages. */
export function formatLabels(labels: Labels): string {
    const entries = Object.entries(labels);
    return entries.length === 0 ? "{} (no labels)" : `{${entries.map(([k, v]) => `${k}=${v}`).join(", ")}}`;
}
