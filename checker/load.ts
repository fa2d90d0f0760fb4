/**
 * Reads Kubernetes manifests from files, directories and stdin into objects with their file and
 * line. Everything a user can get wrong (a missing file, invalid YAML) comes back as a message
 * naming the file and line, never as an exception. A document that is not a Kubernetes object (a
 * Kustomize patch list, a Helm values file: a GitOps tree is full of them) is skipped with a
 * warning; only a file named on the command line with nothing usable in it is an error.
 */
import * as fs from "fs";
import * as path from "path";
import { Document, LineCounter, Node, isMap, isSeq, parseAllDocuments } from "yaml";
import { SourcedObject } from "../policies/rules";

/** Where an object was read from. */
export interface ManifestSource {
    /** The file as the user named it (or as found under a named directory); `<stdin>` for `-`. */
    readonly file: string;
    /** 1-based line where the object starts; unknown for some rendered objects (kustomize made them, or could not say). */
    readonly line?: number;
}

/** What loading produced: objects, or the reasons the input is unusable. Filled in place while reading. */
export interface LoadResult {
    /** Every Kubernetes object, `kind: List` items expanded, in input order. */
    objects: SourcedObject<ManifestSource>[];
    /** Problems with the input; any problem makes the run a usage error (exit 2). */
    errors: string[];
    /** Documents skipped because they are not Kubernetes objects, each naming file and line. */
    warnings: string[];
    /** Non-empty YAML documents read, to tell input with no documents at all from one holding only empty Lists. */
    documents: number;
}

/** The name stdin is reported under. */
const STDIN_NAME = "<stdin>";

/** Extensions searched for inside directories; a file named explicitly is read whatever its name. */
const MANIFEST_EXTENSIONS = new Set([".yaml", ".yml"]);

function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lineAt(offset: number | undefined, lines: LineCounter, fallback: number): number {
    return offset === undefined ? fallback : lines.linePos(offset).line;
}

function lineOf(node: Node | null | undefined, lines: LineCounter, fallback: number): number {
    return lineAt(node?.range?.[0], lines, fallback);
}

/** The first line of a yaml error message, without the position the message repeats. */
function yamlReason(message: string): string {
    return message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
}

/** Why `value` is not a Kubernetes object, or undefined when it is one. */
function notAnObject(value: unknown): string | undefined {
    if (!isRecord(value)) {
        return `is ${Array.isArray(value) ? "a list" : `the scalar ${JSON.stringify(value)}`}, not a Kubernetes object (a mapping with apiVersion and kind)`;
    }
    const missing = ["apiVersion", "kind"].filter((field) => typeof value[field] !== "string" || value[field] === "");
    return missing.length === 0 ? undefined : `is not a Kubernetes object: it has no ${missing.join(" and no ")}`;
}

/**
 * The item kind of a typed list such as `DeploymentList`, whose items (as the API returns them)
 * carry no apiVersion or kind of their own; undefined for `List` and non-lists.
 */
function typedListItemKind(kind: string): string | undefined {
    return kind !== "List" && kind.endsWith("List") ? kind.slice(0, -"List".length) : undefined;
}

function expandList(list: Record<string, unknown>, node: Node | null, file: string, lines: LineCounter, into: LoadResult): void {
    const listLine = lineOf(node, lines, 1);
    const items = list.items ?? [];
    const itemNodes = isMap(node) ? node.get("items", true) : undefined;
    if (!Array.isArray(items)) {
        into.errors.push(`${file}:${listLine}: ${list.kind} has "items" that is not a list`);
        return;
    }
    const itemKind = typedListItemKind(list.kind as string);
    items.forEach((raw, index) => {
        const line = lineOf(isSeq(itemNodes) ? (itemNodes.items[index] as Node) : undefined, lines, listLine);
        // Items of a typed list inherit the list's apiVersion and item kind, as the API server implies them.
        const item = itemKind && isRecord(raw) ? { apiVersion: list.apiVersion, kind: itemKind, ...raw } : raw;
        const problem = notAnObject(item);
        if (problem) {
            into.warnings.push(`${file}:${line}: skipped item ${index} of the ${list.kind}: it ${problem}`);
        } else {
            into.objects.push({ object: item, source: { file, line } });
        }
    });
}

function readDocument(document: Document.Parsed, file: string, lines: LineCounter, into: LoadResult): void {
    const line = lineOf(document.contents, lines, lineAt(document.range?.[0], lines, 1));
    if (document.errors.length > 0) {
        for (const error of document.errors) {
            const position = error.linePos?.[0];
            into.errors.push(`${file}:${position?.line ?? line}:${position?.col ?? 1}: invalid YAML: ${yamlReason(error.message)}`);
        }
        return;
    }
    let value: unknown;
    try {
        value = document.toJS();
    } catch (e) {
        // toJS rejects, for example, alias bombs beyond the alias limit.
        into.errors.push(`${file}:${line}: cannot read YAML: ${e instanceof Error ? e.message : String(e)}`);
        return;
    }
    // A document holding only comments, `---` with nothing after it, or an explicit null is no object at all (kubectl skips it too).
    if (value === null || value === undefined) {
        return;
    }
    into.documents += 1;
    const problem = notAnObject(value);
    if (problem) {
        into.warnings.push(`${file}:${line}: skipped a document that ${problem}`);
    } else if (isRecord(value) && Object.prototype.hasOwnProperty.call(value, "items") && (value.kind as string).endsWith("List")) {
        expandList(value, document.contents, file, lines, into);
    } else {
        into.objects.push({ object: value, source: { file, line } });
    }
}

/** Parses one multi-document YAML text; `file` names it in sources and messages. */
export function parseManifests(text: string, file: string): LoadResult {
    const result: LoadResult = { objects: [], errors: [], warnings: [], documents: 0 };
    const lines = new LineCounter();
    // Merge keys (`<<: *anchor`) are accepted, as kubectl's YAML reader accepts them.
    for (const document of parseAllDocuments(text, { lineCounter: lines, merge: true })) {
        readDocument(document, file, lines, result);
    }
    return result;
}

function systemReason(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code;
    const reasons: Record<string, string> = {
        ENOENT: "no such file or directory",
        EACCES: "permission denied",
        EISDIR: "is a directory",
        ENOTDIR: "a part of the path is not a directory",
    };
    return (code && reasons[code]) ?? (e instanceof Error ? e.message : String(e));
}

/** Why a path cannot be read: a broken symbolic link says where it points, anything else the system's reason. */
function entryReason(full: string, e: unknown): string {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
        try {
            return `it is a symbolic link to ${fs.readlinkSync(full)}, which does not exist`;
        } catch {
            // Not a link after all (or gone meanwhile): the plain reason is all there is to say.
        }
    }
    return systemReason(e);
}

/**
 * Manifest files under `directory`, recursively, sorted by path so results never depend on the
 * file system's order. An entry that cannot be read (a broken symbolic link named `*.yaml`, an
 * unreadable subdirectory) is reported in `errors` under its own path, and the rest is still
 * searched: the message must point at the entry to fix, not at the directory named on the command line.
 */
function manifestFilesUnder(directory: string, errors: string[]): string[] {
    const files: string[] = [];
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(directory, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (e) {
        errors.push(`cannot read ${directory}: ${systemReason(e)}`);
        return files;
    }
    for (const entry of entries) {
        const full = path.join(directory, entry.name);
        if (entry.isDirectory()) {
            files.push(...manifestFilesUnder(full, errors));
        } else if (MANIFEST_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
            if (entry.isFile()) {
                files.push(full);
                continue;
            }
            // A symbolic link (or other special entry): followed when it leads to a file; links to directories are not searched.
            try {
                if (fs.statSync(full).isFile()) {
                    files.push(full);
                }
            } catch (e) {
                errors.push(`cannot read ${full}: ${entryReason(full, e)}`);
            }
        }
    }
    return files;
}

/**
 * The files a PATH argument stands for, and the reasons some of it cannot be read (every reason,
 * so one run lists them all). `-` is handled by the caller.
 */
export function expandPath(argument: string): { files: string[]; errors: string[] } {
    let stats: fs.Stats;
    try {
        stats = fs.statSync(argument);
    } catch (e) {
        return { files: [], errors: [`cannot read ${argument}: ${entryReason(argument, e)}`] };
    }
    if (!stats.isDirectory()) {
        return { files: [argument], errors: [] };
    }
    const errors: string[] = [];
    const files = manifestFilesUnder(argument, errors);
    if (files.length === 0 && errors.length === 0) {
        errors.push(`no .yaml or .yml files under ${argument}`);
    }
    return { files, errors };
}

function merge(into: LoadResult, from: LoadResult): void {
    // A loop, not push(...spread): a rendered cluster can hold more objects than a call may take arguments.
    for (const object of from.objects) {
        into.objects.push(object);
    }
    into.errors.push(...from.errors);
    into.warnings.push(...from.warnings);
    into.documents += from.documents;
}

/**
 * Adds what one PATH argument that is a file (or stdin) yielded. Such a file was named on purpose,
 * so one whose documents were all skipped is unusable: its warnings become errors.
 */
function mergeNamed(into: LoadResult, from: LoadResult, name: string): void {
    if (from.objects.length === 0 && from.warnings.length > 0 && from.errors.length === 0) {
        into.errors.push(`${name} holds no Kubernetes object:`, ...from.warnings.map((w) => `  ${w}`));
        into.documents += from.documents;
        return;
    }
    merge(into, from);
}

/** How a PATH is named in messages: `-` is stdin. */
function sourceName(argument: string): string {
    return argument === "-" ? STDIN_NAME : argument;
}

/**
 * Loads every PATH (`-` is stdin, read once by `readStdin`). Input that yields no Kubernetes object
 * at all, across all PATHs, is an error: an empty pipe usually means the command before it failed,
 * `kubectl get ... -o yaml` prints an empty List for a wrong context or namespace, and a pre-flight
 * check must not pass on nothing. Objects of kinds the rules ignore (a ConfigMap) do count as read.
 */
export async function loadPaths(paths: readonly string[], readStdin: () => Promise<string>): Promise<LoadResult> {
    const result: LoadResult = { objects: [], errors: [], warnings: [], documents: 0 };
    if (paths.filter((p) => p === "-").length > 1) {
        return { ...result, errors: ["stdin (-) can be read only once"] };
    }
    for (const argument of paths) {
        if (argument === "-") {
            const text = await readStdin();
            if (text.trim() === "") {
                result.errors.push(`${STDIN_NAME}: no input; did the command before the pipe fail?`);
                continue;
            }
            mergeNamed(result, parseManifests(text, STDIN_NAME), STDIN_NAME);
            continue;
        }
        const expanded = expandPath(argument);
        result.errors.push(...expanded.errors);
        for (const file of expanded.files) {
            try {
                const parsed = parseManifests(fs.readFileSync(file, "utf8"), file);
                if (file === argument) {
                    mergeNamed(result, parsed, file);
                } else {
                    merge(result, parsed);
                }
            } catch (e) {
                result.errors.push(`cannot read ${file}: ${systemReason(e)}`);
            }
        }
    }
    // Only when everything was readable: otherwise the errors above already explain the missing objects.
    if (result.errors.length === 0 && result.objects.length === 0) {
        const sources = paths.map(sourceName).join(", ");
        if (result.warnings.length > 0) {
            result.errors.push(`no Kubernetes objects in ${sources}, so there is nothing to check; every document was skipped:`);
            result.errors.push(...result.warnings.map((w) => `  ${w}`));
        } else {
            result.errors.push(
                result.documents === 0
                    ? `no YAML documents in ${sources}, so there is nothing to check`
                    : `no Kubernetes objects in ${sources}, only empty Lists, so there is nothing to check; ` +
                          "kubectl prints an empty List when the context or namespace is wrong",
            );
        }
    }
    return result;
}
