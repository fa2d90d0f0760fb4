/**
 * Turns recorded registrations into a rebuild plan a person can read: custom resources grouped
 * into phases by dependency depth (a phase starts when everything it waits for is done), each
 * with what it waits for. Components are folded away: depending on a component means depending
 * on every resource inside it.
 */
import { RecordedResource } from "./simulate";

/** One resource in the plan. */
interface PlanStep {
    /** The registration. */
    readonly resource: RecordedResource;
    /** Names of the resources it waits for directly. */
    readonly waitsFor: string[];
}

/** Resources that can run together once the previous phases are done. */
export interface Phase {
    /** 1-based phase number. */
    readonly number: number;
    /** The steps, sorted by type then name for stable output. */
    readonly steps: PlanStep[];
}

/**
 * The recorded dependency graph between custom resources: for each, the custom resources it waits
 * for directly (explicit and implicit dependencies, and its provider; a dependency on a component
 * is one on every custom resource inside it). Keys are in registration order.
 */
export function stepGraph(resources: readonly RecordedResource[]): Map<string, string[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = new Map<string, RecordedResource[]>();
    for (const r of resources) {
        if (r.parent) {
            children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
        }
    }
    const customWithin = (urn: string): string[] => {
        const r = byUrn.get(urn);
        if (!r) {
            return [];
        }
        if (r.custom) {
            return [urn];
        }
        return (children.get(urn) ?? []).flatMap((c) => customWithin(c.urn));
    };
    const directDeps = new Map<string, string[]>();
    for (const r of resources.filter((x) => x.custom)) {
        // A default provider is not registered by the program, so it is not a step here.
        const raw = [...r.dependencies, r.providerUrn].filter((u): u is string => !!u && byUrn.has(u));
        directDeps.set(
            r.urn,
            [...new Set(raw.flatMap(customWithin))].filter((u) => u !== r.urn),
        );
    }
    return directDeps;
}

/** Groups custom resources into phases by dependency depth. */
export function planPhases(resources: readonly RecordedResource[]): Phase[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const directDeps = stepGraph(resources);
    const depth = new Map<string, number>();
    const depthOf = (urn: string, seen: Set<string>): number => {
        const known = depth.get(urn);
        if (known !== undefined) {
            return known;
        }
        if (seen.has(urn)) {
            throw new Error(`dependency cycle through ${urn}`);
        }
        seen.add(urn);
        const d = 1 + Math.max(0, ...(directDeps.get(urn) ?? []).map((u) => depthOf(u, seen)));
        seen.delete(urn);
        depth.set(urn, d);
        return d;
    };
    const phases = new Map<number, PlanStep[]>();
    for (const urn of directDeps.keys()) {
        const r = byUrn.get(urn)!;
        const step = { resource: r, waitsFor: (directDeps.get(urn) ?? []).map((u) => byUrn.get(u)!.name).sort() };
        const d = depthOf(urn, new Set());
        phases.set(d, [...(phases.get(d) ?? []), step]);
    }
    return [...phases.entries()]
        .sort(([a], [b]) => a - b)
        .map(([number, steps]) => ({
            number,
            steps: steps.sort((a, b) => a.resource.type.localeCompare(b.resource.type) || a.resource.name.localeCompare(b.resource.name)),
        }));
}

/** Short form of a type token for the plan: `hcloud:Server`, `kubernetes:core/v1:Secret`. */
export function shortType(type: string): string {
    const [pkg, module, name] = type.split(":");
    if (pkg === "pulumi" && module === "providers") {
        return `provider:${name}`;
    }
    return pkg === "kubernetes" ? `${pkg}:${module}:${name}` : `${pkg}:${name ?? module}`;
}

/** Renders the plan as text. */
export function renderPlan(phases: readonly Phase[]): string {
    const lines: string[] = [];
    for (const phase of phases) {
        lines.push(`Phase ${phase.number} (${phase.steps.length} ${phase.steps.length === 1 ? "resource" : "resources"})`);
        for (const { resource: r, waitsFor } of phase.steps) {
            const flags = [
                r.read ? "read only, not owned" : "",
                r.import ? `adopt ${r.import}` : "",
                r.protect ? "protected" : "",
                r.retainOnDelete ? "kept on destroy" : "",
                // A delete step (the Hetzner teardown): destroy runs it before deleting what it waits for.
                r.inputs.delete ? "runs on destroy, before what it waits for is deleted" : "",
            ].filter(Boolean);
            lines.push(`  ${r.read ? ">" : "+"} ${shortType(r.type).padEnd(38)} ${r.name}${flags.length ? `  [${flags.join(", ")}]` : ""}`);
            if (waitsFor.length) {
                lines.push(`      waits for: ${waitsFor.join(", ")}`);
            }
        }
        lines.push("");
    }
    return lines.join("\n");
}
