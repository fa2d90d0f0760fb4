import { strict as assert } from "assert";
import { evaluate, parseExemptionPattern } from "../../policies/rules";
import { resolveOptions } from "../../policies/rules/options";
import { check, deployment, hpa, objectsOf, pdb, pdbFor, statefulSet } from "./fixtures";

/** A workload that breaks all three rules (3 replicas, Recreate, a PDB that blocks is added separately). */
function broken(name: string, namespace: string) {
    return deployment(name, { replicas: 3, namespace, strategy: { type: "Recreate" } });
}

describe("rules: engine options and behaviour", () => {
    it("exempts by namespace glob and by name glob", () => {
        const objects = [
            broken("coredns", "kube-system"),
            broken("coredns", "dns"),
            broken("metrics", "kube-system"),
            broken("web", "shop"),
        ];
        const exemptions = [parseExemptionPattern("kube-system/*"), parseExemptionPattern("*/coredns")].map((e) => {
            assert.notEqual(typeof e, "string");
            return e as Exclude<typeof e, string>;
        });
        assert.deepEqual([...new Set(objectsOf(check(objects, { exemptions })))], ["Deployment shop/web"]);
    });

    it("exemption objects may give only a namespace or only a name; ? matches one character", () => {
        const objects = [broken("web-1", "team-a"), broken("web-22", "team-b"), broken("api", "team-c")];
        assert.deepEqual([...new Set(objectsOf(check(objects, { exemptions: [{ namespace: "team-?" }] })))], []);
        assert.deepEqual(
            [...new Set(objectsOf(check(objects, { exemptions: [{ name: "web-?" }] })))],
            ["Deployment team-b/web-22", "Deployment team-c/api"],
        );
    });

    it("rejects exemption patterns without exactly one slash", () => {
        for (const bad of ["kube-system", "a/b/c", "/x", "x/"]) {
            assert.match(parseExemptionPattern(bad) as string, /must look like "namespace\/name"/);
        }
    });

    it("rules can be set to warning or turned off", () => {
        const objects = [broken("web", "shop"), pdbFor("web", { maxUnavailable: 0 }, "shop")];
        const all = check(objects);
        assert.deepEqual(
            all.map((f) => f.rule),
            ["pdb-allows-disruption", "rolling-update-max-unavailable-zero"],
        );
        const tuned = check(objects, { rules: { "pdb-allows-disruption": "warning", "rolling-update-max-unavailable-zero": "off" } });
        assert.deepEqual(
            tuned.map((f) => [f.rule, f.severity]),
            [["pdb-allows-disruption", "warning"]],
        );
    });

    it("hands back each object's source and counts what it read", () => {
        const result = evaluate(
            [
                { object: deployment("web", { replicas: 3 }), source: { file: "a.yaml", line: 4 } },
                { object: statefulSet("db"), source: { file: "b.yaml", line: 1 } },
                { object: hpa("web", { kind: "Deployment", name: "web" }) },
                { object: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" } } },
            ],
            {},
        );
        assert.deepEqual(result.findings[0].source, { file: "a.yaml", line: 4 });
        assert.deepEqual(result.checked, { Deployment: 1, StatefulSet: 1, PodDisruptionBudget: 0, HorizontalPodAutoscaler: 1 });
    });

    it("orders findings by namespace, name and kind, then by rule, whatever the input order", () => {
        const objects = [broken("b", "z"), broken("a", "z"), statefulSet("a", { replicas: 2, namespace: "m" }), broken("c", "a")];
        const forward = check(objects);
        const backward = check([...objects].reverse());
        const key = (f: (typeof forward)[number]) => `${f.object.namespace}/${f.object.name}/${f.object.kind}/${f.rule}`;
        assert.deepEqual(forward.map(key), backward.map(key));
        assert.deepEqual(forward.map(key), [
            "a/c/Deployment/workload-has-pdb",
            "a/c/Deployment/rolling-update-max-unavailable-zero",
            "m/a/StatefulSet/workload-has-pdb",
            "z/a/Deployment/workload-has-pdb",
            "z/a/Deployment/rolling-update-max-unavailable-zero",
            "z/b/Deployment/workload-has-pdb",
            "z/b/Deployment/rolling-update-max-unavailable-zero",
        ]);
    });

    it("keeps namespaces apart when many share the same labels", () => {
        const objects: unknown[] = [];
        for (let i = 0; i < 300; i++) {
            objects.push(deployment("web", { replicas: 3, namespace: `ns-${i}` }));
            // Every other namespace gets its PDB; the rest must be reported, and only those.
            if (i % 2 === 0) {
                objects.push(pdbFor("web", { maxUnavailable: 1 }, `ns-${i}`));
            }
        }
        const uncovered = check(objects).map((f) => f.object.namespace);
        assert.equal(uncovered.length, 150);
        assert.ok(uncovered.every((ns) => Number(ns.slice(3)) % 2 === 1));
    });

    it("finds PDBs anchored on any selector form within a crowded namespace", () => {
        const objects: unknown[] = [];
        for (let i = 0; i < 200; i++) {
            objects.push(deployment(`app-${i}`, { replicas: 2, labels: { app: `app-${i}`, team: i % 2 ? "odd" : "even" } }));
        }
        objects.push(
            pdbFor("app-7", { maxUnavailable: 1 }),
            {
                ...pdbFor("x", { maxUnavailable: 1 }),
                metadata: { name: "in" },
                spec: { maxUnavailable: 1, selector: { matchExpressions: [{ key: "app", operator: "In", values: ["app-8", "app-9"] }] } },
            },
            {
                ...pdbFor("x", { maxUnavailable: 1 }),
                metadata: { name: "odd" },
                spec: {
                    maxUnavailable: 1,
                    selector: {
                        matchExpressions: [
                            { key: "team", operator: "Exists" },
                            { key: "team", operator: "NotIn", values: ["even"] },
                        ],
                    },
                },
            },
        );
        const uncovered = new Set(
            check(objects)
                .filter((f) => f.rule === "workload-has-pdb")
                .map((f) => f.object.name),
        );
        assert.equal(uncovered.size, 99, "100 even apps, minus app-8");
        assert.ok(!uncovered.has("app-8") && !uncovered.has("app-7") && !uncovered.has("app-9") && uncovered.has("app-10"));
    });

    it("matches exactly when every selector leads with a label all workloads share (Helm's release label first)", () => {
        const objects: unknown[] = [];
        for (let i = 0; i < 50; i++) {
            const labels = { "app.kubernetes.io/instance": "shop", "app.kubernetes.io/name": `svc-${i}` };
            objects.push(deployment(`svc-${i}`, { replicas: 2, labels }));
            if (i !== 13) {
                objects.push(pdb(`svc-${i}`, { selector: { matchLabels: labels }, maxUnavailable: 1 }));
            }
        }
        assert.deepEqual(objectsOf(check(objects).filter((f) => f.rule === "workload-has-pdb")), ["Deployment default/svc-13"]);
        assert.deepEqual(
            check(objects).filter((f) => f.rule === "pdb-allows-disruption"),
            [],
        );
    });

    it("refuses nonsensical options", () => {
        assert.throws(() => resolveOptions({ replicaThreshold: 0 }), /replicaThreshold/);
        assert.throws(() => resolveOptions({ replicaThreshold: 1.5 }), /replicaThreshold/);
        assert.throws(() => resolveOptions({ defaultNamespace: "" }), /defaultNamespace/);
    });
});
