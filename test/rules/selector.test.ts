import { strict as assert } from "assert";
import { matches, parseSelector } from "../../policies/rules/selector";
import { deployment, findingsOf, objectsOf, pdb } from "./fixtures";

const labels = { app: "web", tier: "frontend", track: "stable" };

function selects(raw: unknown, podLabels: Record<string, string> = labels): boolean {
    const parsed = parseSelector(raw, true);
    assert.equal(parsed.problem, undefined, `unexpected problem: ${parsed.problem}`);
    return matches(parsed.selector, podLabels);
}

describe("rules: label selectors", () => {
    it("matchLabels needs every pair, with exact values", () => {
        assert.ok(selects({ matchLabels: { app: "web" } }));
        assert.ok(selects({ matchLabels: { app: "web", tier: "frontend" } }));
        assert.ok(!selects({ matchLabels: { app: "web", tier: "backend" } }));
        assert.ok(!selects({ matchLabels: { app: "web", missing: "x" } }));
        // A prototype property is not a label.
        assert.ok(!selects({ matchLabels: { constructor: "x" } }));
    });

    it("In: the label exists and its value is listed", () => {
        assert.ok(selects({ matchExpressions: [{ key: "tier", operator: "In", values: ["backend", "frontend"] }] }));
        assert.ok(!selects({ matchExpressions: [{ key: "tier", operator: "In", values: ["backend"] }] }));
        assert.ok(!selects({ matchExpressions: [{ key: "zone", operator: "In", values: ["a"] }] }));
    });

    it("NotIn: the label is absent or its value is not listed", () => {
        assert.ok(selects({ matchExpressions: [{ key: "track", operator: "NotIn", values: ["canary"] }] }));
        assert.ok(selects({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }), "absent key satisfies NotIn");
        assert.ok(!selects({ matchExpressions: [{ key: "track", operator: "NotIn", values: ["stable"] }] }));
    });

    it("Exists and DoesNotExist look at the key only", () => {
        assert.ok(selects({ matchExpressions: [{ key: "tier", operator: "Exists" }] }));
        assert.ok(!selects({ matchExpressions: [{ key: "zone", operator: "Exists" }] }));
        assert.ok(selects({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }));
        assert.ok(!selects({ matchExpressions: [{ key: "tier", operator: "DoesNotExist", values: [] }] }));
    });

    it("matchLabels and every expression are ANDed", () => {
        const both = (track: string) => ({
            matchLabels: { app: "web" },
            matchExpressions: [
                { key: "tier", operator: "Exists" },
                { key: "track", operator: "In", values: [track] },
                { key: "zone", operator: "DoesNotExist" },
            ],
        });
        assert.ok(selects(both("stable")));
        assert.ok(!selects(both("canary")));
    });

    it("an empty selector selects every pod, even one without labels; a missing or null one selects none", () => {
        assert.ok(selects({}));
        assert.ok(selects({}, {}));
        assert.ok(selects({ matchLabels: {}, matchExpressions: [] }));
        for (const raw of [undefined, null]) {
            const parsed = parseSelector(raw, true);
            assert.equal(parsed.problem, undefined);
            assert.ok(!matches(parsed.selector, labels));
        }
    });

    it("a null label value (`app:` with nothing after it) is the empty string, as the API server reads it, never a wildcard", () => {
        assert.ok(!selects({ matchLabels: { app: null } }), 'app=web is not app=""');
        assert.ok(selects({ matchLabels: { app: null } }, { app: "" }));
        assert.ok(!selects({ matchLabels: { app: null } }, {}), "the label must exist");
    });

    it("policy/v1beta1: an empty selector selects nothing", () => {
        assert.ok(!matches(parseSelector({}, false).selector, labels));
    });

    it("malformed selectors are reported and select nothing", () => {
        const cases: [unknown, RegExp][] = [
            ["app=web", /not a label selector object/],
            [{ matchLabels: ["app"] }, /matchLabels must be a map/],
            [{ matchExpressions: { key: "app" } }, /matchExpressions must be a list/],
            [{ matchExpressions: [{ key: "app", operator: "Equals", values: ["web"] }] }, /operator "Equals"/],
            [{ matchExpressions: [{ key: "app", operator: "In", values: [] }] }, /non-empty list/],
            [{ matchExpressions: [{ key: "app", operator: "In" }] }, /non-empty list/],
            [{ matchExpressions: [{ key: "app", operator: "Exists", values: ["web"] }] }, /must not list values/],
            [{ matchExpressions: [{ operator: "Exists" }] }, /non-empty "key"/],
            [{ matchLabels: { app: { name: "web" } } }, /matchLabels\.app is \{"name":"web"\}; a label value must be a string/],
            [{ matchLabels: { app: ["web"] } }, /matchLabels\.app is \["web"\]/],
        ];
        for (const [raw, expected] of cases) {
            const parsed = parseSelector(raw, true);
            assert.match(parsed.problem ?? "", expected, JSON.stringify(raw));
            assert.ok(!matches(parsed.selector, labels));
        }
    });
});

describe("rules: PDB coverage through selectors", () => {
    const web = deployment("web", { replicas: 3, labels, namespace: "shop" });
    const covered = (selector: unknown, apiVersion = "policy/v1") =>
        findingsOf("workload-has-pdb", [web, pdb("budget", { selector, maxUnavailable: 1 }, "shop", apiVersion)]).length === 0;

    it("each operator decides coverage", () => {
        assert.ok(covered({ matchExpressions: [{ key: "tier", operator: "In", values: ["frontend"] }] }));
        assert.ok(!covered({ matchExpressions: [{ key: "tier", operator: "NotIn", values: ["frontend"] }] }));
        assert.ok(covered({ matchExpressions: [{ key: "zone", operator: "NotIn", values: ["a"] }] }));
        assert.ok(covered({ matchExpressions: [{ key: "track", operator: "Exists" }] }));
        assert.ok(!covered({ matchExpressions: [{ key: "track", operator: "DoesNotExist" }] }));
        assert.ok(covered({ matchExpressions: [{ key: "zone", operator: "DoesNotExist" }] }));
    });

    it("one matching label is not enough when another is required (no any-label over-matching)", () => {
        assert.ok(!covered({ matchLabels: { app: "web", tier: "backend" } }));
    });

    it("empty selector covers; null or missing selector does not; v1beta1 empty does not", () => {
        assert.ok(covered({}));
        assert.ok(!covered(null));
        assert.ok(!covered(undefined));
        assert.ok(!covered({}, "policy/v1beta1"));
        assert.ok(covered({ matchLabels: { app: "web" } }, "policy/v1beta1"));
    });

    it("a malformed selector covers nothing and is reported on the PDB", () => {
        const findings = findingsOf("workload-has-pdb", [
            web,
            pdb("budget", { selector: { matchExpressions: [{ key: "app", operator: "in", values: ["web"] }] }, maxUnavailable: 1 }, "shop"),
        ]);
        assert.deepEqual(objectsOf(findings), ["PodDisruptionBudget shop/budget", "Deployment shop/web"]);
        assert.match(findings[0].message, /operator "in".*Fix:/);
    });
});
