/**
 * The engine: reads objects, files them by namespace and runs the enabled rules per workload.
 * Work is linear in the number of objects plus the PDB candidates found through the label index.
 */
import { DraftFinding } from "./draft";
import { Namespace, buildInventory, hpasTargeting, pdbsSelecting } from "./inventory";
import { KubeObject, Pdb, Workload, readObject } from "./objects";
import { ResolvedOptions, isExempt, resolveOptions } from "./options";
import { budgetOf, checkDisruption, malformedBudget } from "./pdbAllowsDisruption";
import { effectiveReplicas } from "./replicas";
import { checkRollout, malformedStrategy } from "./rollingUpdate";
import { matches } from "./selector";
import { CHECKED_KINDS, CheckedCounts, EvaluationResult, Finding, ObjectRef, RULE_IDS, RuleEngineOptions, RuleId, SourcedObject } from "./types";
import { checkCoverage, malformedHpa, malformedReplicas, malformedSelector } from "./workloadHasPdb";

function enabled(options: ResolvedOptions, rule: RuleId): boolean {
    return options.rules[rule] !== "off";
}

function workloadFindings<S>(namespace: Namespace<S>, workload: Workload<S>, options: ResolvedOptions): DraftFinding<S>[] {
    const findings = [...malformedReplicas(workload), ...malformedStrategy(workload)];
    const replicas = effectiveReplicas(workload, hpasTargeting(namespace, workload));
    if (!replicas.ok) {
        return findings;
    }
    const needsPdbs = enabled(options, "workload-has-pdb") || enabled(options, "pdb-allows-disruption");
    const selecting = needsPdbs ? pdbsSelecting(namespace, workload.podLabels) : [];
    return [
        ...findings,
        ...checkCoverage(workload, replicas, selecting, options.replicaThreshold),
        ...checkDisruption(workload, replicas, selecting),
        ...checkRollout(workload, replicas, options.replicaThreshold),
    ];
}

/** Workloads of `namespace` a PDB selects; only needed to name them on a malformed PDB, so a scan is fine. */
function workloadsSelectedBy<S>(namespace: Namespace<S>, pdb: Pdb<S>): ObjectRef[] {
    return namespace.workloads.filter((w) => matches(pdb.selector.selector, w.podLabels)).map((w) => w.ref);
}

function namespaceFindings<S>(namespace: Namespace<S>, options: ResolvedOptions): DraftFinding<S>[] {
    const findings = namespace.workloads.flatMap((w) => workloadFindings(namespace, w, options));
    for (const pdb of namespace.pdbs) {
        findings.push(...malformedSelector(pdb));
        if (budgetOf(pdb) === undefined) {
            findings.push(...malformedBudget(pdb, workloadsSelectedBy(namespace, pdb)));
        }
    }
    for (const hpa of namespace.hpas) {
        const targets = namespace.workloads.filter((w) => w.kind === hpa.targetKind && w.ref.name === hpa.targetName).map((w) => w.ref);
        findings.push(...malformedHpa(hpa, targets));
    }
    return findings;
}

function compareText(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** Stable report order: object namespace, name, kind; then rule; then the first related object; then message. */
function compareFindings(a: Finding<unknown>, b: Finding<unknown>): number {
    return (
        compareText(a.object.namespace, b.object.namespace) ||
        compareText(a.object.name, b.object.name) ||
        compareText(a.object.kind, b.object.kind) ||
        RULE_IDS.indexOf(a.rule) - RULE_IDS.indexOf(b.rule) ||
        compareText(a.related[0]?.name ?? "", b.related[0]?.name ?? "") ||
        compareText(a.message, b.message)
    );
}

function countKinds(objects: readonly KubeObject<unknown>[]): CheckedCounts {
    const counts = Object.fromEntries(CHECKED_KINDS.map((k) => [k, 0])) as CheckedCounts;
    for (const object of objects) {
        counts[object.ref.kind as keyof CheckedCounts] += 1;
    }
    return counts;
}

/** Reads the checked kinds out of `inputs`, with the default namespace applied. */
export function readObjects<S>(inputs: Iterable<SourcedObject<S>>, defaultNamespace: string): KubeObject<S>[] {
    const objects: KubeObject<S>[] = [];
    let order = 0;
    for (const input of inputs) {
        const object = readObject(input.object, input.source, order++, defaultNamespace);
        if (object) {
            objects.push(object);
        }
    }
    return objects;
}

/**
 * Runs every enabled rule over `inputs`. Objects of other kinds are ignored; malformed values
 * become findings. Exempt objects and rules set to `off` produce nothing.
 */
export function evaluate<S>(inputs: Iterable<SourcedObject<S>>, engineOptions: RuleEngineOptions = {}): EvaluationResult<S> {
    const options = resolveOptions(engineOptions);
    const objects = readObjects(inputs, options.defaultNamespace);
    const findings: Finding<S>[] = [];
    for (const namespace of buildInventory(objects).values()) {
        for (const draft of namespaceFindings(namespace, options)) {
            const enforcement = options.rules[draft.rule];
            if (enforcement !== "off" && !isExempt(draft.object, options)) {
                findings.push({ ...draft, severity: enforcement });
            }
        }
    }
    return { findings: findings.sort(compareFindings), checked: countKinds(objects) };
}
