import { strict as assert } from "assert";
import { deployment, findingsOf, hpa, objectsOf, pdb, pdbFor, statefulSet } from "./fixtures";

const RULE = "workload-has-pdb";

describe("rules: workload-has-pdb", () => {
    it("flags a multi-replica Deployment without a PDB, naming the labels and the fix", () => {
        const [finding, ...rest] = findingsOf(RULE, [deployment("web", { replicas: 3, namespace: "shop" })]);
        assert.equal(rest.length, 0);
        assert.deepEqual(finding.object, { kind: "Deployment", namespace: "shop", name: "web" });
        assert.equal(finding.severity, "error");
        assert.equal(finding.source, 0);
        assert.match(finding.message, /runs 3 replicas \(replicas: 3\)/);
        assert.match(finding.message, /no PodDisruptionBudget in namespace "shop" selects its pod labels \{app=web\}/);
        assert.match(
            finding.message,
            /Fix: add a policy\/v1 PodDisruptionBudget in namespace "shop" with selector.matchLabels \{app: web\} and maxUnavailable: 1/,
        );
    });

    it("passes when a PDB in the namespace selects the pods", () => {
        assert.deepEqual(findingsOf(RULE, [deployment("web", { replicas: 3 }), pdbFor("web", { maxUnavailable: 1 })]), []);
    });

    it("flags StatefulSets too", () => {
        assert.deepEqual(objectsOf(findingsOf(RULE, [statefulSet("db", { replicas: 3, namespace: "data" })])), ["StatefulSet data/db"]);
    });

    it("leaves single-replica and unset-replica workloads alone at the default threshold", () => {
        assert.deepEqual(
            findingsOf(RULE, [deployment("one", { replicas: 1 }), deployment("unset"), statefulSet("zero", { replicas: 0 })]),
            [],
        );
    });

    it("the threshold is configurable and inclusive", () => {
        const two = [deployment("web", { replicas: 2 })];
        assert.equal(findingsOf(RULE, two).length, 1);
        assert.equal(findingsOf(RULE, two, { replicaThreshold: 3 }).length, 0);
        assert.equal(findingsOf(RULE, [deployment("web")], { replicaThreshold: 1 }).length, 1, "unset replicas count as 1");
    });

    it("a PDB in another namespace does not cover the workload", () => {
        const findings = findingsOf(RULE, [
            deployment("web", { replicas: 3, namespace: "shop" }),
            pdbFor("web", { maxUnavailable: 1 }, "other"),
        ]);
        assert.deepEqual(objectsOf(findings), ["Deployment shop/web"]);
    });

    it("objects without a namespace are in the default namespace, which is configurable", () => {
        const bare = deployment("web", { replicas: 3 });
        assert.deepEqual(findingsOf(RULE, [bare, pdbFor("web", { maxUnavailable: 1 }, "default")]), []);
        assert.deepEqual(
            findingsOf(RULE, [deployment("web", { replicas: 3, namespace: "default" }), pdbFor("web", { maxUnavailable: 1 })]),
            [],
        );
        assert.deepEqual(findingsOf(RULE, [bare, pdbFor("web", { maxUnavailable: 1 }, "apps")], { defaultNamespace: "apps" }), []);
        assert.deepEqual(
            objectsOf(findingsOf(RULE, [bare, pdbFor("web", { maxUnavailable: 1 }, "default")], { defaultNamespace: "apps" })),
            ["Deployment apps/web"],
        );
    });

    describe("HPA-driven replica counts", () => {
        it("unset replicas with an HPA: minReplicas is the count", () => {
            const [finding] = findingsOf(RULE, [deployment("web"), hpa("web", { kind: "Deployment", name: "web" }, 3)]);
            assert.match(finding.message, /runs 3 replicas \(HPA-driven: HorizontalPodAutoscaler default\/web has minReplicas 3\)/);
            assert.deepEqual(finding.related, [{ kind: "HorizontalPodAutoscaler", namespace: "default", name: "web" }]);
        });

        it("minReplicas is a floor under declared replicas, never a ceiling", () => {
            assert.equal(
                findingsOf(RULE, [deployment("web", { replicas: 1 }), hpa("web-hpa", { kind: "Deployment", name: "web" }, 2)]).length,
                1,
            );
            assert.equal(
                findingsOf(RULE, [deployment("web", { replicas: 3 }), hpa("web-hpa", { kind: "Deployment", name: "web" }, 1)]).length,
                1,
            );
        });

        it("minReplicas defaults to 1", () => {
            assert.deepEqual(findingsOf(RULE, [deployment("web"), hpa("web", { kind: "Deployment", name: "web" })]), []);
        });

        it("an HPA matches by namespace, kind and name, not by name alone", () => {
            const web = deployment("web", { namespace: "shop" });
            assert.deepEqual(findingsOf(RULE, [web, hpa("web", { kind: "StatefulSet", name: "web" }, 3, "shop")]), [], "other kind");
            assert.deepEqual(findingsOf(RULE, [web, hpa("web", { kind: "Deployment", name: "web" }, 3, "other")]), [], "other namespace");
            assert.deepEqual(
                findingsOf(RULE, [web, hpa("web", { kind: "Deployment", name: "api" }, 3, "shop")]),
                [],
                "same HPA name, other target",
            );
            assert.equal(
                findingsOf(RULE, [web, hpa("scaler", { kind: "Deployment", name: "web" }, 3, "shop")]).length,
                1,
                "other HPA name, same target",
            );
        });

        it("scales StatefulSets too", () => {
            assert.equal(findingsOf(RULE, [statefulSet("db"), hpa("db", { kind: "StatefulSet", name: "db" }, 2)]).length, 1);
        });
    });

    describe("malformed values", () => {
        it("unreadable replicas are a finding, not a crash, and stop the other rules for that workload", () => {
            for (const replicas of ["three", -1, 2.5]) {
                const findings = findingsOf(RULE, [deployment("web", { replicas, strategy: { type: "Recreate" } })]);
                assert.equal(findings.length, 1);
                assert.match(findings[0].message, /spec.replicas .* is not a non-negative integer.*Fix:/);
            }
        });

        it("an unreadable HPA minReplicas is reported on the HPA, naming its target", () => {
            const findings = findingsOf(RULE, [deployment("web"), hpa("web", { kind: "Deployment", name: "web" }, "2")]);
            assert.deepEqual(objectsOf(findings), ["HorizontalPodAutoscaler default/web"]);
            assert.deepEqual(findings[0].related, [{ kind: "Deployment", namespace: "default", name: "web" }]);
            assert.match(findings[0].message, /minReplicas "2" is not a non-negative integer/);
        });
    });

    it("ignores other kinds and look-alike kinds from other API groups", () => {
        const lookAlike = { ...deployment("web", { replicas: 3 }), apiVersion: "example.com/v1" };
        const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web" }, spec: {} };
        assert.deepEqual(findingsOf(RULE, [lookAlike, service, null, "text", [1, 2]]), []);
    });

    it("a PDB that covers the pods counts even if its budget is broken (that is the other rule's finding)", () => {
        const findings = findingsOf(RULE, [
            deployment("web", { replicas: 3 }),
            pdb("web", { selector: { matchLabels: { app: "web" } }, maxUnavailable: "abc%" }),
        ]);
        assert.deepEqual(findings, []);
    });
});
