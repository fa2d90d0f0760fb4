/**
 * The rehearsal's account of the Talos patches: per node role, every patch file in the order it is
 * applied, the document kinds in it and the variables it uses (names only, never values).
 */
import { ClusterConfig } from "../config/cluster";
import { patchFilesFor } from "../config/talosPatches";
import { programPatches } from "../components/cluster/talosPatches";

/** Lines for the plan (empty in Scenario 5, which builds no node). */
export function describeTalosPatches(cluster: ClusterConfig, rebuild: boolean): string[] {
    if (!rebuild) {
        return [];
    }
    const set = cluster.talosPatches;
    const lines = [
        set.placeholder
            ? `talosPatchDir ${set.dir} is not checked out: the plan shows no platform patch (placeholder below); a real run refuses to start`
            : `talosPatchDir ${set.dir}: ${set.files.length} platform patch files, then the program's own`,
    ];
    for (const role of ["control-plane", "worker"] as const) {
        lines.push(`${role === "control-plane" ? "control planes" : "workers"}, in order:`);
        const entries = [
            ...patchFilesFor(set, role).map((f) => {
                const kinds = f.documents
                    .map(
                        (d) =>
                            `${d.name ? `${d.kind} ${d.name}` : d.kind}${d.unpublished ? ", a kind Talos accepts but leaves out of its schema" : ""}`,
                    )
                    .join(", ");
                const uses = f.variables.length ? `; uses ${f.variables.join(", ")}` : "";
                const deprecated = f.deprecated.length ? `; deprecated ${f.deprecated.join(", ")}` : "";
                return `${f.file} (${kinds}${uses}${deprecated})`;
            }),
            ...programPatches({
                cluster,
                node: { role, name: `<${role} name>` },
                certSans: [],
                vip: cluster.apiEndpoint === "floating-ip" ? { ip: "<floating IP>", hcloudToken: "" } : undefined,
            }).map((p) => `program: ${p.name} (${p.summary})`),
        ];
        const width = String(entries.length).length;
        entries.forEach((e, i) => lines.push(`  ${String(i + 1).padStart(width)}. ${e}`));
    }
    return lines;
}
