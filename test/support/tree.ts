import * as fs from "fs";
import * as os from "os";
import * as path from "path";

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
