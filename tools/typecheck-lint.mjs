// `npm test`'s type check and ESLint, on ONE TypeScript program: `tsc --noEmit` and
// typescript-eslint's type-aware rules would each build the same program of ~2,400 files (most of
// the time of both). The program is built once from tsconfig.json (incrementally, its build info in
// .cache/), its diagnostics are the type check, and ESLint (eslint.config.mjs, cached in .cache/)
// gets it through typescript-eslint's `programs` option, handed over by a thin wrapper of its parser
// (ESLint's cache can hash a parser by name and version, not a config holding a program). Exit code
// 1 on any finding.
// `npm run typecheck` and `npm run lint` still run each tool on its own.
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Builds the project's program as `tsc -p . --incremental` would, and returns it with tsc's findings. */
function typecheck() {
    const parsed = ts.getParsedCommandLineOfConfigFile(
        path.join(root, "tsconfig.json"),
        { incremental: true, tsBuildInfoFile: path.join(root, ".cache", "tsbuildinfo") },
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (d) => {
                throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
            },
        },
    );
    if (parsed.errors.length) {
        return { program: undefined, diagnostics: parsed.errors };
    }
    const builder = ts.createIncrementalProgram({
        rootNames: parsed.fileNames,
        options: parsed.options,
        projectReferences: parsed.projectReferences,
    });
    const diagnostics = [
        ...builder.getConfigFileParsingDiagnostics(),
        ...builder.getOptionsDiagnostics(),
        ...builder.getGlobalDiagnostics(),
        ...builder.getSyntacticDiagnostics(),
        ...builder.getSemanticDiagnostics(),
    ];
    builder.emit(); // with noEmit this writes only the build info, for the next run
    return { program: builder.getProgram(), diagnostics };
}

let failed = false;
const { program, diagnostics } = typecheck();
if (diagnostics.length) {
    failed = true;
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => "\n" };
    process.stdout.write(`tsc:\n${ts.formatDiagnostics(diagnostics, host)}\n`);
}
if (program) {
    const parser = {
        meta: { ...tseslint.parser.meta, name: `${tseslint.parser.meta.name} (one program)` },
        parseForESLint: (code, options) => tseslint.parser.parseForESLint(code, { ...options, projectService: false, programs: [program] }),
    };
    const eslint = new ESLint({
        cwd: root,
        cache: true,
        cacheLocation: path.join(root, ".cache", "eslint/"),
        overrideConfig: { languageOptions: { parser } },
    });
    const results = await eslint.lintFiles(["."]);
    const text = await (await eslint.loadFormatter("stylish")).format(results);
    if (results.some((r) => r.errorCount + r.warningCount > 0)) {
        failed = true;
        process.stdout.write(`eslint:\n${text}\n`);
    }
}
process.exitCode = failed ? 1 : 0;
