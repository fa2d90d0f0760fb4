/**
 * Loaded by mocha before any test (.mocharc.json `require`, after ts-node). Every simulation runs
 * index.ts afresh (rehearsal/simulate.ts forgets it after each run), and ts-node would transpile
 * it again each time, about 50 times per test run. The same source text always transpiles to the
 * same JavaScript, so the output is kept per file and source text for the life of the test process.
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
