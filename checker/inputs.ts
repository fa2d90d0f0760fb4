/**
 * Turns the command line's PATHs into check units: the objects of one cluster each. Files, stdin
 * and plain directories together make one unit, read as written. A directory with kustomizations
 * is rendered with kustomize (gitops/render.ts), one unit per kustomization root, since each
 * overlay is its own cluster; `--no-render` reads it as written instead.
 */
import * as fs from "fs";
import { isFluxKustomization } from "../gitops/fluxTree";
import { kustomizationRoots } from "../gitops/roots";
import { KustomizeTool, NO_KUSTOMIZE_TOOL, RenderResult, describeTool, findKustomizeTool, renderKustomization } from "../gitops/render";
import { fluxInput } from "./flux";
import { loadPaths } from "./load";
import { CheckUnit, displayPath, manifestSource } from "./unit";

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
    /** `--flux`: a Flux tree to follow, from its sync path, syncing a source of this kind. */
    readonly flux?: { readonly tree: string; readonly syncPath: string; readonly sourceKind: string };
    /** `--var`/`--vars-from` values, for the Flux tree (other input is substituted by the caller). */
    readonly variables?: Readonly<Record<string, string>>;
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
    const flux = result.objects.filter((o) => isFluxKustomization(o.object)).map((o) => String(o.object.metadata?.name));
    if (flux.length > 0) {
        // kustomize only renders the Flux Kustomization objects; what they apply is in their spec.path.
        into.warnings.push(
            `${result.root}: applies the Flux Kustomizations ${flux.join(", ")}, whose paths kustomize does not follow; ` +
                "to check what they apply, run with --flux <the repository directory> --sync-path <this directory inside it>",
        );
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
            // Offline and deterministic: remote resources are left out and named, never fetched.
            addRendered(
                renderKustomization(root, { tool, remote: "skip" }),
                root === argument,
                `rendered with ${describeTool(tool)}`,
                inputs,
            );
        }
    }
    if (options.flux !== undefined) {
        tool ??= findKustomizeTool();
        if (tool === undefined) {
            inputs.errors.push(`cannot follow the Flux tree ${options.flux.tree}: ${NO_KUSTOMIZE_TOOL}; install one`);
        } else {
            const flux = fluxInput(options.flux.tree, options.flux.syncPath, tool, options.variables ?? {}, options.flux.sourceKind);
            if ("errors" in flux) {
                inputs.errors.push(...flux.errors);
            } else {
                inputs.units.push(flux.unit);
                inputs.warnings.push(...flux.warnings);
            }
        }
    }
    if (raw.length > 0) {
        const loaded = await loadPaths(raw, readStdin);
        inputs.errors.push(...loaded.errors);
        inputs.warnings.push(...loaded.warnings);
        inputs.units.unshift({ objects: loaded.objects });
    }
    if (inputs.errors.length === 0 && inputs.units.every((u) => u.objects.length === 0)) {
        const named = options.flux === undefined ? paths : [...paths, options.flux.tree];
        inputs.errors.push(`no Kubernetes objects in ${named.join(", ")}, so there is nothing to check`);
    }
    return inputs;
}
