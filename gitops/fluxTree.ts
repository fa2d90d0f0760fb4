/**
 * Follows a Flux tree offline as Flux would: the FluxInstance's sync path is rendered (kustomize
 * applies the tree's own replacements, such as `__PROVIDER__`/`__CLUSTER__` in `spec.path`), every
 * Flux Kustomization found is rendered from its `spec.path`, its post-build variables are applied
 * (Flux's rules: per object, unless it opts out; `substitute` over `substituteFrom`, later entries
 * over earlier ones), and the Kustomizations it applies in turn are followed, with their `dependsOn`.
 *
 * Pure apart from reading the tree and running kustomize; every problem is data in the result.
 */
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { KubeObject, KustomizeTool, LeftOut, ObjectSource, RenderedObject, kustomizationFile, renderKustomization } from "./render";
import { VariableIssue, expandVariables } from "./variables";

/** The name and namespace of the Kustomization the FluxInstance creates for its sync path. */
const SYNC_KUSTOMIZATION = { name: "flux-system", namespace: "flux-system" } as const;

const FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io";
const SUBSTITUTE_KEY = "kustomize.toolkit.fluxcd.io/substitute";
/** SOPS leaves encrypted values as `ENC[AES256_GCM,...]`: the name is known, the value is not. */
const SOPS_VALUE = /^ENC\[[A-Z0-9_]+,data:/;

/** `namespace/name` of a namespaced object. */
export type ObjectKey = string;

/** A problem found while following the tree. */
interface TreeProblem {
    /** `error`: Flux would not converge; `warning`: it may not, or the pre-flight could not check; `info`: for the record. */
    readonly severity: "error" | "warning" | "info";
    /** The Kustomization concerned (`namespace/name`). */
    readonly kustomization: ObjectKey;
    readonly message: string;
    /** Where: `file:line` when known. */
    readonly where?: string;
}

/** A variable a Kustomization uses, resolved or not. */
interface VariableUse {
    readonly issue: VariableIssue;
    /** The object it is in. */
    readonly source: ObjectSource;
}

/** One Flux Kustomization, followed. */
export interface FluxKustomization {
    readonly name: string;
    readonly namespace: string;
    /** `namespace/name`. */
    readonly key: ObjectKey;
    /** `spec.path` as rendered (relative to the tree root), or the sync path. */
    readonly path: string;
    /** `dependsOn`, as `namespace/name`. */
    readonly dependsOn: readonly ObjectKey[];
    /** The Kustomization that applies this one (undefined for the sync path's). */
    readonly parent?: ObjectKey;
    /** Where its Flux Kustomization object was declared (undefined for the sync path's). */
    readonly declaredIn?: ObjectSource;
    /** `spec.wait`: Ready only once everything it applied is Ready. */
    readonly wait: boolean;
    /** `spec.suspend`. */
    readonly suspended: boolean;
    /** The objects Flux would apply, post-build variables applied. Empty when `error` is set. */
    readonly objects: readonly RenderedObject[];
    /** Remote resources left out of the render (their objects are missing). */
    readonly leftOut: readonly LeftOut[];
    /** Set when the path could not be rendered at all. */
    readonly error?: string;
}

/** The followed tree. */
export interface FluxTree {
    /** The tree root (`gitopsPath`), absolute. */
    readonly root: string;
    /** The FluxInstance's sync path, relative to `root`. */
    readonly syncPath: string;
    /** Every Kustomization reached, in an order Flux could apply them (dependencies first; ties in discovery order). */
    readonly kustomizations: readonly FluxKustomization[];
    readonly problems: readonly TreeProblem[];
}

/** Options for following a tree. */
export interface FollowOptions {
    readonly tool: KustomizeTool;
    /** Per kustomize run. */
    readonly timeoutMs?: number;
    /** Remote resources: `skip` (default: offline, deterministic, never hangs) or `fetch`. */
    readonly remote?: "fetch" | "skip";
    /**
     * Values given from outside the tree (the checker's --var/--vars-from), as if one more
     * substituteFrom entry came last: they override the tree's ConfigMaps and Secrets (and fill in
     * SOPS-encrypted values), while an inline postBuild.substitute still wins, as in Flux. Only
     * Kustomizations with a postBuild use them, since Flux substitutes nothing elsewhere.
     */
    readonly variables?: Readonly<Record<string, string>>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The API group of an apiVersion (`""` for the core group). */
export function apiGroup(apiVersion: string): string {
    return apiVersion.includes("/") ? apiVersion.split("/")[0] : "";
}

/** `file:line` of a source, or the root when the file is unknown. */
export function where(source: ObjectSource | undefined): string | undefined {
    if (!source) {
        return undefined;
    }
    return source.file ? `${source.file}${source.line ? `:${source.line}` : ""}` : source.root;
}

/**
 * `file:line` of the first `expression` in the object's file at or after the object's line (the
 * substitution saw the object re-serialized, so its own line numbers are not the file's).
 */
function expressionAt(source: ObjectSource, expression: string): string | undefined {
    if (!source.file || source.line === undefined) {
        return where(source);
    }
    try {
        const lines = fs.readFileSync(source.file, "utf8").split("\n");
        const index = lines.findIndex((text, i) => i >= source.line! - 1 && text.includes(expression));
        return index < 0 ? where(source) : `${source.file}:${index + 1}`;
    } catch {
        return where(source);
    }
}

/** Whether an object is a Flux Kustomization (not a kustomize.config.k8s.io one). */
export function isFluxKustomization(object: KubeObject): boolean {
    return object.kind === "Kustomization" && apiGroup(object.apiVersion) === FLUX_KUSTOMIZE_GROUP;
}

/** Whether Flux leaves the object's text alone (annotation or label `kustomize.toolkit.fluxcd.io/substitute: disabled`). */
export function substitutionDisabled(object: KubeObject): boolean {
    const meta = isRecord(object.metadata) ? object.metadata : {};
    const flag = (m: unknown) => isRecord(m) && m[SUBSTITUTE_KEY] === "disabled";
    return flag(meta.annotations) || flag(meta.labels);
}

/** The values of a ConfigMap or Secret as Flux's substituteFrom reads them; SOPS-encrypted ones are listed apart. */
function variablesOf(object: KubeObject): { values: Record<string, string>; encrypted: string[] } {
    const values: Record<string, string> = {};
    const encrypted: string[] = [];
    const take = (map: unknown, decode: boolean) => {
        if (!isRecord(map)) {
            return;
        }
        for (const [k, v] of Object.entries(map)) {
            const text = typeof v === "string" ? v : String(v);
            if (SOPS_VALUE.test(text)) {
                encrypted.push(k);
            } else {
                values[k] = decode ? Buffer.from(text, "base64").toString("utf8") : text;
            }
        }
    };
    take(object.data, object.kind === "Secret");
    take(object.stringData, false);
    return { values, encrypted };
}

interface PostBuild {
    readonly substitute: Readonly<Record<string, string>>;
    readonly substituteFrom: readonly { kind: string; name: string; optional: boolean }[];
}

function postBuildOf(spec: Record<string, unknown>): PostBuild | undefined {
    const postBuild = spec.postBuild;
    if (!isRecord(postBuild)) {
        return undefined;
    }
    const substitute: Record<string, string> = {};
    if (isRecord(postBuild.substitute)) {
        for (const [k, v] of Object.entries(postBuild.substitute)) {
            substitute[k] = String(v);
        }
    }
    const from = Array.isArray(postBuild.substituteFrom) ? postBuild.substituteFrom.filter(isRecord) : [];
    return {
        substitute,
        substituteFrom: from.map((f) => ({ kind: String(f.kind), name: String(f.name), optional: f.optional === true })),
    };
}

/** A Kustomization found in a rendered layer, before it is rendered itself. */
interface Pending {
    readonly name: string;
    readonly namespace: string;
    readonly path: string;
    readonly dependsOn: ObjectKey[];
    readonly parent?: ObjectKey;
    readonly declaredIn?: ObjectSource;
    readonly wait: boolean;
    readonly suspended: boolean;
    readonly postBuild?: PostBuild;
    /** Fields of the Flux Kustomization that change its objects and that this walk does not apply. */
    readonly notApplied?: readonly string[];
}

/** Flux Kustomization fields that transform the rendered objects; the pre-flight names them instead of applying them. */
const TRANSFORMING_FIELDS = ["targetNamespace", "namePrefix", "nameSuffix", "commonMetadata", "patches", "images", "components"];

/** Reads a Flux Kustomization object; a string is why it cannot be followed. */
function pendingFrom(
    object: KubeObject,
    source: ObjectSource,
    parent: ObjectKey,
    syncSource: { kind: string; name: string },
): Pending | string {
    const name = String(object.metadata?.name ?? "");
    const namespace = String(object.metadata?.namespace ?? SYNC_KUSTOMIZATION.namespace);
    const spec = isRecord(object.spec) ? object.spec : {};
    const sourceRef = isRecord(spec.sourceRef) ? spec.sourceRef : {};
    const refNamespace = String(sourceRef.namespace ?? namespace);
    if (sourceRef.kind !== syncSource.kind || sourceRef.name !== syncSource.name || refNamespace !== SYNC_KUSTOMIZATION.namespace) {
        return `its source ${String(sourceRef.kind)}/${refNamespace}/${String(sourceRef.name)} is not the synced one (${syncSource.kind}/flux-system/${syncSource.name}), so it is not in this tree`;
    }
    const rawPath = typeof spec.path === "string" ? spec.path : "./";
    const dependsOn = (Array.isArray(spec.dependsOn) ? spec.dependsOn.filter(isRecord) : []).map(
        (d) => `${String(d.namespace ?? namespace)}/${String(d.name)}`,
    );
    return {
        name,
        namespace,
        path: path.posix.normalize(rawPath.replace(/^\.\//, "")).replace(/\/$/, "") || ".",
        dependsOn,
        parent,
        declaredIn: source,
        wait: spec.wait === true,
        suspended: spec.suspend === true,
        postBuild: postBuildOf(spec),
        notApplied: TRANSFORMING_FIELDS.filter((f) => spec[f] !== undefined),
    };
}

/** Applies Flux's post-build substitution to each object, collecting what could not be resolved. */
/** What Flux's post-build substitution makes of one object. */
export interface ObjectSubstitution {
    /** The object after substitution (the same object when it opts out, holds no `${`, or would break). */
    readonly object: KubeObject;
    /** Every expression that could not be expanded, with its line in the object's YAML. */
    readonly issues: readonly VariableIssue[];
    /** Why the substituted text is no longer YAML (Flux fails the Kustomization); the object is then kept as it was. */
    readonly broken?: string;
}

/**
 * Flux's post-build substitution of one object: unless it opts out (annotation or label
 * `kustomize.toolkit.fluxcd.io/substitute: disabled`), its YAML is expanded with Flux's `$${}`
 * escape and read back, so `replicas: ${n:=2}` becomes the number 2. The one place objects are
 * substituted: the tree follower and the manifest checker both use it.
 */
export function substituteObject(object: KubeObject, lookup: (name: string) => string | undefined): ObjectSubstitution {
    if (substitutionDisabled(object)) {
        return { object, issues: [] };
    }
    const text = stringify(object);
    if (!text.includes("${")) {
        return { object, issues: [] };
    }
    const expansion = expandVariables(text, lookup, { dollarEscape: true });
    try {
        const result: unknown = parse(expansion.text);
        if (isRecord(result)) {
            return { object: result as KubeObject, issues: expansion.issues };
        }
        return { object, issues: expansion.issues, broken: "is no longer a mapping after substitution" };
    } catch (e) {
        return { object, issues: expansion.issues, broken: `is not YAML after substitution (${(e as Error).message.split("\n")[0]})` };
    }
}

function substitute(
    objects: readonly RenderedObject[],
    lookup: (name: string) => string | undefined,
): { objects: RenderedObject[]; issues: VariableUse[]; broken: { source: ObjectSource; reason: string }[] } {
    const out: RenderedObject[] = [];
    const issues: VariableUse[] = [];
    const broken: { source: ObjectSource; reason: string }[] = [];
    for (const rendered of objects) {
        const result = substituteObject(rendered.object, lookup);
        result.issues.forEach((issue) => issues.push({ issue, source: rendered.source }));
        if (result.broken !== undefined) {
            broken.push({ source: rendered.source, reason: result.broken });
        }
        out.push(result.object === rendered.object ? rendered : { object: result.object, source: rendered.source });
    }
    return { objects: out, issues, broken };
}

/**
 * Orders Kustomizations so that each comes after its dependencies and its parent; a cycle or a
 * missing dependency is reported and the rest keeps discovery order.
 */
function orderKustomizations(nodes: readonly FluxKustomization[], problems: TreeProblem[]): FluxKustomization[] {
    const byKey = new Map(nodes.map((n) => [n.key, n]));
    const ordered: FluxKustomization[] = [];
    const state = new Map<ObjectKey, "visiting" | "done">();
    const visit = (node: FluxKustomization, trail: ObjectKey[]) => {
        if (state.get(node.key) === "done") {
            return;
        }
        if (state.get(node.key) === "visiting") {
            problems.push({
                severity: "error",
                kustomization: node.key,
                message: `dependsOn cycle: ${[...trail.slice(trail.indexOf(node.key)), node.key].join(" -> ")}; Flux never applies any of them`,
                where: where(node.declaredIn),
            });
            return;
        }
        state.set(node.key, "visiting");
        for (const dep of [...(node.parent ? [node.parent] : []), ...node.dependsOn]) {
            const target = byKey.get(dep);
            if (target) {
                visit(target, [...trail, node.key]);
            }
        }
        state.set(node.key, "done");
        ordered.push(node);
    };
    nodes.forEach((n) => visit(n, []));
    for (const node of nodes) {
        for (const dep of node.dependsOn) {
            if (!byKey.has(dep)) {
                problems.push({
                    severity: "error",
                    kustomization: node.key,
                    message: `depends on ${dep}, which nothing in the tree applies: Flux waits for it for ever`,
                    where: where(node.declaredIn),
                });
            }
        }
    }
    return ordered;
}

/**
 * Everything that is Ready (or at least applied) before `key` starts: its dependencies, their
 * dependencies, the Kustomizations that apply each of those (parents are applied before their
 * children), transitively. `key` itself is not included.
 */
export function readyBefore(tree: FluxTree, key: ObjectKey): Set<ObjectKey> {
    const byKey = new Map(tree.kustomizations.map((k) => [k.key, k]));
    const before = new Set<ObjectKey>();
    const add = (k: ObjectKey) => {
        const node = byKey.get(k);
        if (!node || before.has(k)) {
            return;
        }
        before.add(k);
        node.dependsOn.forEach(add);
        if (node.parent) {
            add(node.parent);
        }
    };
    const start = byKey.get(key);
    start?.dependsOn.forEach(add);
    // A parent's own dependencies were Ready before the parent applied this Kustomization.
    for (let p = start?.parent; p; p = byKey.get(p)?.parent) {
        byKey.get(p)?.dependsOn.forEach(add);
    }
    return before;
}

/**
 * Follows the tree from `syncPath` (relative to `root`, as the FluxInstance's `spec.sync.path`).
 * `syncSource` is what the FluxInstance's generated source is (kind and name `flux-system`).
 */
export function followFluxTree(
    root: string,
    syncPath: string,
    options: FollowOptions,
    syncSource: { kind: string; name: string } = { kind: "OCIRepository", name: "flux-system" },
): FluxTree {
    const absoluteRoot = path.resolve(root);
    const problems: TreeProblem[] = [];
    const nodes: FluxKustomization[] = [];
    const syncKey = `${SYNC_KUSTOMIZATION.namespace}/${SYNC_KUSTOMIZATION.name}`;
    const queue: Pending[] = [{ ...SYNC_KUSTOMIZATION, path: syncPath, dependsOn: [], wait: false, suspended: false }];
    const seen = new Set<ObjectKey>();
    // Rendered before substitution, so a substituteFrom can find ConfigMaps applied by any layer.
    const rawObjects = new Map<ObjectKey, readonly RenderedObject[]>();
    const pendingPostBuild: { index: number; pending: Pending }[] = [];

    while (queue.length) {
        const pending = queue.shift()!;
        const key = `${pending.namespace}/${pending.name}`;
        if (seen.has(key)) {
            problems.push({
                severity: "error",
                kustomization: key,
                message: "is declared more than once; Flux keeps only the last one applied",
                where: where(pending.declaredIn),
            });
            continue;
        }
        seen.add(key);
        const { rendered, leftOut, error } = renderLayer(absoluteRoot, pending.path, options);
        if (error) {
            problems.push({
                severity: "error",
                kustomization: key,
                message: `cannot be rendered: ${error}`,
                where: where(pending.declaredIn),
            });
        }
        rawObjects.set(key, rendered);
        nodes.push({
            name: pending.name,
            namespace: pending.namespace,
            key,
            path: pending.path,
            dependsOn: pending.dependsOn,
            parent: pending.parent,
            declaredIn: pending.declaredIn,
            wait: pending.wait,
            suspended: pending.suspended,
            objects: rendered,
            leftOut,
            error,
        });
        if (pending.postBuild) {
            pendingPostBuild.push({ index: nodes.length - 1, pending });
        }
        queue.push(...childrenOf(rendered, key, syncSource, problems));
    }

    // Post-build substitution, once every layer is rendered (substituteFrom may name objects of any layer).
    for (const { index, pending } of pendingPostBuild) {
        nodes[index] = substituteLayer(nodes[index], pending, [...rawObjects.values()].flat(), options.variables, problems);
    }

    const ordered = orderKustomizations(nodes, problems);
    // The sync Kustomization applies the top layer; nobody depends on it by name, so it stays first.
    const sync = ordered.filter((n) => n.key === syncKey);
    return { root: absoluteRoot, syncPath, kustomizations: [...sync, ...ordered.filter((n) => n.key !== syncKey)], problems };
}

/** Renders one Kustomization's `spec.path`, or says why Flux could not. */
function renderLayer(
    absoluteRoot: string,
    layerPath: string,
    options: FollowOptions,
): { rendered: readonly RenderedObject[]; leftOut: readonly LeftOut[]; error?: string } {
    const directory = path.resolve(absoluteRoot, layerPath);
    const none = { rendered: [], leftOut: [] };
    if (/__[A-Z]+__|\$\{/.test(layerPath)) {
        return {
            ...none,
            error: `spec.path ${layerPath} still holds a placeholder after rendering: the tree's replacements did not reach it`,
        };
    }
    if (!directory.startsWith(absoluteRoot + path.sep) && directory !== absoluteRoot) {
        return { ...none, error: `spec.path ${layerPath} leaves the tree` };
    }
    if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) {
        return { ...none, error: `spec.path ${layerPath} is not a directory of the tree: Flux fails this Kustomization` };
    }
    if (!kustomizationFile(directory)) {
        return {
            ...none,
            error: `${layerPath} has no kustomization.yaml; Flux would generate one from every manifest under it, which this pre-flight does not do`,
        };
    }
    const result = renderKustomization(directory, {
        tool: options.tool,
        timeoutMs: options.timeoutMs,
        remote: options.remote ?? "skip",
        // Flux's kustomize-controller builds with LoadRestrictionsNone.
        loadRestrictor: "none",
    });
    return { rendered: result.objects, leftOut: result.leftOut, error: result.error };
}

/**
 * The Flux Kustomizations a layer applies, to follow next. They are found before substitution: a
 * spec.path made of variables is reported, not guessed.
 */
function childrenOf(
    rendered: readonly RenderedObject[],
    parentKey: ObjectKey,
    syncSource: { kind: string; name: string },
    problems: TreeProblem[],
): Pending[] {
    const children: Pending[] = [];
    for (const child of rendered.filter((o) => isFluxKustomization(o.object))) {
        const next = pendingFrom(child.object, child.source, parentKey, syncSource);
        if (typeof next === "string") {
            problems.push({
                severity: "info",
                kustomization: `${String(child.object.metadata?.namespace ?? "flux-system")}/${String(child.object.metadata?.name)}`,
                message: `is not followed: ${next}`,
                where: where(child.source),
            });
        } else {
            children.push(next);
        }
    }
    return children;
}

/** Applies a Kustomization's postBuild substitution to its objects, reporting what Flux would get wrong. */
function substituteLayer(
    node: FluxKustomization,
    pending: Pending,
    allObjects: readonly RenderedObject[],
    variables: Readonly<Record<string, string>> | undefined,
    problems: TreeProblem[],
): FluxKustomization {
    const { values, encrypted } = postBuildValues(node.key, pending, allObjects, variables, problems);
    const result = substitute(node.objects, (name) => values.get(name));
    for (const broken of result.broken) {
        problems.push({ severity: "error", kustomization: node.key, message: `an object ${broken.reason}`, where: where(broken.source) });
    }
    const unresolved = new Map<string, VariableUse[]>();
    for (const use of result.issues) {
        if (use.issue.kind === "unresolved" && encrypted.has(use.issue.name)) {
            continue; // from a SOPS-encrypted Secret: known to Flux, not to an offline pre-flight
        }
        const label = use.issue.kind === "unresolved" ? use.issue.name : use.issue.expression;
        unresolved.set(label, [...(unresolved.get(label) ?? []), use]);
    }
    for (const [label, uses] of unresolved) {
        const first = uses[0];
        problems.push({
            severity: "warning",
            kustomization: node.key,
            message:
                first.issue.kind === "unresolved"
                    ? `\${${label}} has no value and no default in postBuild: Flux substitutes an empty string (${uses.length} use(s))`
                    : `${label} is not a variable Flux's substitution evaluates the way this pre-flight can; mark the object kustomize.toolkit.fluxcd.io/substitute: disabled if it is not meant for Flux (${uses.length} use(s))`,
            where: expressionAt(first.source, first.issue.expression),
        });
    }
    return { ...node, objects: result.objects };
}

/**
 * The values a Kustomization's postBuild gives: its substituteFrom ConfigMaps and Secrets in order,
 * then the values given from outside the tree, then its inline substitute. Names whose value sits
 * in a SOPS-encrypted Secret are returned apart (Flux knows them, an offline pre-flight does not).
 */
function postBuildValues(
    key: ObjectKey,
    pending: Pending,
    allObjects: readonly RenderedObject[],
    variables: Readonly<Record<string, string>> | undefined,
    problems: TreeProblem[],
): { values: Map<string, string>; encrypted: Set<string> } {
    const values = new Map<string, string>();
    const encrypted = new Set<string>();
    for (const from of pending.postBuild!.substituteFrom) {
        const found = allObjects.find(
            (o) =>
                o.object.kind === from.kind &&
                apiGroup(o.object.apiVersion) === "" &&
                o.object.metadata?.name === from.name &&
                (o.object.metadata?.namespace ?? "") === pending.namespace,
        );
        if (!found) {
            if (!from.optional) {
                problems.push({
                    severity: "warning",
                    kustomization: key,
                    message: `postBuild.substituteFrom ${from.kind} ${pending.namespace}/${from.name} is in no Kustomization of the tree: Flux fails this Kustomization unless something else creates it first`,
                    where: where(pending.declaredIn),
                });
            }
            continue;
        }
        const vars = variablesOf(found.object);
        for (const [k, v] of Object.entries(vars.values)) {
            values.set(k, v);
            encrypted.delete(k);
        }
        for (const k of vars.encrypted) {
            encrypted.add(k);
            values.delete(k);
        }
    }
    for (const [k, v] of [...Object.entries(variables ?? {}), ...Object.entries(pending.postBuild!.substitute)]) {
        values.set(k, v);
        encrypted.delete(k);
    }
    return { values, encrypted };
}
