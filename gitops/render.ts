/**
 * The one offline kustomize renderer of the project (the convergence pre-flight and the manifest
 * checker both use it). It runs `kustomize build` or `kubectl kustomize` from PATH, so the output
 * is kustomize's own, and returns the parsed objects with where each came from.
 *
 * Remote resources (an `https://` file or a git URL in `resources`) cannot be fetched offline. When a
 * directory fails to render and such resources are reachable from it, it is rendered again from a
 * temporary copy of the tree without them: the rest is analysed, and each left-out resource is
 * reported with its kustomization file and line. Nothing here throws for bad input: failures come
 * back in the result.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Document, LineCounter, isMap, isScalar, isSeq, parseAllDocuments, parseDocument } from "yaml";

/** The kustomize found on PATH and how to call it. */
export interface KustomizeTool {
    /** `kustomize` (standalone, preferred) or `kubectl` (its built-in kustomize). */
    readonly name: "kustomize" | "kubectl";
    /** The executable's full path. */
    readonly executable: string;
    /** Arguments placed before the directory: `["build"]` or `["kustomize"]`. */
    readonly subcommand: string;
}

/** A rendered Kubernetes object (any kind; only apiVersion and kind are guaranteed). */
export interface KubeObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata?: { readonly name?: string; readonly namespace?: string; readonly [key: string]: unknown };
    readonly [key: string]: unknown;
}

/** Where a rendered object came from. */
export interface ObjectSource {
    /** The kustomization directory that was rendered (as given). */
    readonly root: string;
    /** The file that declared it, when kustomize knows (its origin annotation); absolute. Remote: the URL. */
    readonly file?: string;
    /** 1-based line of the object's document in `file`, when it can be matched by kind and name. */
    readonly line?: number;
    /** Set when kustomize made the object itself (a configMapGenerator, a helm chart inflation, ...). */
    readonly generatedBy?: string;
}

/** One rendered object with its source; the shape of the checker's `SourcedObject<ObjectSource>`. */
export interface RenderedObject {
    readonly object: KubeObject;
    readonly source: ObjectSource;
}

/** A remote resource entry in a kustomization file. */
interface RemoteResource {
    readonly url: string;
    /** The kustomization file that lists it; absolute. */
    readonly file: string;
    readonly line: number;
}

/** A part of the directory left out of the render, and why. */
export interface LeftOut {
    /** The directory whose kustomization lists the remote resources; absolute. */
    readonly directory: string;
    readonly remotes: readonly RemoteResource[];
    /** Why, in one line (kustomize's reason where it gave one). */
    readonly reason: string;
}

/** What rendering one directory produced. */
export interface RenderResult {
    readonly root: string;
    /** Objects in kustomize's output order; empty when `error` is set. */
    readonly objects: readonly RenderedObject[];
    /** Set when the directory could not be rendered at all (even without its remote resources). */
    readonly error?: string;
    /** Remote resources left out so that the rest could be rendered. Their objects are missing. */
    readonly leftOut: readonly LeftOut[];
}

/** kustomize's `--load-restrictor`: `rootOnly` (kustomize's default) or `none` (what Flux builds with). */
type LoadRestrictor = "rootOnly" | "none";

/** Options of a render. */
export interface RenderOptions {
    /** Whether files outside a kustomization's directory may be loaded; default `rootOnly`. */
    readonly loadRestrictor?: LoadRestrictor;
    /** `fetch` (default): let kustomize fetch remote resources; `skip`: leave them out without trying (offline, never hangs). */
    readonly remote?: "fetch" | "skip";
    /** Which kustomize to run; `findKustomizeTool()` when not given. */
    readonly tool?: KustomizeTool;
    /** Per kustomize run; remote fetches can hang on a network that drops packets. Default 120 s. */
    readonly timeoutMs?: number;
}

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];
const ORIGIN_ANNOTATION = "config.kubernetes.io/origin";

/** An executable named `name` on `PATH`, or undefined. */
function onPath(name: string, searchPath: string): string | undefined {
    for (const dir of searchPath.split(path.delimiter)) {
        if (!dir) {
            continue;
        }
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            if (fs.statSync(candidate).isFile()) {
                return candidate;
            }
        } catch {
            // not here; try the next PATH entry
        }
    }
    return undefined;
}

/** `kustomize` from PATH if there is one, else `kubectl` (whose `kubectl kustomize` is kustomize), else undefined. */
export function findKustomizeTool(searchPath: string = process.env.PATH ?? ""): KustomizeTool | undefined {
    const kustomize = onPath("kustomize", searchPath);
    if (kustomize) {
        return { name: "kustomize", executable: kustomize, subcommand: "build" };
    }
    const kubectl = onPath("kubectl", searchPath);
    return kubectl ? { name: "kubectl", executable: kubectl, subcommand: "kustomize" } : undefined;
}

/** The reason to print when no tool was found. */
export const NO_KUSTOMIZE_TOOL = "neither kustomize nor kubectl (with its built-in `kubectl kustomize`) is on PATH";

/** How a tool is shown in reports: `kubectl kustomize (/usr/bin/kubectl)`. */
export function describeTool(tool: KustomizeTool): string {
    return `${tool.name} ${tool.subcommand} (${tool.executable})`;
}

/** The kustomization file of a directory, or undefined. */
export function kustomizationFile(directory: string): string | undefined {
    for (const name of KUSTOMIZATION_FILES) {
        const file = path.join(directory, name);
        if (fs.existsSync(file)) {
            return file;
        }
    }
    return undefined;
}

/** Whether a `resources`/`components` entry is remote (a URL kustomize would fetch), by kustomize's own forms. */
export function isRemoteEntry(entry: string): boolean {
    return (
        /^(https?:\/\/|git@|ssh:\/\/|git::|file:\/\/)/.test(entry) ||
        /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) ||
        /\?ref=/.test(entry)
    );
}

/**
 * Kustomize's error text, shortened to what a person needs: without klog's prefix, with each
 * "accumulating resources from a directory" layer (one per kustomization on the way down, the
 * first one being the renderer's own wrapper) said as `in <dir>:`, and without kustomize's second
 * attempt to read a missing file as a directory. On one line, at most `max` characters.
 */
export function kustomizeReason(stderr: string, max = 600): string {
    const text = stderr
        .replace(/^E\d{4} [\d:.]+\s+\d+ \S+\] "command failed" err=[<"]?/m, "")
        .replace(/^Error: /m, "")
        .replace(/\s*[>"]\s*$/, "")
        .replace(/\\"/g, '"')
        .replace(/\s+/g, " ")
        .replace(
            /accumulating resources: accumulation err='accumulating resources from '[^']*': '([^']*)' must resolve to a file': recursed accumulation of path '[^']*': /g,
            "in $1: ",
        )
        .replace(/': must build at directory: not a valid directory: .*$/, "")
        .replace(/accumulating resources: accumulation err='accumulating resources from '([^']*)': /g, "resource $1: ")
        .trim();
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

interface KustomizationWalk {
    /** Every local directory reachable from the root through resources/components/bases, root included. */
    readonly directories: string[];
    readonly remotes: RemoteResource[];
}

/** Follows `resources`, `components` and `bases` directories from `root`, collecting remote entries with their lines. */
function walkKustomizations(root: string): KustomizationWalk {
    const directories: string[] = [];
    const remotes: RemoteResource[] = [];
    const visit = (directory: string) => {
        if (directories.includes(directory)) {
            return;
        }
        directories.push(directory);
        const file = kustomizationFile(directory);
        if (!file) {
            return;
        }
        const lines = new LineCounter();
        let doc: Document;
        try {
            doc = parseDocument(fs.readFileSync(file, "utf8"), { lineCounter: lines });
        } catch {
            return; // unreadable: kustomize reports it in its own words
        }
        if (!isMap(doc.contents)) {
            return;
        }
        for (const key of ["resources", "components", "bases"]) {
            const list = doc.contents.get(key, true);
            if (!isSeq(list)) {
                continue;
            }
            for (const item of list.items) {
                if (!isScalar(item) || typeof item.value !== "string") {
                    continue;
                }
                if (isRemoteEntry(item.value)) {
                    remotes.push({ url: item.value, file, line: lines.linePos(item.range?.[0] ?? 0).line });
                    continue;
                }
                const target = path.resolve(directory, item.value);
                if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
                    visit(target);
                }
            }
        }
    };
    visit(path.resolve(root));
    return { directories, remotes };
}

/** The deepest directory containing every given path. */
function commonAncestor(paths: readonly string[]): string {
    let common = paths[0];
    for (const p of paths.slice(1)) {
        while (p !== common && !p.startsWith(common.endsWith(path.sep) ? common : common + path.sep)) {
            common = path.dirname(common);
        }
    }
    return common;
}

/**
 * Runs the tool on `directory` through a temporary wrapper kustomization that only adds
 * `buildMetadata: [originAnnotations]`, so every object says which file declared it. A kustomize
 * older than buildMetadata (before v4.5) refuses the field: then it runs again without it, and
 * the objects come back without their files.
 */
function runKustomize(
    tool: KustomizeTool,
    directory: string,
    timeoutMs: number,
    restrictor: LoadRestrictor,
): { output: string; wrapper: string } | { error: string; stderr: string } {
    const run = runWrapped(tool, directory, timeoutMs, restrictor, true);
    return "stderr" in run && /unknown field "?buildMetadata/.test(run.stderr)
        ? runWrapped(tool, directory, timeoutMs, restrictor, false)
        : run;
}

function runWrapped(
    tool: KustomizeTool,
    directory: string,
    timeoutMs: number,
    restrictor: LoadRestrictor,
    origins: boolean,
): { output: string; wrapper: string } | { error: string; stderr: string } {
    // Real paths on both sides: a symlinked temporary directory would make the relative path wrong.
    const wrapper = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-render-")));
    try {
        // kustomize refuses absolute resource paths; a relative one from the wrapper is the same directory.
        const relative = path.relative(wrapper, directory).split(path.sep).join("/");
        fs.writeFileSync(
            path.join(wrapper, "kustomization.yaml"),
            `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${JSON.stringify(relative)}\n${origins ? "buildMetadata: [originAnnotations]\n" : ""}`,
        );
        try {
            const args = [tool.subcommand, ...(restrictor === "none" ? ["--load-restrictor", "LoadRestrictionsNone"] : []), wrapper];
            const output = execFileSync(tool.executable, args, {
                encoding: "utf8",
                timeout: timeoutMs,
                maxBuffer: 256 * 1024 * 1024,
                stdio: ["ignore", "pipe", "pipe"],
            });
            return { output, wrapper };
        } catch (e) {
            const failure = e as { stderr?: string; signal?: string; message?: string };
            if (failure.signal === "SIGTERM") {
                return { error: `${tool.name} ${tool.subcommand} did not finish within ${timeoutMs / 1000} s`, stderr: "" };
            }
            const stderr = failure.stderr || failure.message || "failed without a message";
            return { error: kustomizeReason(stderr), stderr };
        }
    } finally {
        fs.rmSync(wrapper, { recursive: true, force: true });
    }
}

/** The 1-based line of the document in `file` that declares kind/name (or of its only document). */
function lineInFile(
    file: string,
    kind: string,
    name: string | undefined,
    cache: Map<string, { kind?: string; name?: string; line: number }[]>,
) {
    let documents = cache.get(file);
    if (!documents) {
        documents = [];
        try {
            const lines = new LineCounter();
            for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"), { lineCounter: lines })) {
                if (!doc.contents) {
                    continue;
                }
                const value = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } } | null;
                documents.push({
                    kind: typeof value?.kind === "string" ? value.kind : undefined,
                    name: typeof value?.metadata?.name === "string" ? value.metadata.name : undefined,
                    line: lines.linePos(doc.contents.range[0]).line,
                });
            }
        } catch {
            // unreadable or not YAML: the line stays unknown
        }
        cache.set(file, documents);
    }
    const sameKind = documents.filter((d) => d.kind === kind);
    const match = sameKind.find((d) => d.name === name) ?? (sameKind.length === 1 ? sameKind[0] : undefined);
    return match?.line ?? (documents.length === 1 ? documents[0].line : undefined);
}

/**
 * Parses kustomize's output into objects with their source, removing the origin annotation the
 * wrapper added. `mapFile` turns a path from the annotation into the path to report.
 */
function parseOutput(output: string, root: string, wrapperParent: string, mapFile: (file: string) => string): RenderedObject[] | string {
    const objects: RenderedObject[] = [];
    const cache = new Map<string, { kind?: string; name?: string; line: number }[]>();
    for (const doc of parseAllDocuments(output)) {
        if (doc.errors.length) {
            return `kustomize printed YAML that does not parse: ${doc.errors[0].message.split("\n")[0]}`;
        }
        const value = doc.toJS() as Record<string, unknown> | null;
        if (value === null || typeof value.apiVersion !== "string" || typeof value.kind !== "string") {
            continue;
        }
        const metadata = (value.metadata ?? {}) as Record<string, unknown>;
        const annotations = (metadata.annotations ?? {}) as Record<string, unknown>;
        const origin = annotations[ORIGIN_ANNOTATION];
        delete annotations[ORIGIN_ANNOTATION];
        if (metadata.annotations && Object.keys(annotations).length === 0) {
            delete metadata.annotations;
        }
        const object = value as unknown as KubeObject;
        objects.push({ object, source: originSource(origin, object, root, wrapperParent, mapFile, cache) });
    }
    return objects;
}

function originSource(
    origin: unknown,
    object: KubeObject,
    root: string,
    wrapperParent: string,
    mapFile: (file: string) => string,
    cache: Map<string, { kind?: string; name?: string; line: number }[]>,
): ObjectSource {
    if (typeof origin !== "string") {
        return { root };
    }
    type Origin = { path?: unknown; repo?: unknown; configuredIn?: unknown; configuredBy?: { kind?: unknown } } | null;
    const parsed = parseDocument(origin).toJS() as Origin;
    if (typeof parsed?.configuredIn === "string") {
        const by = typeof parsed.configuredBy?.kind === "string" ? parsed.configuredBy.kind : "a generator";
        return { root, file: mapFile(path.resolve(wrapperParent, parsed.configuredIn)), generatedBy: by };
    }
    if (typeof parsed?.repo === "string") {
        return { root, file: `${parsed.repo}${typeof parsed.path === "string" ? `//${parsed.path}` : ""}` };
    }
    if (typeof parsed?.path !== "string") {
        return { root };
    }
    if (isRemoteEntry(parsed.path)) {
        return { root, file: parsed.path };
    }
    const file = mapFile(path.resolve(wrapperParent, parsed.path));
    const line = lineInFile(file, object.kind, object.metadata?.name, cache);
    return line === undefined ? { root, file } : { root, file, line };
}

/** Renders and parses `directory` as it is on disk. */
function renderInPlace(
    tool: KustomizeTool,
    directory: string,
    timeoutMs: number,
    root: string,
    restrictor: LoadRestrictor,
): RenderedObject[] | { error: string; stderr?: string } {
    const run = runKustomize(tool, directory, timeoutMs, restrictor);
    if ("error" in run) {
        return run;
    }
    // Origin paths are relative to the (now removed) wrapper directory.
    const parsed = parseOutput(run.output, root, run.wrapper, (f) => f);
    return typeof parsed === "string" ? { error: parsed } : parsed;
}

/** The kustomization file's text without its remote `resources`/`components`/`bases` entries. */
function withoutRemotes(file: string): string {
    const doc = parseDocument(fs.readFileSync(file, "utf8"));
    for (const key of ["resources", "components", "bases"]) {
        const list = doc.get(key, true);
        if (isSeq(list)) {
            list.items = list.items.filter((item) => !(isScalar(item) && typeof item.value === "string" && isRemoteEntry(item.value)));
        }
    }
    return doc.toString();
}

/**
 * Renders `directory` from a mirror of the tree in which the kustomization files listing remote
 * resources no longer list them. The mirror is symbolic links to the original except along the way
 * to those files (a few directories), so it costs little whatever the size of the tree; it needs
 * LoadRestrictionsNone, as a linked file lies outside its root (Flux builds with it anyway).
 */
function renderWithoutRemotes(
    tool: KustomizeTool,
    directory: string,
    walk: KustomizationWalk,
    timeoutMs: number,
    root: string,
): RenderedObject[] | { error: string } {
    const pruned = new Set(walk.remotes.map((r) => r.file));
    const treeRoot = commonAncestor(walk.directories);
    const onTheWay = new Set<string>();
    // Real directories from the tree root down to each pruned file and to the rendered directory.
    for (const file of [...pruned, path.join(directory, "kustomization.yaml")]) {
        for (let dir = path.dirname(file); dir.startsWith(treeRoot); dir = path.dirname(dir)) {
            onTheWay.add(dir);
            if (dir === treeRoot) {
                break;
            }
        }
    }
    const mirror = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-tree-")));
    const build = (source: string, target: string) => {
        for (const entry of fs.readdirSync(source)) {
            const from = path.join(source, entry);
            const to = path.join(target, entry);
            if (onTheWay.has(from)) {
                fs.mkdirSync(to);
                build(from, to);
            } else if (pruned.has(from)) {
                fs.writeFileSync(to, withoutRemotes(from));
            } else {
                fs.symlinkSync(from, to);
            }
        }
    };
    try {
        build(treeRoot, mirror);
        const run = runKustomize(tool, path.join(mirror, path.relative(treeRoot, directory)), timeoutMs, "none");
        if ("error" in run) {
            return run;
        }
        const back = (file: string) => (file.startsWith(mirror + path.sep) ? path.join(treeRoot, path.relative(mirror, file)) : file);
        const parsed = parseOutput(run.output, root, run.wrapper, back);
        return typeof parsed === "string" ? { error: parsed } : parsed;
    } finally {
        fs.rmSync(mirror, { recursive: true, force: true });
    }
}

/**
 * Renders one kustomization directory. With `remote: "fetch"` (the default) kustomize fetches remote
 * resources; a directory that fails and has some is rendered again without them. With `remote: "skip"`
 * they are never fetched. Either way, left-out resources are listed in `leftOut`; any other failure
 * is `error`.
 */
export function renderKustomization(directory: string, options: RenderOptions = {}): RenderResult {
    const root = directory;
    const tool = options.tool ?? findKustomizeTool();
    if (!tool) {
        return { root, objects: [], error: NO_KUSTOMIZE_TOOL, leftOut: [] };
    }
    if (!fs.existsSync(directory) || !fs.statSync(directory).isDirectory()) {
        return { root, objects: [], error: `${directory} is not a directory`, leftOut: [] };
    }
    const absolute = fs.realpathSync(directory);
    if (!kustomizationFile(absolute)) {
        return { root, objects: [], error: `${directory} has no kustomization.yaml`, leftOut: [] };
    }
    const timeoutMs = options.timeoutMs ?? 120_000;
    const restrictor = options.loadRestrictor ?? "rootOnly";
    let reason = "remote resources are not fetched (offline render)";
    let walk: KustomizationWalk | undefined;
    if (options.remote === "skip") {
        walk = walkKustomizations(absolute);
    }
    if (!walk?.remotes.length) {
        const first = renderInPlace(tool, absolute, timeoutMs, root, restrictor);
        if (Array.isArray(first)) {
            return { root, objects: first, leftOut: [] };
        }
        walk = walk ?? walkKustomizations(absolute);
        if (walk.remotes.length === 0) {
            return { root, objects: [], error: first.error, leftOut: [] };
        }
        // kustomize nests its reason in every directory on the way down; the fetch's own error is the useful part.
        const fetch = /Get \\?"([^"\\]+)\\?": ([^'"\\]+)/.exec(first.stderr ?? "");
        reason = `remote resources could not be fetched (${fetch ? `${fetch[1]}: ${fetch[2].trim()}` : first.error})`;
    }
    const second = renderWithoutRemotes(tool, absolute, walk, timeoutMs, root);
    if (!Array.isArray(second)) {
        return { root, objects: [], error: second.error, leftOut: [] };
    }
    const byDirectory = new Map<string, RemoteResource[]>();
    for (const remote of walk.remotes) {
        const dir = path.dirname(remote.file);
        byDirectory.set(dir, [...(byDirectory.get(dir) ?? []), remote]);
    }
    const leftOut = [...byDirectory].map(([dir, remotes]) => ({ directory: dir, remotes, reason }));
    return { root, objects: second, leftOut };
}
