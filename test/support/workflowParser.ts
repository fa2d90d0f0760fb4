import { register } from "module";
import { pathToFileURL } from "url";

/** The parts of @actions/workflow-parser the tests use (the package's own types, ESM only). */
type Parser = typeof import("@actions/workflow-parser");
type ActionParser = typeof import("@actions/workflow-parser/actions/action-parser");

let loaded: Promise<{ workflow: Parser; action: ActionParser }> | undefined;

/**
 * Loads GitHub's workflow parser. It is an ES module, and this project compiles to CommonJS, where
 * TypeScript turns `import()` into `require()`: the import is made at run time instead. Its JSON
 * schemas need the hook in jsonModules.mjs.
 */
export function workflowParser(): Promise<{ workflow: Parser; action: ActionParser }> {
    if (!loaded) {
        register("./jsonModules.mjs", pathToFileURL(__filename));
        const importModule = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<unknown>;
        loaded = Promise.all([
            importModule("@actions/workflow-parser") as Promise<Parser>,
            importModule("@actions/workflow-parser/actions/action-parser") as Promise<ActionParser>,
        ]).then(([workflow, action]) => ({ workflow, action }));
    }
    return loaded;
}
