/**
 * `--format mermaid`: the rebuild graph as a Mermaid flowchart. Phases are subgraphs, an arrow
 * points from a step to what waits for it (only the arrows another path does not already imply),
 * and the critical path is drawn thick and red.
 */
import { withoutImpliedDependencies } from "./criticalPath";
import { RebuildEstimate, formatDuration } from "./estimate";
import { Phase, shortType } from "./plan";

/** Text inside a quoted Mermaid label: `"` and `#` would end or start an entity. */
function label(text: string): string {
    return text.replace(/#/g, "#35;").replace(/"/g, "#quot;");
}

/** Renders the flowchart; `graph` is the recorded dependency graph (see `stepGraph`). */
export function renderMermaid(phases: readonly Phase[], graph: ReadonlyMap<string, readonly string[]>, estimate: RebuildEstimate): string {
    const ids = new Map<string, string>();
    phases.forEach((p) => p.steps.forEach((s) => ids.set(s.resource.urn, `s${ids.size + 1}`)));
    const lines = ["flowchart TD"];
    for (const phase of phases) {
        lines.push(`    subgraph phase${phase.number}["Phase ${phase.number}"]`);
        for (const { resource: r } of phase.steps) {
            const e = estimate.steps.get(r.urn);
            const time = e ? `<br/>${e.kind}, ${formatDuration(e.typicalSeconds)}` : "";
            lines.push(`        ${ids.get(r.urn)}["${label(shortType(r.type))}<br/>${label(r.name)}${label(time)}"]`);
        }
        lines.push("    end");
    }
    const path = estimate.criticalPath.steps;
    const reduced = withoutImpliedDependencies(graph);
    // The critical path's own arrows are always drawn, even where a zero-length step implies them.
    path.slice(1).forEach((urn, i) => {
        const deps = reduced.get(urn);
        if (deps && !deps.includes(path[i])) {
            deps.push(path[i]);
        }
    });
    const criticalLinks: number[] = [];
    let link = 0;
    for (const [urn, deps] of reduced) {
        for (const d of deps) {
            if (!ids.has(d) || !ids.has(urn)) {
                continue;
            }
            const onPath = path.indexOf(urn) > 0 && path[path.indexOf(urn) - 1] === d;
            lines.push(`    ${ids.get(d)} ${onPath ? "==>" : "-->"} ${ids.get(urn)}`);
            if (onPath) {
                criticalLinks.push(link);
            }
            link++;
        }
    }
    lines.push("    classDef critical fill:#fde0dc,stroke:#c62828,stroke-width:3px");
    const criticalIds = path.map((u) => ids.get(u)).filter((x): x is string => !!x);
    if (criticalIds.length) {
        lines.push(`    class ${criticalIds.join(",")} critical`);
    }
    if (criticalLinks.length) {
        lines.push(`    linkStyle ${criticalLinks.join(",")} stroke:#c62828,stroke-width:3px`);
    }
    return lines.join("\n") + "\n";
}
