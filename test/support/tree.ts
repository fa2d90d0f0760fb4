import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { FluxTree, followFluxTree } from "../../gitops/fluxTree";
import { KustomizeTool } from "../../gitops/render";

/** Writes files (path → text) under a fresh temporary directory and returns its real path. */
export function writeTree(files: Record<string, string>, prefix = "tree-test-"): string {
    const root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
    for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
    }
    return root;
}

/** The platform's real Flux tree, when this checkout has ../shared (tests skip without it). */
export const PLATFORM_TREE = path.resolve(__dirname, "../../../shared/reference/platform/k8s");

let platformTree: FluxTree | undefined;

/**
 * The platform's Flux tree followed from clusters/prod (offline, no outside variables), once per
 * test run: it costs seconds of kustomize, and the pre-flight's and the checker's tests both read it.
 */
export function platformFluxTree(tool: KustomizeTool): FluxTree {
    platformTree ??= followFluxTree(PLATFORM_TREE, "clusters/prod", { tool });
    return platformTree;
}
