/**
 * The engine: reads objects, files them by namespace and runs the enabled rules per workload.
 * Work is linear in the number of objects plus the PDB candidates found through the label index.
 */
import { DraftFinding } from "./draft";
import { Namespace, buildInventory, hpasTargeting, pdbsSelecting } from "./inventory";
import { Hpa, KubeObject, Pdb, Workload, readObject } from "./objects";
import { ResolvedOptions, isExempt, resolveOptions } from "./options";
import { Member, blockedNow, budgetOf, checkDisruption, malformedBudget, overlappingPdbs } from "./pdbAllowsDisruption";
import { effectiveReplicas } from "./replicas";
import { checkRollout, malformedStrategy } from "./rollingUpdate";
import { matches } from "./selector";
import {
    CHECKED_KINDS,
    CheckedCounts,
    EvaluationResult,
    Finding,
    ObjectRef,
    RULE_IDS,
    RuleEngineOptions,
    RuleId,
    SourcedObject,
} from "./types";
import { checkCoverage, malformedHpa, malformedReplicas, malformedSelector } from "./workloadHasPdb";

function enabled(options: ResolvedOptions, rule: RuleId): boolean {
    return options.rules[rule] !== "off";
}

/** Adds a rule's result to `into` unless the rule found nothing; keeps the hot path free of temporary arrays. */
function add<S>(into: DraftFinding<S>[], finding: DraftFinding<S> | undefined): void {
    if (finding !== undefined) {
        into.push(finding);
    }
}

/** The workloads each PDB selects, gathered while the workloads are checked. */
type Members<S> = Map<Pdb<S>, Member<S>[]>;

function addWorkloadFindings<S>(
    namespace: Namespace<S>,
    workload: Workload<S>,
    options: ResolvedOptions,
    members: Members<S>,
    into: DraftFinding<S>[],
): void {
    add(into, malformedReplicas(workload));
    add(into, malformedStrategy(workload));
    const replicas = effectiveReplicas(workload, hpasTargeting(namespace, workload));
    if (replicas === undefined) {
        return;
    }
    const needsPdbs = enabled(options, "workload-has-pdb") || enabled(options, "pdb-allows-disruption");
    const selecting = needsPdbs ? pdbsSelecting(namespace, workload.podLabels) : [];
    add(into, checkCoverage(workload, replicas, selecting, options.replicaThreshold));
    add(into, overlappingPdbs(workload, replicas, selecting));
    for (const pdb of selecting) {
        const list = members.get(pdb);
        if (list) {
            list.push({ workload, replicas });
        } else {
            members.set(pdb, [{ workload, replicas }]);
        }
    }
    add(into, checkRollout(workload, replicas, options.replicaThreshold));
}

/** Workloads of `namespace` a PDB selects; only needed to name them on a malformed PDB, so a scan is fine. */
function workloadsSelectedBy<S>(namespace: Namespace<S>, pdb: Pdb<S>): ObjectRef[] {
    return namespace.workloads.filter((w) => matches(pdb.selector.selector, w.podLabels)).map((w) => w.ref);
}

/** Workloads an HPA targets; only needed to name them on a malformed HPA, so a scan is fine. */
function workloadsScaledBy<S>(namespace: Namespace<S>, hpa: Hpa<S>): ObjectRef[] {
    return namespace.workloads.filter((w) => w.kind === hpa.targetKind && w.ref.name === hpa.targetName).map((w) => w.ref);
}

function addNamespaceFindings<S>(namespace: Namespace<S>, options: ResolvedOptions, into: DraftFinding<S>[]): void {
    // A PDB is judged over all the workloads it selects, so after every workload is placed.
    const members: Members<S> = new Map();
    for (const workload of namespace.workloads) {
        addWorkloadFindings(namespace, workload, options, members, into);
    }
    for (const [pdb, selected] of members) {
        into.push(...checkDisruption(pdb, selected));
    }
    for (const pdb of namespace.pdbs) {
        add(into, malformedSelector(pdb));
        if (budgetOf(pdb) === undefined) {
            add(into, malformedBudget(pdb, workloadsSelectedBy(namespace, pdb)));
        }
        if (pdb.status !== undefined && pdb.status.disruptionsAllowed === 0) {
            add(into, blockedNow(pdb, workloadsSelectedBy(namespace, pdb)));
        }
    }
    for (const hpa of namespace.hpas) {
        if (!hpa.minReplicas.ok) {
            add(into, malformedHpa(hpa, workloadsScaledBy(namespace, hpa)));
        }
    }
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
    const drafts: DraftFinding<S>[] = [];
    for (const namespace of buildInventory(objects).values()) {
        addNamespaceFindings(namespace, options, drafts);
    }
    const findings: Finding<S>[] = [];
    for (const draft of drafts) {
        const enforcement = options.rules[draft.rule];
        if (enforcement !== "off" && !isExempt(draft.object, options)) {
            findings.push({
                rule: draft.rule,
                severity: enforcement,
                object: draft.object,
                related: draft.related,
                message: draft.message,
                source: draft.source,
            });
        }
    }
    return { findings: findings.sort(compareFindings), checked: countKinds(objects) };
}
