/**
 * The objects of one evaluation, indexed so that every lookup stays inside one namespace and,
 * within a namespace, PDB candidates are found through the rarest label of their selector. Matching a
 * workload therefore costs the number of PDBs that could plausibly select it, not all of them.
 */
import { Hpa, KubeObject, Pdb, Workload, isPdb, isWorkload } from "./objects";
import { Labels, matches } from "./selector";

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

/** How many workloads of a namespace carry each pod label, to file a PDB where the fewest will look. */
interface LabelCounts {
    /** Workloads by label key, then value. */
    readonly byLabel: Map<string, Map<string, number>>;
    /** Workloads by label key. */
    readonly byKey: Map<string, number>;
}

function countLabels(workloads: readonly Workload<unknown>[]): LabelCounts {
    const byLabel = new Map<string, Map<string, number>>();
    const byKey = new Map<string, number>();
    for (const workload of workloads) {
        const labels = workload.podLabels;
        for (const key in labels) {
            if (Object.prototype.hasOwnProperty.call(labels, key)) {
                byKey.set(key, (byKey.get(key) ?? 0) + 1);
                let values = byLabel.get(key);
                if (!values) {
                    values = new Map();
                    byLabel.set(key, values);
                }
                values.set(labels[key], (values.get(labels[key]) ?? 0) + 1);
            }
        }
    }
    return { byLabel, byKey };
}

/** A requirement every selected pod meets, as a place to file the PDB. */
type Anchor = { readonly key: string; readonly values: readonly string[] } | { readonly key: string; readonly exists: true };

/**
 * Files a PDB under the positive requirement that the fewest workloads meet. Any requirement would
 * be correct; the rarest keeps lookups short when selectors share a leading label (Helm's
 * `app.kubernetes.io/instance: <release>` first, say), which would otherwise put every PDB of a
 * release in one bucket that every workload of the release scans.
 */
function indexPdb<S>(index: PdbIndex<S>, pdb: Pdb<S>, counts: LabelCounts): void {
    const selector = pdb.selector.selector;
    if (selector.type === "nothing") {
        return;
    }
    if (selector.type === "everything") {
        index.unanchored.push(pdb);
        return;
    }
    let best: Anchor | undefined;
    let bestCount = Infinity;
    const consider = (anchor: Anchor, count: number) => {
        if (count < bestCount) {
            best = anchor;
            bestCount = count;
        }
    };
    for (const [key, value] of Object.entries(selector.matchLabels)) {
        consider({ key, values: [value] }, counts.byLabel.get(key)?.get(value) ?? 0);
    }
    for (const requirement of selector.expressions) {
        if (requirement.operator === "In") {
            let count = 0;
            for (const value of requirement.values) {
                count += counts.byLabel.get(requirement.key)?.get(value) ?? 0;
            }
            consider({ key: requirement.key, values: [...requirement.values] }, count);
        } else if (requirement.operator === "Exists") {
            consider({ key: requirement.key, exists: true }, counts.byKey.get(requirement.key) ?? 0);
        }
    }
    const anchor = best as Anchor | undefined;
    if (!anchor) {
        index.unanchored.push(pdb);
    } else if ("values" in anchor) {
        // A pod has one value per key, so a PDB filed under several values is still found at most once.
        for (const value of anchor.values) {
            pushNested(index.byLabel, anchor.key, value, pdb);
        }
    } else {
        push(index.byKey, anchor.key, pdb);
    }
}

function emptyNamespace<S>(): Namespace<S> {
    return {
        workloads: [],
        pdbs: [],
        hpas: [],
        hpasByTarget: new Map(),
        pdbIndex: { byLabel: new Map(), byKey: new Map(), unanchored: [] },
    };
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
        } else {
            namespace.hpas.push(object);
            if (object.targetKind && object.targetName) {
                pushNested(namespace.hpasByTarget, object.targetKind, object.targetName, object);
            }
        }
    }
    // PDBs are filed once every workload is known, under their rarest requirement.
    for (const namespace of inventory.values()) {
        const counts = countLabels(namespace.workloads);
        for (const pdb of namespace.pdbs) {
            indexPdb(namespace.pdbIndex, pdb, counts);
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
