/**
 * `--flux TREE`: the cluster a Flux tree builds, followed as the convergence pre-flight follows it
 * (gitops/fluxTree.ts): from the sync path, through every Flux Kustomization's `spec.path`, with
 * post-build substitution. All the Kustomizations land in one cluster, so their objects are judged
 * together (a PDB applied by one layer covers a Deployment of another); each finding is reported
 * under the Kustomization that applies its object.
 */
import * as fs from "fs";
import * as path from "path";
import { FluxTree, followFluxTree } from "../gitops/fluxTree";
import { KustomizeTool, describeTool } from "../gitops/render";
import { SourcedObject } from "../policies/rules";
import { CheckUnit, displayPath, manifestSource } from "./unit";
import { ManifestSource } from "./load";

/** What following a tree gave: one unit (the cluster) split into parts per Kustomization, or why not. */
export type FluxInput = { readonly unit: CheckUnit; readonly warnings: string[] } | { readonly errors: string[] };

/** Directories under `tree/clusters` (Flux's convention for sync paths), to suggest when the sync path is missing. */
function syncPathCandidates(tree: string): string[] {
    try {
        return fs
            .readdirSync(path.join(tree, "clusters"), { withFileTypes: true })
            .filter((e) => e.isDirectory())
            .map((e) => `clusters/${e.name}`);
    } catch {
        return [];
    }
}

/** `file:line` with the file as the user would type it. */
function displayWhere(where: string): string {
    const match = /^(.*?)(:\d+)?$/.exec(where) as RegExpExecArray;
    return `${displayPath(match[1])}${match[2] ?? ""}`;
}

/** Follows `tree` from `syncPath` and turns it into one check unit. */
export function fluxInput(
    tree: string,
    syncPath: string,
    tool: KustomizeTool,
    variables: Readonly<Record<string, string>>,
    sourceKind: string,
): FluxInput {
    if (!fs.existsSync(tree) || !fs.statSync(tree).isDirectory()) {
        return { errors: [`--flux ${tree}: not a directory`] };
    }
    if (!fs.existsSync(path.join(tree, syncPath))) {
        const candidates = syncPathCandidates(tree);
        return {
            errors: [
                `--flux ${tree}: the sync path ${syncPath} is not in the tree; give the FluxInstance's spec.sync.path with --sync-path` +
                    (candidates.length > 0 ? ` (the tree has ${candidates.join(", ")})` : ""),
            ],
        };
    }
    const followed = followFluxTree(tree, syncPath, { tool, remote: "skip", variables }, { kind: sourceKind, name: "flux-system" });
    return fluxUnit(followed, tree, tool);
}

/**
 * A followed tree as one check unit, in parts per Kustomization; `tree` is the tree directory as
 * the user named it (roots are reported under it), the tree's problems become warnings.
 */
export function fluxUnit(followed: FluxTree, tree: string, tool: KustomizeTool): { unit: CheckUnit; warnings: string[] } {
    // Every problem is a warning here, "info" included: a Kustomization that is not followed is a part of the cluster not checked.
    const warnings = followed.problems.map(
        (p) => `${p.where === undefined ? p.kustomization : displayWhere(p.where)}: Flux Kustomization ${p.kustomization} ${p.message}`,
    );
    for (const kustomization of followed.kustomizations) {
        for (const left of kustomization.leftOut) {
            for (const remote of left.remotes) {
                warnings.push(`${displayPath(remote.file)}:${remote.line}: left out ${remote.url}: ${left.reason}`);
            }
        }
    }
    const objects: SourcedObject<ManifestSource>[] = [];
    const parts: { root: string; how: string; sources: Set<ManifestSource> }[] = [];
    for (const kustomization of followed.kustomizations) {
        const sources = new Set<ManifestSource>();
        for (const rendered of kustomization.objects) {
            const source = manifestSource(rendered.source);
            sources.add(source);
            objects.push({ object: rendered.object, source });
        }
        parts.push({
            root: path.join(tree, kustomization.path),
            how: `Flux Kustomization ${kustomization.key}, rendered with ${describeTool(tool)}`,
            sources,
        });
    }
    return {
        unit: { root: path.join(tree, followed.syncPath), how: `Flux tree from ${followed.syncPath}`, objects, parts, substituted: true },
        warnings,
    };
}
