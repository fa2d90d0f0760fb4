import { strict as assert } from "assert";
import { deployment, findingsOf, hpa, objectsOf, pdb, pdbFor, statefulSet } from "./fixtures";

const RULE = "pdb-allows-disruption";

/** Findings for a `web` Deployment at `replicas` under one PDB with `budget`. */
function judge(replicas: number | undefined, budget: Record<string, unknown>, extra: unknown[] = []) {
    return findingsOf(RULE, [deployment("web", { replicas }), pdbFor("web", budget), ...extra]);
}

describe("rules: pdb-allows-disruption", () => {
    it('maxUnavailable 0 and "0%" block every eviction', () => {
        for (const maxUnavailable of [0, "0%"]) {
            const [finding, ...rest] = judge(3, { maxUnavailable });
            assert.equal(rest.length, 0);
            assert.deepEqual(finding.object, { kind: "Deployment", namespace: "default", name: "web" });
            assert.deepEqual(finding.related, [{ kind: "PodDisruptionBudget", namespace: "default", name: "web-pdb" }]);
            assert.match(
                finding.message,
                /PodDisruptionBudget default\/web-pdb allows no voluntary disruption of Deployment default\/web at 3 replicas/,
            );
            assert.match(finding.message, /Fix: set maxUnavailable: 1/);
        }
    });

    it("a positive maxUnavailable passes, percentages rounding up", () => {
        assert.deepEqual(judge(3, { maxUnavailable: 1 }), []);
        assert.deepEqual(judge(1, { maxUnavailable: "10%" }), [], "10% of 1 rounds up to 1");
    });

    it("an integer minAvailable equal to or above the replica count blocks", () => {
        assert.match(judge(2, { minAvailable: 2 })[0].message, /minAvailable: 2 equals the replica count.*lower minAvailable to 1 or less/);
        assert.match(judge(2, { minAvailable: 5 })[0].message, /minAvailable: 5 exceeds the 2 replicas/);
        assert.deepEqual(judge(3, { minAvailable: 2 }), []);
    });

    it("minAvailable percentages round up", () => {
        assert.equal(judge(3, { minAvailable: "100%" }).length, 1);
        assert.deepEqual(judge(2, { minAvailable: "50%" }), []);
        assert.match(judge(2, { minAvailable: "60%" })[0].message, /"60%" of 2 replicas rounds up to 2/);
        assert.deepEqual(judge(3, { minAvailable: "66%" }), [], "66% of 3 is 1.98, rounds up to 2, one eviction left");
        assert.equal(judge(3, { minAvailable: "67%" }).length, 1, "67% of 3 is 2.01, rounds up to 3");
    });

    it("single-replica workloads are judged too: minAvailable 1 is a drain blocker", () => {
        const [finding] = judge(1, { minAvailable: 1 });
        assert.match(finding.message, /at 1 replica \(replicas: 1\)/);
        assert.match(finding.message, /run at least 2 replicas/);
        assert.equal(judge(undefined, { minAvailable: "50%" }).length, 1, "unset replicas is 1; 50% of 1 rounds up to 1");
    });

    it("a scaled-to-zero workload has nothing to evict", () => {
        assert.deepEqual(judge(0, { maxUnavailable: 0 }), []);
    });

    it("judges at the HPA floor", () => {
        const scaler = hpa("web", { kind: "Deployment", name: "web" }, 2);
        const [finding] = judge(undefined, { minAvailable: 2 }, [scaler]);
        assert.match(finding.message, /at 2 replicas \(HPA-driven/);
        assert.deepEqual(
            finding.related.map((r) => r.kind),
            ["PodDisruptionBudget", "HorizontalPodAutoscaler"],
        );
        assert.deepEqual(judge(undefined, { minAvailable: 2 }, [hpa("web", { kind: "Deployment", name: "web" }, 3)]), []);
    });

    it("with several PDBs over one workload, every one must allow a disruption", () => {
        const web = deployment("web", { replicas: 3, labels: { app: "web", tier: "frontend" } });
        const lenient = pdb("lenient", { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 });
        const strict = pdb("strict", { selector: { matchLabels: { tier: "frontend" } }, minAvailable: "100%" });
        const blocking = pdb("blocking", { selector: {}, maxUnavailable: 0 });
        assert.deepEqual(findingsOf(RULE, [web, lenient]), []);
        const findings = findingsOf(RULE, [web, lenient, strict, blocking]).filter((f) => /allows no voluntary disruption/.test(f.message));
        assert.deepEqual(
            findings.map((f) => f.related[0].name),
            ["blocking", "strict"],
        );
    });

    it("several PDBs over one workload are a finding however lenient each is: the eviction API refuses such pods", () => {
        const web = deployment("web", { replicas: 3, labels: { app: "web", tier: "frontend" } });
        const byApp = pdb("by-app", { selector: { matchLabels: { app: "web" } }, maxUnavailable: 1 });
        const byTier = pdb("by-tier", { selector: { matchLabels: { tier: "frontend" } }, maxUnavailable: 1 });
        const [finding, ...rest] = findingsOf(RULE, [web, byApp, byTier]);
        assert.equal(rest.length, 0);
        assert.deepEqual(finding.object, { kind: "Deployment", namespace: "default", name: "web" });
        assert.deepEqual(
            finding.related.map((r) => r.name),
            ["by-app", "by-tier"],
        );
        assert.match(
            finding.message,
            /selected by 2 PodDisruptionBudgets .*This pod has more than one PodDisruptionBudget.*Fix: keep one PodDisruptionBudget/,
        );
        assert.deepEqual(
            findingsOf(RULE, [deployment("web", { replicas: 0, labels: { app: "web", tier: "frontend" } }), byApp, byTier]),
            [],
            "no pods, nothing to evict",
        );
    });

    it("a PDB shared by several workloads is judged over all the pods it selects, as the disruption controller counts them", () => {
        const a = deployment("a", { replicas: 2, labels: { app: "a", tier: "x" } });
        const b = deployment("b", { replicas: 2, labels: { app: "b", tier: "x" } });
        const shared = (budget: Record<string, unknown>) => pdb("tier-x", { selector: { matchLabels: { tier: "x" } }, ...budget });
        assert.deepEqual(findingsOf(RULE, [a, b, shared({ minAvailable: 3 })]), [], "4 pods, minAvailable 3: one eviction left");
        assert.deepEqual(findingsOf(RULE, [a, b, shared({ minAvailable: "75%" })]), [], "75% of 4 is 3");
        const findings = findingsOf(RULE, [a, b, shared({ minAvailable: 4 })]);
        assert.deepEqual(objectsOf(findings), ["Deployment default/a", "Deployment default/b"]);
        assert.match(
            findings[0].message,
            /allows no voluntary disruption of Deployment default\/a with the 4 pods it selects \(Deployment default\/a: 2, Deployment default\/b: 2\): its minAvailable: 4 equals the 4 pods it selects/,
        );
        assert.deepEqual(
            findings[0].related.map((r) => r.name),
            ["tier-x", "b"],
        );
    });

    it("judges at the HPA floor even when replicas is set higher: the HPA may scale down to it", () => {
        const scaler = hpa("web", { kind: "Deployment", name: "web" }, 2);
        const [finding, ...rest] = judge(3, { minAvailable: 2 }, [scaler]);
        assert.equal(rest.length, 0);
        assert.match(
            finding.message,
            /at 2 replicas \(the floor HorizontalPodAutoscaler default\/web may scale it down to, from replicas: 3\)/,
        );
        assert.deepEqual(judge(3, { maxUnavailable: 1 }, [scaler]), []);
    });

    it("a PDB that selects nothing, or another namespace, is not judged against the workload", () => {
        assert.deepEqual(findingsOf(RULE, [deployment("web", { replicas: 3 }), pdbFor("api", { maxUnavailable: 0 })]), []);
        assert.deepEqual(findingsOf(RULE, [deployment("web", { replicas: 3 }), pdbFor("web", { maxUnavailable: 0 }, "other")]), []);
    });

    it("applies to StatefulSets", () => {
        assert.deepEqual(objectsOf(findingsOf(RULE, [statefulSet("db", { replicas: 3 }), pdbFor("db", { minAvailable: 3 })])), [
            "StatefulSet default/db",
        ]);
    });

    describe("malformed budgets", () => {
        it("are reported on the PDB, naming the workloads it selects", () => {
            for (const [budget, expected] of [
                [{ maxUnavailable: "abc%" }, /spec.maxUnavailable "abc%" is neither a non-negative integer nor a percentage/],
                [{ minAvailable: -1 }, /spec.minAvailable -1 is not a non-negative integer/],
                [{ minAvailable: "150%" }, /spec.minAvailable "150%" is more than 100%/],
                [{ minAvailable: 1, maxUnavailable: 1 }, /sets both minAvailable and maxUnavailable/],
            ] as const) {
                const findings = judge(3, budget);
                assert.deepEqual(objectsOf(findings), ["PodDisruptionBudget default/web-pdb"], JSON.stringify(budget));
                assert.deepEqual(findings[0].related, [{ kind: "Deployment", namespace: "default", name: "web" }]);
                assert.match(findings[0].message, expected);
                assert.match(findings[0].message, /Fix: set exactly one of minAvailable or maxUnavailable/);
            }
        });

        it("are reported even when the PDB selects nothing", () => {
            assert.deepEqual(objectsOf(findingsOf(RULE, [pdbFor("nothing", { maxUnavailable: "x" })])), [
                "PodDisruptionBudget default/nothing-pdb",
            ]);
        });
    });

    it("a PDB with neither field protects nothing and so never blocks", () => {
        assert.deepEqual(judge(3, {}), []);
    });

    describe("live status (kubectl get -o yaml)", () => {
        /** A PDB as the API returns it, with the disruption controller's status. */
        function live(budget: Record<string, unknown>, status: Record<string, unknown>): Record<string, unknown> {
            return { ...pdbFor("web", budget), status };
        }

        it("disruptionsAllowed 0 with an unhealthy pod: a drain would block now, with the count of unhealthy pods", () => {
            const status = { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 3, observedGeneration: 1 };
            const findings = findingsOf(RULE, [deployment("web", { replicas: 3 }), live({ maxUnavailable: 1 }, status)]);
            assert.deepEqual(
                objectsOf(findings),
                ["PodDisruptionBudget default/web-pdb"],
                "the budget itself is fine: only the live state blocks",
            );
            assert.deepEqual(findings[0].related, [{ kind: "Deployment", namespace: "default", name: "web" }]);
            assert.match(
                findings[0].message,
                /has status\.disruptionsAllowed 0, so a drain would block now: 1 of the 3 pods it selects is unhealthy/,
            );
            assert.match(findings[0].message, /currentHealthy 2, desiredHealthy 2/);
        });

        it("two unhealthy pods are counted as such", () => {
            const status = { currentHealthy: 1, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 3 };
            const [finding] = findingsOf(RULE, [deployment("web", { replicas: 3 }), live({ maxUnavailable: 1 }, status)]);
            assert.match(finding.message, /2 of the 3 pods it selects are unhealthy/);
        });

        it("all pods healthy and still 0: the budget leaves no room, next to the manifest finding", () => {
            const status = { currentHealthy: 2, desiredHealthy: 2, disruptionsAllowed: 0, expectedPods: 2 };
            const findings = findingsOf(RULE, [deployment("web", { replicas: 2 }), live({ minAvailable: 2 }, status)]);
            assert.deepEqual(objectsOf(findings), ["Deployment default/web", "PodDisruptionBudget default/web-pdb"]);
            assert.match(findings[1].message, /all 2 pods it selects are healthy, and it needs 2 healthy/);
        });

        it("a PDB over pods no Deployment or StatefulSet owns (an operator's) is reported too", () => {
            const status = { currentHealthy: 1, desiredHealthy: 1, disruptionsAllowed: 0, expectedPods: 1 };
            const findings = findingsOf(RULE, [live({ minAvailable: 1 }, status)]);
            assert.deepEqual(objectsOf(findings), ["PodDisruptionBudget default/web-pdb"]);
            assert.deepEqual(findings[0].related, []);
        });

        it("no report when evictions are allowed, when no pod is selected, or without a status", () => {
            const workload = deployment("web", { replicas: 3 });
            assert.deepEqual(
                findingsOf(RULE, [workload, live({ maxUnavailable: 1 }, { disruptionsAllowed: 1, currentHealthy: 3, expectedPods: 3 })]),
                [],
            );
            assert.deepEqual(
                findingsOf(RULE, [live({ maxUnavailable: 1 }, { disruptionsAllowed: 0, currentHealthy: 0, expectedPods: 0 })]),
                [],
            );
            assert.deepEqual(findingsOf(RULE, [workload, live({ maxUnavailable: 1 }, {})]), [], "a status not written yet says nothing");
        });

        it("a status without pod counts still reports, saying so", () => {
            const [finding] = findingsOf(RULE, [live({ maxUnavailable: 1 }, { disruptionsAllowed: 0 })]);
            assert.match(finding.message, /the status gives no pod counts\. Fix: kubectl describe pdb -n default web-pdb/);
        });
    });
});
