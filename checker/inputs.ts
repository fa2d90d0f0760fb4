/**
 * Turns the command line's PATHs into check units: the objects of one cluster each. Files, stdin
 * and plain directories together make one unit, read as written. A directory with kustomizations
 * is rendered with kustomize (gitops/render.ts), one unit per kustomization root, since each
 * overlay is its own cluster; `--no-render` reads it as written instead.
 */
import * as fs from "fs";
import * as path from "path";
import { kustomizationRoots } from "../gitops/roots";
import {
    KustomizeTool,
    NO_KUSTOMIZE_TOOL,
    ObjectSource,
    RenderResult,
    describeTool,
    findKustomizeTool,
    renderKustomization,
} from "../gitops/render";
import { SourcedObject } from "../policies/rules";
import { ManifestSource, loadPaths } from "./load";

/** The objects of one cluster, checked together. */
export interface CheckUnit {
    /** The kustomization root (or Flux sync path) rendered; undefined for files and stdin read as written. */
    readonly root?: string;
    /** How the objects were obtained, for the report: `kubectl kustomize (/usr/bin/kubectl)`. */
    readonly how?: string;
    /** The objects, with where each was declared. */
    readonly objects: SourcedObject<ManifestSource>[];
}

/** Everything the PATHs gave. */
export interface Inputs {
    /** Units to check, in command-line order. */
    readonly units: CheckUnit[];
    /** Reasons the input is unusable (exit 2). */
    readonly errors: string[];
    /** Things skipped or left out; the rest is still checked. */
    readonly warnings: string[];
}

/** How `gatherInputs` reads directories. */
export interface GatherOptions {
    /** False for `--no-render`: directories are read as written even when they hold kustomizations. */
    readonly render: boolean;
    /** Which kustomize to run; found on PATH when not given. */
    readonly tool?: KustomizeTool;
}

/** How a rendered file is named: relative to the working directory, as a user would type it. */
function displayPath(file: string): string {
    return /^[a-z]+:\/\//.test(file) || !path.isAbsolute(file) ? file : path.relative(process.cwd(), file) || ".";
}

/** A rendered object's source as the checker reports it; an object kustomize made itself names its kustomization file. */
export function manifestSource(source: ObjectSource): ManifestSource {
    if (source.file === undefined) {
        return { file: `${source.root} (rendered)` };
    }
    return source.line === undefined ? { file: displayPath(source.file) } : { file: displayPath(source.file), line: source.line };
}

function isDirectory(argument: string): boolean {
    try {
        return fs.statSync(argument).isDirectory();
    } catch {
        return false;
    }
}

/** What one render adds: its unit, or (for a root found inside a tree) a warning when it cannot be rendered. */
function addRendered(
    result: RenderResult,
    named: boolean,
    how: string,
    into: { units: CheckUnit[]; errors: string[]; warnings: string[] },
): void {
    for (const left of result.leftOut) {
        for (const remote of left.remotes) {
            into.warnings.push(`${displayPath(remote.file)}:${remote.line}: left out ${remote.url}: ${left.reason}`);
        }
    }
    if (result.error !== undefined) {
        if (named) {
            into.errors.push(`cannot render ${result.root}: ${result.error}`);
        } else {
            into.warnings.push(`${result.root}: not checked, it does not render: ${result.error}`);
        }
        return;
    }
    if (result.objects.length === 0) {
        into.warnings.push(`${result.root}: renders no objects`);
        return;
    }
    into.units.push({
        root: result.root,
        how,
        objects: result.objects.map((o) => ({ object: o.object, source: manifestSource(o.source) })),
    });
}

/** Reads every PATH into units; stdin is read at most once, by `readStdin`. */
export async function gatherInputs(paths: readonly string[], options: GatherOptions, readStdin: () => Promise<string>): Promise<Inputs> {
    const inputs = { units: [] as CheckUnit[], errors: [] as string[], warnings: [] as string[] };
    const raw: string[] = [];
    let tool = options.tool;
    for (const argument of paths) {
        const roots = options.render && argument !== "-" && isDirectory(argument) ? kustomizationRoots(argument) : [];
        if (roots.length === 0) {
            raw.push(argument);
            continue;
        }
        tool ??= findKustomizeTool();
        if (tool === undefined) {
            inputs.errors.push(
                `cannot render ${argument}: ${NO_KUSTOMIZE_TOOL}; install one, or pass --no-render to read the files as written`,
            );
            continue;
        }
        for (const root of roots) {
            addRendered(renderKustomization(root, { tool }), root === argument, describeTool(tool), inputs);
        }
    }
    if (raw.length > 0) {
        const loaded = await loadPaths(raw, readStdin);
        inputs.errors.push(...loaded.errors);
        inputs.warnings.push(...loaded.warnings);
        inputs.units.unshift({ objects: loaded.objects });
    }
    if (inputs.errors.length === 0 && inputs.units.every((u) => u.objects.length === 0)) {
        inputs.errors.push(`no Kubernetes objects in ${paths.join(", ")}, so there is nothing to check`);
    }
    return inputs;
}
