/**
 * The value at `path` (`a.b[0].c`) in parsed JSON or YAML, undefined where the path leaves the
 * document: for tests that read documents whose schema has no TypeScript types here (Talos
 * patches, CRD manifests, the rehearsal's --json, resource inputs).
 */
export function at(value: unknown, path: string): unknown {
    const steps = path.match(/[^.[\]]+/g) ?? [];
    let node = value;
    for (const step of steps) {
        if (node === null || typeof node !== "object") {
            return undefined;
        }
        node = (node as Record<string, unknown>)[step];
    }
    return node;
}
