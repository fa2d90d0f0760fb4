/** The checker's two output formats: a readable report grouped by root and object, and JSON for tools. */
import { CHECKED_KINDS, CheckedCounts, EvaluationResult, Finding, ObjectRef } from "../policies/rules";
import { ManifestSource } from "./load";

/** Locates objects by kind, namespace and name, to show where a related object is defined. */
export type SourceLookup = (ref: ObjectRef) => ManifestSource | undefined;

/** The outcome for one check unit (one cluster). */
export interface UnitReport {
    /** Its kustomization root or Flux sync path; undefined for files and stdin read as written. */
    readonly root?: string;
    /** How its objects were obtained (`rendered with kubectl kustomize (/usr/bin/kubectl)`). */
    readonly how?: string;
    /** The engine's result. */
    readonly result: EvaluationResult<ManifestSource>;
    /** Where each of its objects is defined. */
    readonly sourceOf: SourceLookup;
}

/** The JSON document `--format json` prints. */
interface JsonReport {
    /** Every finding, root by root, each in the engine's stable order. */
    readonly findings: {
        /** Rule id, e.g. `workload-has-pdb`. */
        readonly rule: string;
        /** `error` or `warning`. */
        readonly severity: string;
        /** The kustomization root or Flux sync path it was found in; null for files and stdin read as written. */
        readonly root: string | null;
        /** The object the finding is about. */
        readonly object: ObjectRef;
        /** Other objects involved (the PDB at fault, the HPA that set the replica count), with where each is defined. */
        readonly related: (ObjectRef & { readonly source: ManifestSource | null })[];
        /** What is wrong and how to fix it. */
        readonly message: string;
        /** File and line of `object` (the line is left out when a rendered object's line is unknown). */
        readonly source: ManifestSource;
    }[];
    /** Objects read, per checked kind, over every root. */
    readonly checked: CheckedCounts;
    /** Each root with what was read from it; one entry with root null for files and stdin. */
    readonly roots: { readonly root: string | null; readonly how: string | null; readonly checked: CheckedCounts }[];
    /** Input skipped or left out, and objects not judged (unresolved variables, duplicates). */
    readonly warnings: string[];
}

function ref(r: ObjectRef): ObjectRef {
    return { kind: r.kind, namespace: r.namespace, name: r.name };
}

function totalCounts(units: readonly UnitReport[]): CheckedCounts {
    const total = Object.fromEntries(CHECKED_KINDS.map((k) => [k, 0])) as CheckedCounts;
    for (const unit of units) {
        for (const kind of CHECKED_KINDS) {
            total[kind] += unit.result.checked[kind];
        }
    }
    return total;
}

/** The JSON report: `{ findings, checked, roots, warnings }`, keys in documented order. */
export function jsonReport(units: readonly UnitReport[], warnings: readonly string[]): string {
    const report: JsonReport = {
        findings: units.flatMap((unit) =>
            unit.result.findings.map((f) => ({
                rule: f.rule,
                severity: f.severity,
                root: unit.root ?? null,
                object: ref(f.object),
                related: f.related.map((r) => ({ ...ref(r), source: unit.sourceOf(r) ?? null })),
                message: f.message,
                // Every object the checker reads has a source; the fallback keeps the type honest.
                source: f.source ?? { file: "" },
            })),
        ),
        checked: totalCounts(units),
        roots: units.map((u) => ({ root: u.root ?? null, how: u.how ?? null, checked: u.result.checked })),
        warnings: [...warnings],
    };
    return `${JSON.stringify(report, null, 2)}\n`;
}

function refText(r: ObjectRef): string {
    return `${r.kind} ${r.namespace}/${r.name}`;
}

/** ` (file:line)`, or ` (file)` when the line is unknown. */
function at(source: ManifestSource | undefined): string {
    return source ? ` (${source.file}${source.line === undefined ? "" : `:${source.line}`})` : "";
}

function count(n: number, singular: string, plural = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : plural}`;
}

/** `3 Deployments, 1 StatefulSet, 0 PodDisruptionBudgets and 1 HorizontalPodAutoscaler`. */
function checkedSummary(checked: CheckedCounts): string {
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

function outcome(findings: readonly Finding<ManifestSource>[]): string {
    if (findings.length === 0) {
        return "no findings";
    }
    const errors = findings.filter((f) => f.severity === "error").length;
    return `${count(errors, "error")} and ${count(findings.length - errors, "warning")} on ${count(groupByObject(findings).length, "object")}`;
}

/** One unit's findings, one block per object, then its summary line. */
function unitText(unit: UnitReport, lines: string[]): void {
    for (const group of groupByObject(unit.result.findings)) {
        lines.push(`${refText(group[0].object)}${at(group[0].source)}`);
        for (const finding of group) {
            lines.push(`  ${finding.severity.padEnd(7)} ${finding.rule}: ${finding.message}`);
            for (const related of finding.related) {
                lines.push(`          related: ${refText(related)}${at(unit.sourceOf(related))}`);
            }
        }
        lines.push("");
    }
    lines.push(`Checked ${checkedSummary(unit.result.checked)}: ${outcome(unit.result.findings)}.`);
}

/**
 * The text report. Files and stdin read as written: the findings, then a summary line. Rendered
 * roots: a `Root <path> (<how>):` heading per root, its findings and summary, and a total line.
 */
export function textReport(units: readonly UnitReport[]): string {
    const lines: string[] = [];
    const rooted = units.some((u) => u.root !== undefined);
    for (const unit of units) {
        if (rooted) {
            lines.push(`Root ${unit.root ?? "(files read as written)"}${unit.how === undefined ? "" : `, ${unit.how}`}:`);
        }
        unitText(unit, lines);
        if (rooted) {
            lines.push("");
        }
    }
    if (rooted) {
        const all = units.flatMap((u) => u.result.findings);
        lines.push(`${count(units.length, "root")}: ${outcome(all)}.`);
    }
    return `${lines.join("\n")}\n`;
}
