/**
 * Loaded by mocha before any test (.mocharc.json `require`, after ts-node). Every simulation
 * loads the program afresh (rehearsal/simulate.ts unloads its modules so index.ts runs again),
 * and ts-node would transpile each module again each time: most of a simulation's cost. The
 * same source text always transpiles to the same JavaScript, so the output is kept per file
 * and source text for the life of the test process.
 */
interface TsNodeService {
    compile(code: string, fileName: string, lineOffset?: number): string;
}

const service = (process as unknown as Record<symbol, TsNodeService | undefined>)[Symbol.for("ts-node.register.instance")];
if (service) {
    const compile = service.compile.bind(service);
    const outputs = new Map<string, { source: string; output: string }>();
    service.compile = (code, fileName, lineOffset) => {
        const hit = outputs.get(fileName);
        if (hit && hit.source === code && !lineOffset) {
            return hit.output;
        }
        const output = compile(code, fileName, lineOffset);
        outputs.set(fileName, { source: code, output });
        return output;
    };
}
