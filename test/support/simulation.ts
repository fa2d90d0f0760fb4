import { RecordedResource, SimulateOptions, SimulationResult, simulate } from "../../rehearsal/simulate";

/** Runs of this test process by their options: a mock program run costs about a second, a run is deterministic. */
const runs = new Map<string, Promise<SimulationResult>>();

/** Freezes a run's result all the way down, so a test that shares it cannot change what another reads. */
function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) {
            deepFreeze(v);
        }
    }
    return value;
}

/**
 * Runs the program in the simulated cloud and fails the test on any error. Runs with the same
 * options (same config, cloud and mode) are made once per test process and shared, frozen.
 */
export function simulateOk(options: SimulateOptions = {}): Promise<SimulationResult> {
    const key = JSON.stringify(options);
    let run = runs.get(key);
    if (!run) {
        run = simulate(options).then((result) => {
            if (result.errors.length) {
                throw new Error(`simulation failed:\n${result.errors.join("\n")}`);
            }
            return deepFreeze(result);
        });
        runs.set(key, run);
    }
    return run;
}

/** Finds one resource by type token and logical name; fails loudly when absent. */
export function find(result: SimulationResult, type: string, name: string): RecordedResource {
    const r = result.resources.find((x) => x.type === type && x.name === name);
    if (!r) {
        throw new Error(
            `no ${type} named ${name}; have: ${result.resources
                .filter((x) => x.type === type)
                .map((x) => x.name)
                .join(", ")}`,
        );
    }
    return r;
}

/** All resources of a type. */
export function ofType(result: SimulationResult, type: string): RecordedResource[] {
    return result.resources.filter((x) => x.type === type);
}

/** A run's resources by URN and by parent, built once per run (the results are frozen). */
const indexes = new WeakMap<SimulationResult, { byUrn: Map<string, RecordedResource>; children: Map<string, RecordedResource[]> }>();

function indexOf(result: SimulationResult): { byUrn: Map<string, RecordedResource>; children: Map<string, RecordedResource[]> } {
    let index = indexes.get(result);
    if (!index) {
        const children = new Map<string, RecordedResource[]>();
        for (const x of result.resources) {
            if (x.parent) {
                children.set(x.parent, [...(children.get(x.parent) ?? []), x]);
            }
        }
        index = { byUrn: new Map(result.resources.map((x) => [x.urn, x])), children };
        indexes.set(result, index);
    }
    return index;
}

/** Every URN `r` depends on, directly or through any chain (components expanded to their children). */
function transitiveDependencies(result: SimulationResult, r: RecordedResource): Set<string> {
    const { byUrn, children } = indexOf(result);
    const within = (urn: string): string[] => [urn, ...(children.get(urn) ?? []).flatMap((c) => within(c.urn))];
    const seen = new Set<string>();
    const stack = [...r.dependencies];
    while (stack.length) {
        const urn = stack.pop()!;
        for (const u of within(urn)) {
            if (!seen.has(u)) {
                seen.add(u);
                stack.push(...(byUrn.get(u)?.dependencies ?? []));
                const provider = byUrn.get(u)?.provider;
                if (provider) {
                    stack.push(provider.slice(0, provider.lastIndexOf("::")));
                }
            }
        }
    }
    const provider = r.provider;
    if (provider) {
        const urn = provider.slice(0, provider.lastIndexOf("::"));
        if (!seen.has(urn)) {
            seen.add(urn);
            for (const d of transitiveDependencies(result, byUrn.get(urn)!)) {
                seen.add(d);
            }
        }
    }
    return seen;
}

/** True when `a` waits (transitively) for `b`. */
export function waitsFor(result: SimulationResult, a: RecordedResource, b: RecordedResource): boolean {
    return transitiveDependencies(result, a).has(b.urn);
}

/** A hand-made registration for pure tests of the plan and the estimate: URN `urn:<name>`, custom. */
export function recordedResource(name: string, dependsOn: readonly string[] = [], extra: Partial<RecordedResource> = {}): RecordedResource {
    return {
        urn: `urn:${name}`,
        id: name,
        type: "t:index:T",
        name,
        parent: null,
        dependencies: dependsOn.map((d) => `urn:${d}`),
        inputs: {},
        rawInputs: {},
        outputs: {},
        import: null,
        protect: false,
        retainOnDelete: false,
        custom: true,
        provider: null,
        providerUrn: null,
        createTimeout: null,
        ignoreChanges: [],
        additionalSecretOutputs: [],
        deleteBeforeReplace: false,
        ...extra,
    };
}
