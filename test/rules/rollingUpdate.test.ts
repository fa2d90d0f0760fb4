import { strict as assert } from "assert";
import { SAFE_STRATEGY, deployment, findingsOf, hpa, statefulSet } from "./fixtures";

const RULE = "rolling-update-max-unavailable-zero";

function rolling(rollingUpdate: Record<string, unknown>) {
    return { type: "RollingUpdate", rollingUpdate };
}

function judge(strategy: unknown, replicas: unknown = 3) {
    return findingsOf(RULE, [deployment("web", { replicas, strategy })]);
}

describe("rules: rolling-update-max-unavailable-zero", () => {
    it('passes with maxUnavailable 0 or "0%" and a positive surge', () => {
        assert.deepEqual(judge(SAFE_STRATEGY), []);
        assert.deepEqual(judge(rolling({ maxUnavailable: "0%", maxSurge: "25%" })), []);
        assert.deepEqual(judge(rolling({ maxUnavailable: 0 })), [], "maxSurge unset is 25%, which rounds up to 1");
        assert.deepEqual(judge(rolling({ maxUnavailable: 0, maxSurge: "1%" })), [], "1% of 3 rounds up to 1");
    });

    it("an unset strategy fails: the default is 25% unavailable", () => {
        const [finding] = judge(null);
        assert.deepEqual(finding.object, { kind: "Deployment", namespace: "default", name: "web" });
        assert.match(finding.message, /spec.strategy is unset, so Kubernetes rolls with maxUnavailable 25%/);
        assert.match(finding.message, /Fix: set spec.strategy.type: RollingUpdate with rollingUpdate.maxUnavailable: 0 and maxSurge: 1/);
    });

    it("RollingUpdate without rollingUpdate values fails the same way", () => {
        assert.match(judge({ type: "RollingUpdate" })[0].message, /rollingUpdate.maxUnavailable is unset and defaults to 25%/);
        assert.match(judge({ rollingUpdate: { maxSurge: 1 } })[0].message, /defaults to 25%/, "type unset means RollingUpdate");
    });

    it("a positive maxUnavailable fails, saying how many pods go down", () => {
        assert.match(judge(rolling({ maxUnavailable: 1, maxSurge: 1 }))[0].message, /maxUnavailable: 1 lets 1 of 3 replicas be down/);
        assert.match(judge(rolling({ maxUnavailable: "50%" }), 4)[0].message, /maxUnavailable: "50%" lets 2 of 4 replicas be down/);
    });

    it("a percentage that rounds down to 0 today still fails", () => {
        const [finding] = judge(rolling({ maxUnavailable: "10%", maxSurge: 1 }));
        assert.match(
            finding.message,
            /maxUnavailable: "10%" rounds down to 0 at today's 3 replicas, yet lets pods go down from 10 replicas on/,
        );
    });

    it("maxSurge must resolve above 0", () => {
        assert.match(judge(rolling({ maxUnavailable: 0, maxSurge: 0 }))[0].message, /maxSurge: 0 leaves no room.*both 0/);
        assert.match(judge(rolling({ maxUnavailable: 0, maxSurge: "0%" }))[0].message, /maxSurge: "0%"/);
        const both = judge(rolling({ maxUnavailable: 1, maxSurge: 0 }));
        assert.equal(both.length, 1, "one finding per Deployment");
        assert.match(both[0].message, /maxUnavailable: 1 lets.*; and maxSurge: 0 leaves no room/);
    });

    it("Recreate on a multi-replica Deployment fails; on one replica it is allowed", () => {
        assert.match(judge({ type: "Recreate" })[0].message, /strategy Recreate, which stops every pod before starting new ones/);
        assert.deepEqual(judge({ type: "Recreate" }, 1), []);
    });

    it("below the threshold nothing is asked; the threshold is configurable", () => {
        assert.deepEqual(judge(null, 1), []);
        assert.deepEqual(findingsOf(RULE, [deployment("web", { strategy: null })]), [], "unset replicas without an HPA is 1");
        assert.deepEqual(findingsOf(RULE, [deployment("web", { replicas: 3, strategy: null })], { replicaThreshold: 4 }), []);
        assert.equal(findingsOf(RULE, [deployment("web", { replicas: 1, strategy: null })], { replicaThreshold: 1 }).length, 1);
    });

    it("an HPA floor brings an unset-replica Deployment under the rule", () => {
        const findings = findingsOf(RULE, [deployment("web", { strategy: null }), hpa("web", { kind: "Deployment", name: "web" }, 2)]);
        assert.equal(findings.length, 1);
        assert.deepEqual(findings[0].related, [{ kind: "HorizontalPodAutoscaler", namespace: "default", name: "web" }]);
    });

    it("never asks a StatefulSet for maxUnavailable 0", () => {
        const sts = statefulSet("db", { replicas: 3, strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } } });
        assert.deepEqual(findingsOf(RULE, [sts, statefulSet("plain", { replicas: 5 })]), []);
    });

    describe("malformed strategies are findings at any replica count", () => {
        const cases: [unknown, RegExp][] = [
            [rolling({ maxUnavailable: "abc%" }), /rollingUpdate.maxUnavailable "abc%" is neither/],
            [rolling({ maxUnavailable: "0" }), /rollingUpdate.maxUnavailable "0" is neither/],
            [rolling({ maxUnavailable: -1 }), /rollingUpdate.maxUnavailable -1 is not a non-negative integer/],
            [rolling({ maxUnavailable: 0, maxSurge: "x%" }), /rollingUpdate.maxSurge "x%"/],
            [rolling({ maxUnavailable: "120%" }), /more than 100%/],
            [{ type: "BlueGreen" }, /spec.strategy.type "BlueGreen" is neither RollingUpdate nor Recreate/],
            ["RollingUpdate", /spec.strategy "RollingUpdate" is not an object/],
            [{ type: "RollingUpdate", rollingUpdate: [] }, /rollingUpdate \[\] is not an object/],
        ];
        for (const [strategy, expected] of cases) {
            it(JSON.stringify(strategy), () => {
                const findings = judge(strategy, 1);
                assert.equal(findings.length, 1);
                assert.match(findings[0].message, expected);
                assert.match(findings[0].message, /Kubernetes rejects it\. Fix:/);
            });
        }
    });
});
