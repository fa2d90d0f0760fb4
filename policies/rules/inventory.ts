/**
 * The objects of one evaluation, indexed so that every lookup stays inside one namespace and,
 * within a namespace, PDB candidates are found through one label of their selector. Matching a
 * workload therefore costs the number of PDBs that could plausibly select it, not all of them.
 */
import { Hpa, KubeObject, Pdb, Workload, isPdb, isWorkload } from "./objects";
import { Labels, Requirement, matches } from "./selector";

/** Two-level lookup without building composite string keys on every probe. */
type NestedIndex<T> = Map<string, Map<string, T[]>>;

/** PDBs of one namespace, bucketed by the selector requirement that every match must satisfy. */
interface PdbIndex<S> {
    /** Selectors requiring `key=value` (matchLabels, or an `In` value), by key, then value. */
    readonly byLabel: NestedIndex<Pdb<S>>;
    /** Selectors requiring only that a key exists, by key. */
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
    /** HPAs by the kind, then the name, of their scale target. */
    readonly hpasByTarget: NestedIndex<Hpa<S>>;
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

function pushNested<V>(index: NestedIndex<V>, outer: string, inner: string, value: V): void {
    let map = index.get(outer);
    if (!map) {
        map = new Map();
        index.set(outer, map);
    }
    push(map, inner, value);
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
        pushNested(index.byLabel, firstLabel[0], firstLabel[1], pdb);
        return;
    }
    const anchor = selector.expressions.find(positive);
    if (!anchor) {
        index.unanchored.push(pdb);
    } else if (anchor.operator === "In") {
        // A pod has one value per key, so a PDB filed under several values is still found at most once.
        for (const value of anchor.values) {
            pushNested(index.byLabel, anchor.key, value, pdb);
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
                pushNested(namespace.hpasByTarget, object.targetKind, object.targetName, object);
            }
        }
    }
    return inventory;
}

function collectMatching<S>(candidates: readonly Pdb<S>[] | undefined, labels: Labels, into: Pdb<S>[]): void {
    for (const pdb of candidates ?? []) {
        if (matches(pdb.selector.selector, labels)) {
            into.push(pdb);
        }
    }
}

/** The PDBs of `namespace` whose selector selects pods labelled `labels`, in input order. */
export function pdbsSelecting<S>(namespace: Namespace<S>, labels: Labels): Pdb<S>[] {
    const { byLabel, byKey, unanchored } = namespace.pdbIndex;
    const selecting: Pdb<S>[] = [];
    collectMatching(unanchored, labels, selecting);
    for (const key in labels) {
        if (Object.prototype.hasOwnProperty.call(labels, key)) {
            collectMatching(byLabel.get(key)?.get(labels[key]), labels, selecting);
            collectMatching(byKey.get(key), labels, selecting);
        }
    }
    return selecting.length > 1 ? selecting.sort((a, b) => a.order - b.order) : selecting;
}

const NO_HPAS: readonly Hpa<never>[] = [];

/** The HPAs of `namespace` scaling `workload` (same kind and name; a same-named object of another kind does not count). */
export function hpasTargeting<S>(namespace: Namespace<S>, workload: Workload<S>): readonly Hpa<S>[] {
    return namespace.hpasByTarget.get(workload.kind)?.get(workload.ref.name) ?? NO_HPAS;
}
