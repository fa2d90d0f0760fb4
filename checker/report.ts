/** The checker's two output formats: a readable report grouped by object, and JSON for tools. */
import { CHECKED_KINDS, CheckedCounts, EvaluationResult, Finding, ObjectRef } from "../policies/rules";
import { ManifestSource } from "./load";

/** The JSON document `--format json` prints. */
export interface JsonReport {
    /** Every finding, in the engine's stable order. */
    readonly findings: {
        /** Rule id, e.g. `workload-has-pdb`. */
        readonly rule: string;
        /** `error` or `warning`. */
        readonly severity: string;
        /** The object the finding is about. */
        readonly object: ObjectRef;
        /** Other objects involved (the PDB at fault, the HPA that set the replica count). */
        readonly related: ObjectRef[];
        /** What is wrong and how to fix it. */
        readonly message: string;
        /** File and line of `object`. */
        readonly source: ManifestSource;
    }[];
    /** Objects read, per checked kind. */
    readonly checked: CheckedCounts;
}

/** Locates objects by kind, namespace and name, to show where a related object is defined. */
export type SourceLookup = (ref: ObjectRef) => ManifestSource | undefined;

/** The JSON report: exactly `{ findings, checked }`, keys in documented order. */
export function jsonReport(result: EvaluationResult<ManifestSource>): string {
    const report: JsonReport = {
        findings: result.findings.map((f) => ({
            rule: f.rule,
            severity: f.severity,
            object: { kind: f.object.kind, namespace: f.object.namespace, name: f.object.name },
            related: f.related.map((r) => ({ kind: r.kind, namespace: r.namespace, name: r.name })),
            message: f.message,
            // Every object the checker reads has a source; the fallback keeps the type honest.
            source: f.source ?? { file: "", line: 0 },
        })),
        checked: result.checked,
    };
    return `${JSON.stringify(report, null, 2)}\n`;
}

function refText(ref: ObjectRef): string {
    return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function at(source: ManifestSource | undefined): string {
    return source ? ` (${source.file}:${source.line})` : "";
}

function count(n: number, singular: string, plural = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : plural}`;
}

/** `3 Deployments, 1 StatefulSet, 0 PodDisruptionBudgets and 1 HorizontalPodAutoscaler`. */
export function checkedSummary(checked: CheckedCounts): string {
    const parts = CHECKED_KINDS.map((kind) => count(checked[kind], kind));
    return `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/** Groups findings by their object, keeping the engine's order. */
function groupByObject(findings: readonly Finding<ManifestSource>[]): Finding<ManifestSource>[][] {
    const groups = new Map<string, Finding<ManifestSource>[]>();
    for (const finding of findings) {
        const key = refText(finding.object);
        const group = groups.get(key);
        if (group) {
            group.push(finding);
        } else {
            groups.set(key, [finding]);
        }
    }
    return [...groups.values()];
}

/** The text report: one block per object with its findings, then a summary line. */
export function textReport(result: EvaluationResult<ManifestSource>, sourceOf: SourceLookup): string {
    const lines: string[] = [];
    for (const group of groupByObject(result.findings)) {
        lines.push(`${refText(group[0].object)}${at(group[0].source)}`);
        for (const finding of group) {
            lines.push(`  ${finding.severity.padEnd(7)} ${finding.rule}: ${finding.message}`);
            for (const related of finding.related) {
                lines.push(`          related: ${refText(related)}${at(sourceOf(related))}`);
            }
        }
        lines.push("");
    }
    const errors = result.findings.filter((f) => f.severity === "error").length;
    const warnings = result.findings.length - errors;
    const outcome =
        result.findings.length === 0
            ? "no findings"
            : `${count(errors, "error")} and ${count(warnings, "warning")} on ${count(groupByObject(result.findings).length, "object")}`;
    lines.push(`Checked ${checkedSummary(result.checked)}: ${outcome}.`);
    return `${lines.join("\n")}\n`;
}
