/**
 * The kustomization roots of a directory tree: directories with a kustomization file that no other
 * kustomization of the tree includes (through `resources`, `components` or `bases`). Each root is an
 * overlay someone builds on its own (a cluster, a provider, a Flux Kustomization's path), so tools
 * render and judge each separately; what a root includes is rendered as part of it.
 */
import * as fs from "fs";
import * as path from "path";
import { parseDocument } from "yaml";

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/** Directories never searched: VCS metadata and installed packages hold no kustomizations of the tree. */
const SKIPPED_DIRECTORIES = new Set([".git", "node_modules"]);

/** A kustomization file found in the tree. */
interface Found {
    /** Its directory, absolute and real. */
    readonly directory: string;
    /** `kind: Component`: only usable through another kustomization's `components`, never built alone. */
    readonly component: boolean;
    /** Local directories it includes, absolute and real. */
    readonly includes: readonly string[];
}

function kustomizationFileIn(directory: string): string | undefined {
    return KUSTOMIZATION_FILES.map((name) => path.join(directory, name)).find((file) => fs.existsSync(file));
}

function realDirectory(target: string): string | undefined {
    try {
        return fs.statSync(target).isDirectory() ? fs.realpathSync(target) : undefined;
    } catch {
        return undefined;
    }
}

function read(directory: string, file: string): Found {
    let value: unknown;
    try {
        value = parseDocument(fs.readFileSync(file, "utf8")).toJS();
    } catch {
        // Unreadable or not YAML: kustomize says why when the root is built.
        value = undefined;
    }
    const record = typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
    const includes: string[] = [];
    for (const key of ["resources", "components", "bases"]) {
        const entries = record[key];
        if (!Array.isArray(entries)) {
            continue;
        }
        for (const entry of entries) {
            // Remote entries (URLs) never name a directory here, so resolving them finds nothing.
            const included = typeof entry === "string" ? realDirectory(path.resolve(directory, entry)) : undefined;
            if (included !== undefined) {
                includes.push(included);
            }
        }
    }
    return { directory, component: record.kind === "Component", includes };
}

function collect(directory: string, into: Found[]): void {
    const file = kustomizationFileIn(directory);
    if (file !== undefined) {
        into.push(read(fs.realpathSync(directory), file));
    }
    let entries: fs.Dirent[];
    try {
        entries = fs.readdirSync(directory, { withFileTypes: true });
    } catch {
        return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (entry.isDirectory() && !SKIPPED_DIRECTORIES.has(entry.name)) {
            collect(path.join(directory, entry.name), into);
        }
    }
}

/**
 * The kustomization roots under `tree` (itself included), in path order, as paths that start with
 * `tree` as given. Components are never roots. A tree whose top directory has a kustomization file
 * has that one root only: building it is what its owner does.
 */
export function kustomizationRoots(tree: string): string[] {
    if (kustomizationFileIn(tree) !== undefined) {
        return [tree];
    }
    const found: Found[] = [];
    collect(tree, found);
    const included = new Set(found.flatMap((f) => f.includes));
    const top = fs.realpathSync(tree);
    return found.filter((f) => !f.component && !included.has(f.directory)).map((f) => path.join(tree, path.relative(top, f.directory)));
}
