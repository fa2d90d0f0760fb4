// Node module hook for tests: @actions/workflow-parser imports its JSON schemas without an import
// attribute (fine in bundlers, refused by Node's ESM loader); served here as ES modules instead.
import { readFile } from "node:fs/promises";

export async function load(url, context, nextLoad) {
    if (url.endsWith(".json") && url.includes("/@actions/")) {
        return { format: "module", source: `export default ${await readFile(new URL(url), "utf8")};`, shortCircuit: true };
    }
    return nextLoad(url, context);
}
