/**
 * Flux post-build substitution as the checker applies it, through the project's one expander
 * (gitops/variables.ts): `${var}`, `${var:=default}`, `${var:-default}` from `--var`/`--vars-from`,
 * else the default. Flux substitutes in each object's YAML and reads the result back, so
 * `replicas: ${n:=2}` becomes the number 2; the checker does the same, for the kinds the rules
 * read (nothing else can change a verdict), and skips objects that opt out as Flux lets them.
 *
 * A `${var}` still unresolved in a field a rule reads cannot be judged: it is a warning naming the
 * variable, and the findings of its namespace are withheld, as the policy pack does for unknowns.
 */
import { substituteObject, substitutionDisabled } from "../gitops/fluxTree";
import { KubeObject } from "../gitops/render";
import { expandVariables, lookupFrom } from "../gitops/variables";
import { RULE_FIELDS, SourcedObject, checkedKindOf } from "../policies/rules";
import { ManifestSource } from "./load";

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Substitutes `variables` into every object of a kind the rules read, through the tree follower's
 * `substituteObject` (the one implementation of Flux's rule). Other kinds cannot change a verdict
 * and are passed through untouched, which keeps this cheap. An object whose substituted YAML no
 * longer parses (a value with a newline or `: `) is kept as written, with a warning: Flux fails on it.
 */
export function substituteVariables(
    objects: readonly SourcedObject<ManifestSource>[],
    variables: Readonly<Record<string, string>>,
): { objects: SourcedObject<ManifestSource>[]; warnings: string[] } {
    const lookup = lookupFrom(variables);
    const warnings: string[] = [];
    const substituted = objects.map((input) => {
        if (!isRecord(input.object) || checkedKindOf(input.object) === undefined) {
            return input;
        }
        const result = substituteObject(input.object as unknown as KubeObject, lookup);
        if (result.broken !== undefined) {
            warnings.push(`${describe(input.object)}${at(input.source)}: ${result.broken}; checked as written`);
        }
        return result.object === input.object ? input : { object: result.object, source: input.source };
    });
    return { objects: substituted, warnings };
}

function describe(object: Record<string, unknown>): string {
    const metadata = isRecord(object.metadata) ? object.metadata : {};
    return `${String(object.kind)} ${typeof metadata.namespace === "string" ? `${metadata.namespace}/` : ""}${String(metadata.name)}`;
}

/** Unresolved variables in the fields the rules read, and the namespaces that cannot be judged for them. */
export interface Unresolved {
    /** One message per object, naming each field and variable. */
    readonly warnings: string[];
    /** Namespaces holding such an object: their findings are withheld. */
    readonly namespaces: Set<string>;
    /** True when a namespace itself is unresolved: no namespace can be judged. */
    readonly everything: boolean;
}

/** Every string under `value`, with its path below `prefix`. */
function strings(value: unknown, prefix: string, into: { path: string; text: string }[]): void {
    if (typeof value === "string") {
        into.push({ path: prefix, text: value });
    } else if (Array.isArray(value)) {
        value.forEach((item, index) => strings(item, `${prefix}[${index}]`, into));
    } else if (isRecord(value)) {
        for (const [key, item] of Object.entries(value)) {
            strings(item, `${prefix}.${key}`, into);
        }
    }
}

function readPath(value: unknown, path: readonly string[]): unknown {
    let current = value;
    for (const key of path) {
        if (!isRecord(current)) {
            return undefined;
        }
        current = current[key];
    }
    return current;
}

function at(source: ManifestSource | undefined): string {
    return source === undefined ? "" : ` (${source.file}${source.line === undefined ? "" : `:${source.line}`})`;
}

/** Finds `${var}`s left in the rule fields of `objects` (after substitution). */
export function unresolvedVariables(objects: readonly SourcedObject<ManifestSource>[], defaultNamespace: string): Unresolved {
    const result: Unresolved = { warnings: [], namespaces: new Set(), everything: false };
    let everything = false;
    const none = () => undefined;
    for (const input of objects) {
        const kind = checkedKindOf(input.object);
        if (kind === undefined || !isRecord(input.object) || substitutionDisabled(input.object as unknown as KubeObject)) {
            continue;
        }
        const found: { path: string; text: string }[] = [];
        for (const path of RULE_FIELDS[kind]) {
            strings(readPath(input.object, path), path.join("."), found);
        }
        const problems: string[] = [];
        let namespaceUnknown = false;
        for (const { path, text } of found) {
            if (!text.includes("${")) {
                continue;
            }
            const names = expandVariables(text, none, { dollarEscape: true })
                .issues.filter((issue) => issue.kind === "unresolved")
                .map((issue) => issue.name);
            if (names.length > 0) {
                problems.push(`${path} ${JSON.stringify(text)} needs ${[...new Set(names)].map((n) => `\${${n}}`).join(", ")}`);
                namespaceUnknown ||= path === "metadata.namespace";
            }
        }
        if (problems.length === 0) {
            continue;
        }
        const metadata = isRecord(input.object.metadata) ? input.object.metadata : {};
        const namespace = typeof metadata.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : defaultNamespace;
        const name = typeof metadata.name === "string" ? metadata.name : "(unnamed)";
        everything ||= namespaceUnknown;
        result.namespaces.add(namespace);
        const scope = namespaceUnknown ? "no namespace is judged" : `namespace ${namespace} is not judged`;
        result.warnings.push(
            `${kind} ${namespace}/${name}${at(input.source)}: unresolved variable: ${problems.join("; ")}; ` +
                `${scope}. Give the value with --var NAME=VALUE or --vars-from FILE`,
        );
    }
    return { ...result, everything };
}
