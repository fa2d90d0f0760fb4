/**
 * The objects of one evaluation, indexed so that every lookup stays inside one namespace and,
 * within a namespace, PDB candidates are found through one label of their selector. Matching a
 * workload therefore costs the number of PDBs that could plausibly select it, not all of them.
 */
import { Hpa, KubeObject, Pdb, Workload, isPdb, isWorkload } from "./objects";
import { Labels, Requirement, matches } from "./selector";

/** PDBs of one namespace, bucketed by the selector requirement that every match must satisfy. */
interface PdbIndex<S> {
    /** Selectors requiring `key=value` (matchLabels, or an `In` value), keyed by `key\0value`. */
    readonly byLabel: Map<string, Pdb<S>[]>;
    /** Selectors requiring only that a key exists, keyed by the key. */
    readonly byKey: Map<string, Pdb<S>[]>;
    /** Selectors with no positive requirement (empty, or only NotIn/DoesNotExist): checked against every workload. */
    readonly unanchored: Pdb<S>[];
}

/** Everything in one namespace. */
export interface Namespace<S> {
    /** Deployments and StatefulSets, in input order. */
    readonly workloads: Workload<S>[];
    /** PDBs, in input order. */
    readonly pdbs: Pdb<S>[];
    /** HPAs by `kind\0name` of their scale target. */
    readonly hpasByTarget: Map<string, Hpa<S>[]>;
    /** HPAs, in input order. */
    readonly hpas: Hpa<S>[];
    /** PDB lookup by label. */
    readonly pdbIndex: PdbIndex<S>;
}

/** All namespaces of the input. */
export type Inventory<S> = Map<string, Namespace<S>>;

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
    const list = map.get(key);
    if (list) {
        list.push(value);
    } else {
        map.set(key, [value]);
    }
}

function labelKey(key: string, value: string): string {
    return `${key}\0${value}`;
}

function targetKey(kind: string, name: string): string {
    return `${kind}\0${name}`;
}

function positive(requirement: Requirement): boolean {
    return requirement.operator === "In" || requirement.operator === "Exists";
}

function indexPdb<S>(index: PdbIndex<S>, pdb: Pdb<S>): void {
    const selector = pdb.selector.selector;
    if (selector.type === "nothing") {
        return;
    }
    if (selector.type === "everything") {
        index.unanchored.push(pdb);
        return;
    }
    const [firstLabel] = Object.entries(selector.matchLabels);
    if (firstLabel) {
        push(index.byLabel, labelKey(firstLabel[0], firstLabel[1]), pdb);
        return;
    }
    const anchor = selector.expressions.find(positive);
    if (!anchor) {
        index.unanchored.push(pdb);
    } else if (anchor.operator === "In") {
        // A pod has one value per key, so a PDB filed under several values is still found at most once.
        for (const value of anchor.values) {
            push(index.byLabel, labelKey(anchor.key, value), pdb);
        }
    } else {
        push(index.byKey, anchor.key, pdb);
    }
}

function emptyNamespace<S>(): Namespace<S> {
    return { workloads: [], pdbs: [], hpas: [], hpasByTarget: new Map(), pdbIndex: { byLabel: new Map(), byKey: new Map(), unanchored: [] } };
}

/** Files every object under its namespace. */
export function buildInventory<S>(objects: Iterable<KubeObject<S>>): Inventory<S> {
    const inventory: Inventory<S> = new Map();
    for (const object of objects) {
        let namespace = inventory.get(object.ref.namespace);
        if (!namespace) {
            namespace = emptyNamespace();
            inventory.set(object.ref.namespace, namespace);
        }
        if (isWorkload(object)) {
            namespace.workloads.push(object);
        } else if (isPdb(object)) {
            namespace.pdbs.push(object);
            indexPdb(namespace.pdbIndex, object);
        } else {
            namespace.hpas.push(object);
            if (object.targetKind && object.targetName) {
                push(namespace.hpasByTarget, targetKey(object.targetKind, object.targetName), object);
            }
        }
    }
    return inventory;
}

/** The PDBs of `namespace` whose selector selects pods labelled `labels`, in input order. */
export function pdbsSelecting<S>(namespace: Namespace<S>, labels: Labels): Pdb<S>[] {
    const { byLabel, byKey, unanchored } = namespace.pdbIndex;
    const candidates: Pdb<S>[] = [...unanchored];
    for (const [key, value] of Object.entries(labels)) {
        candidates.push(...(byLabel.get(labelKey(key, value)) ?? []), ...(byKey.get(key) ?? []));
    }
    return candidates.filter((pdb) => matches(pdb.selector.selector, labels)).sort((a, b) => a.order - b.order);
}

/** The HPAs of `namespace` scaling `workload` (same kind and name; a same-named object of another kind does not count). */
export function hpasTargeting<S>(namespace: Namespace<S>, workload: Workload<S>): Hpa<S>[] {
    return namespace.hpasByTarget.get(targetKey(workload.kind, workload.ref.name)) ?? [];
}
