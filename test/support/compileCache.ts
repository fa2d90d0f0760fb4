/**
 * Loaded by mocha before any test (.mocharc.json `require`, after ts-node). Every simulation
 * loads the program afresh (rehearsal/simulate.ts unloads its modules so index.ts runs again),
 * and ts-node would transpile each module again each time: that was most of a simulation's
 * cost. The same source text always transpiles to the same JavaScript, so the output is kept
 * per file and source text for the life of the test process.
 */
import { REGISTER_INSTANCE, Service } from "ts-node";

const service = (process as unknown as Partial<Record<typeof REGISTER_INSTANCE, Service>>)[REGISTER_INSTANCE];
if (service) {
    const compile = service.compile.bind(service);
    const outputs = new Map<string, { source: string; output: string }>();
    service.compile = (code, fileName, lineOffset) => {
        const kept = outputs.get(fileName);
        if (kept && kept.source === code && !lineOffset) {
            return kept.output;
        }
        const output = compile(code, fileName, lineOffset);
        outputs.set(fileName, { source: code, output });
        return output;
    };
}
