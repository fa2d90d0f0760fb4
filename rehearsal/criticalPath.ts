/**
 * The longest path through a dependency graph weighted by step durations: with unbounded
 * parallelism (Pulumi runs every step whose dependencies are done), it is how long the whole
 * graph takes, and the steps on it are the ones whose delay delays everything.
 */

/** The critical path: its steps, first to last, and the sum of their durations. */
export interface CriticalPath {
    readonly steps: readonly string[];
    readonly seconds: number;
}

/**
 * Computes the critical path. `deps` maps every step to the steps it waits for (keys are all the
 * steps; a dependency that is not a key is ignored). Ties go to the step listed first, so the
 * result is deterministic. Throws on a cycle (the engine would refuse it too).
 */
export function criticalPath(deps: ReadonlyMap<string, readonly string[]>, seconds: (step: string) => number): CriticalPath {
    const order = new Map([...deps.keys()].map((k, i) => [k, i]));
    const finish = new Map<string, number>();
    const via = new Map<string, string | undefined>();
    const visiting = new Set<string>();
    const finishOf = (step: string): number => {
        const known = finish.get(step);
        if (known !== undefined) {
            return known;
        }
        if (visiting.has(step)) {
            throw new Error(`dependency cycle through ${step}`);
        }
        visiting.add(step);
        let before: string | undefined;
        let start = 0;
        const waits = [...new Set(deps.get(step) ?? [])].filter((d) => order.has(d)).sort((a, b) => order.get(a)! - order.get(b)!);
        for (const d of waits) {
            const f = finishOf(d);
            if (before === undefined || f > start) {
                before = d;
                start = f;
            }
        }
        visiting.delete(step);
        const own = seconds(step);
        if (!(own >= 0)) {
            throw new Error(`step ${step} has no valid duration (${own})`);
        }
        finish.set(step, start + own);
        via.set(step, before);
        return start + own;
    };
    let last: string | undefined;
    let total = 0;
    for (const step of deps.keys()) {
        const f = finishOf(step);
        if (last === undefined || f > total) {
            last = step;
            total = f;
        }
    }
    const steps: string[] = [];
    for (let s = last; s !== undefined; s = via.get(s)) {
        steps.unshift(s);
    }
    return { steps, seconds: total };
}

/**
 * Drops each dependency that another dependency of the same step already implies (transitive
 * reduction): the order is unchanged, and a drawn graph keeps only the edges that matter.
 */
export function withoutImpliedDependencies(deps: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
    const reach = new Map<string, Set<string>>();
    const reachable = (step: string): Set<string> => {
        const known = reach.get(step);
        if (known) {
            return known;
        }
        const out = new Set<string>();
        reach.set(step, out);
        for (const d of deps.get(step) ?? []) {
            out.add(d);
            reachable(d).forEach((x) => out.add(x));
        }
        return out;
    };
    const reduced = new Map<string, string[]>();
    for (const [step, direct] of deps) {
        const unique = [...new Set(direct)];
        reduced.set(
            step,
            unique.filter((d) => !unique.some((other) => other !== d && reachable(other).has(d))),
        );
    }
    return reduced;
}
