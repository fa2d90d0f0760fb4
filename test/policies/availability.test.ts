import { strict as assert } from "assert";
import { pdbAllowsDisruption } from "../../policies/availability/pdbAllowsDisruption";
import { rollingUpdateMaxUnavailableZero } from "../../policies/availability/rollingUpdate";
import { rollingUpdateHpaDriven } from "../../policies/availability/rollingUpdateHpaDriven";
import { workloadHasPdb } from "../../policies/availability/workloadHasPdb";
import { KUBERNETES_TYPES } from "../../policies/support/types";
import { SAFE_STRATEGY, deployment, hpa, pdbFor, statefulSet } from "../rules/fixtures";
import { HarnessResource, UNKNOWN, runResourcePolicy, runStackPolicy, urnOf } from "./harness";

const TYPE_BY_KIND: Record<string, string> = {
    Deployment: KUBERNETES_TYPES.deployment,
    StatefulSet: KUBERNETES_TYPES.statefulSet,
    PodDisruptionBudget: KUBERNETES_TYPES.podDisruptionBudget,
    HorizontalPodAutoscaler: KUBERNETES_TYPES.horizontalPodAutoscaler,
};

/** A Kubernetes object as a Pulumi resource: the object is its props, the logical name is `<kind>-<name>`. */
function k8s(object: Record<string, unknown>, extra: Partial<HarnessResource> = {}): HarnessResource {
    const kind = object.kind as string;
    const name = `${kind.toLowerCase()}-${(object.metadata as { name: string }).name}`;
    return { type: TYPE_BY_KIND[kind], name, props: object, ...extra };
}

function urnFor(resource: HarnessResource): string {
    return urnOf(resource.type, resource.name);
}

/** `object` with `path` set to `value` (a copy). */
function withField(object: Record<string, unknown>, path: string[], value: unknown): Record<string, unknown> {
    const copy = JSON.parse(JSON.stringify(object)) as Record<string, unknown>;
    let current = copy;
    for (const key of path.slice(0, -1)) {
        current[key] ??= {};
        current = current[key] as Record<string, unknown>;
    }
    current[path[path.length - 1]] = value;
    return copy;
}

describe("policies: workload-has-pdb (stack)", () => {
    it("reports an uncovered workload at its own URN, with the engine's message", async () => {
        const web = k8s(deployment("web", { replicas: 3, namespace: "shop" }));
        const outcome = await runStackPolicy(workloadHasPdb, [web, k8s(statefulSet("db", { replicas: 1, namespace: "shop" }))]);
        assert.equal(outcome.violations.length, 1);
        assert.equal(outcome.violations[0].urn, urnFor(web));
        assert.match(outcome.violations[0].message, /Deployment shop\/web runs 3 replicas .* Fix: add a policy\/v1 PodDisruptionBudget/);
        assert.deepEqual(outcome.advisories, []);
    });

    it("passes a covered workload and ignores everything that is not Kubernetes", async () => {
        const outcome = await runStackPolicy(workloadHasPdb, [
            k8s(deployment("web", { replicas: 3 })),
            k8s(pdbFor("web", { maxUnavailable: 1 })),
            { type: "hcloud:index/server:Server", name: "node", props: { name: "node" } },
        ]);
        assert.deepEqual(outcome, { violations: [], advisories: [], notApplicable: [] });
    });

    it("reads replicaThreshold and exemptions from the policy config (no schema defaults applied)", async () => {
        const resources = [
            k8s(deployment("web", { replicas: 3, namespace: "shop" })),
            k8s(deployment("coredns", { replicas: 2, namespace: "kube-system" })),
        ];
        assert.equal((await runStackPolicy(workloadHasPdb, resources)).violations.length, 2);
        assert.equal((await runStackPolicy(workloadHasPdb, resources, { replicaThreshold: 4 })).violations.length, 0);
        assert.deepEqual(
            (await runStackPolicy(workloadHasPdb, resources, { exemptions: ["kube-system/*"] })).violations.map((v) => v.urn),
            [urnFor(resources[0])],
        );
    });

    it("a resource without a namespace lands in its provider's namespace", async () => {
        const provider = {
            type: "pulumi:providers:kubernetes",
            name: "apps-cluster",
            urn: urnOf("pulumi:providers:kubernetes", "apps-cluster"),
            props: { namespace: "apps" },
        };
        const outcome = await runStackPolicy(workloadHasPdb, [
            k8s(deployment("web", { replicas: 3 }), { provider }),
            k8s(pdbFor("web", { maxUnavailable: 1 }, "apps"), { provider }),
        ]);
        assert.deepEqual(outcome.violations, []);
        const defaulted = await runStackPolicy(workloadHasPdb, [
            k8s(deployment("web", { replicas: 3 })),
            k8s(pdbFor("web", { maxUnavailable: 1 }, "apps")),
        ]);
        assert.equal(defaulted.violations.length, 1, "without a provider namespace the default namespace applies");
    });

    it("namespaces of different clusters (providers) never cover each other", async () => {
        const cluster = (name: string) => ({ type: "pulumi:providers:kubernetes", name, urn: urnOf("pulumi:providers:kubernetes", name) });
        const outcome = await runStackPolicy(workloadHasPdb, [
            k8s(deployment("web", { replicas: 3, namespace: "shop" }), { provider: cluster("a"), urn: "urn:web-a" }),
            k8s(pdbFor("web", { maxUnavailable: 1 }, "shop"), { provider: cluster("b") }),
        ]);
        assert.deepEqual(
            outcome.violations.map((v) => v.urn),
            ["urn:web-a"],
        );
    });

    describe("during preview", () => {
        it("an unknown replica count withholds that namespace only, and says so in an advisory", async () => {
            const pending = k8s(withField(deployment("pending", { namespace: "new" }), ["spec", "replicas"], UNKNOWN.number));
            const uncovered = k8s(deployment("uncovered", { replicas: 3, namespace: "shop" }));
            const alsoNew = k8s(deployment("also-new", { replicas: 3, namespace: "new" }));
            const outcome = await runStackPolicy(workloadHasPdb, [pending, uncovered, alsoNew]);
            assert.deepEqual(
                outcome.violations.map((v) => v.urn),
                [urnFor(uncovered)],
            );
            assert.deepEqual(outcome.advisories, [
                "can't run policy 'workload-has-pdb' during preview: number value at .spec.replicas can't be known during preview " +
                    "(in kubernetes:apps/v1:Deployment deployment-pending; namespace new not judged)",
            ]);
        });

        it("an unknown PDB selector withholds its namespace rather than reporting a false 'no PDB'", async () => {
            const web = k8s(deployment("web", { replicas: 3, namespace: "shop" }));
            const budget = k8s(withField(pdbFor("web", { maxUnavailable: 1 }, "shop"), ["spec", "selector"], UNKNOWN.object));
            const outcome = await runStackPolicy(workloadHasPdb, [web, budget]);
            assert.deepEqual(outcome.violations, []);
            assert.match(
                outcome.advisories[0],
                /Object value at \.spec\.selector can't be known during preview \(in kubernetes:policy\/v1:PodDisruptionBudget/,
            );
        });

        it("an unknown namespace withholds everything", async () => {
            const lost = k8s(withField(deployment("lost", { replicas: 3 }), ["metadata", "namespace"], UNKNOWN.string));
            const outcome = await runStackPolicy(workloadHasPdb, [lost, k8s(deployment("web", { replicas: 3, namespace: "shop" }))]);
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.advisories[0], /metadata\.namespace can't be known during preview .*no namespace judged/);
        });

        it("unknowns in fields the rules do not read change nothing", async () => {
            const web = withField(
                withField(deployment("web", { replicas: 3 }), ["status"], UNKNOWN.object),
                ["spec", "template", "spec", "containers"],
                UNKNOWN.array,
            );
            const outcome = await runStackPolicy(workloadHasPdb, [
                k8s(web),
                k8s(withField(pdbFor("web", { maxUnavailable: 1 }), ["metadata", "uid"], UNKNOWN.string)),
            ]);
            assert.deepEqual(outcome, { violations: [], advisories: [], notApplicable: [] });
        });
    });

    it("malformed values become violations, not crashes", async () => {
        const outcome = await runStackPolicy(workloadHasPdb, [k8s(deployment("web", { replicas: "three" }))]);
        assert.match(outcome.violations[0].message, /spec.replicas "three" is not a non-negative integer/);
    });
});

describe("policies: pdb-allows-disruption (stack)", () => {
    it("reports the workload a PDB blocks, naming the PDB and the fix", async () => {
        const web = k8s(deployment("web", { replicas: 2, namespace: "shop" }));
        const outcome = await runStackPolicy(pdbAllowsDisruption, [web, k8s(pdbFor("web", { minAvailable: "100%" }, "shop"))]);
        assert.equal(outcome.violations.length, 1);
        assert.equal(outcome.violations[0].urn, urnFor(web));
        assert.match(
            outcome.violations[0].message,
            /PodDisruptionBudget shop\/web-pdb allows no voluntary disruption of Deployment shop\/web at 2 replicas.*Fix:/,
        );
    });

    it("judges at the HPA floor and passes a budget that leaves room", async () => {
        const resources = [
            k8s(deployment("web")),
            k8s(hpa("web", { kind: "Deployment", name: "web" }, 3)),
            k8s(pdbFor("web", { minAvailable: 2 })),
        ];
        assert.deepEqual((await runStackPolicy(pdbAllowsDisruption, resources)).violations, []);
        const tight = [...resources.slice(0, 2), k8s(pdbFor("web", { minAvailable: 3 }))];
        assert.equal((await runStackPolicy(pdbAllowsDisruption, tight)).violations.length, 1);
    });
});

describe("policies: rolling-update-max-unavailable-zero (resource) and rolling-update-hpa-driven (stack)", () => {
    it("the resource policy judges a Deployment's inputs on their own", async () => {
        const unset = await runResourcePolicy(rollingUpdateMaxUnavailableZero, k8s(deployment("web", { replicas: 3, strategy: null })));
        assert.equal(unset.violations.length, 1);
        assert.match(unset.violations[0].message, /spec.strategy is unset, so Kubernetes rolls with maxUnavailable 25%/);
        assert.equal(unset.violations[0].urn, urnOf(KUBERNETES_TYPES.deployment, "deployment-web"));
        assert.deepEqual(
            (await runResourcePolicy(rollingUpdateMaxUnavailableZero, k8s(deployment("web", { replicas: 3, strategy: SAFE_STRATEGY }))))
                .violations,
            [],
        );
        assert.equal(
            (
                await runResourcePolicy(
                    rollingUpdateMaxUnavailableZero,
                    k8s(deployment("web", { replicas: 3, strategy: { type: "Recreate" } })),
                )
            ).violations.length,
            1,
        );
    });

    it("is not applicable to StatefulSets or anything else", async () => {
        const outcome = await runResourcePolicy(rollingUpdateMaxUnavailableZero, k8s(statefulSet("db", { replicas: 3 })));
        assert.deepEqual(outcome.notApplicable, ["applies to kubernetes:apps/v1:Deployment only"]);
    });

    it("an unknown strategy during preview is an advisory", async () => {
        const outcome = await runResourcePolicy(
            rollingUpdateMaxUnavailableZero,
            k8s(withField(deployment("web", { replicas: 3 }), ["spec", "strategy", "rollingUpdate", "maxUnavailable"], UNKNOWN.string)),
        );
        assert.deepEqual(outcome.violations, []);
        assert.deepEqual(outcome.advisories, [
            "can't run policy 'rolling-update-max-unavailable-zero' during preview: string value at .spec.strategy.rollingUpdate.maxUnavailable can't be known during preview",
        ]);
    });

    it("only the stack policy sees an HPA-driven Deployment, and it does not repeat the resource policy's findings", async () => {
        const driven = k8s(deployment("driven", { strategy: null }));
        const declared = k8s(deployment("declared", { replicas: 3, strategy: null }));
        const resources = [
            driven,
            declared,
            k8s(hpa("driven", { kind: "Deployment", name: "driven" }, 2)),
            k8s(hpa("declared", { kind: "Deployment", name: "declared" }, 2)),
        ];
        assert.deepEqual((await runResourcePolicy(rollingUpdateMaxUnavailableZero, driven)).violations, []);
        const stack = await runStackPolicy(rollingUpdateHpaDriven, resources);
        assert.deepEqual(
            stack.violations.map((v) => v.urn),
            [urnFor(driven)],
        );
        assert.match(stack.violations[0].message, /HPA-driven: HorizontalPodAutoscaler default\/driven has minReplicas 2/);
    });
});

describe("policies: every API version the rule engine accepts", () => {
    it("HPAs of autoscaling/v1, v2beta1 and v2beta2 set the replica floor, and a policy/v1beta1 PDB covers, like their current versions", async () => {
        /** `object` as a Pulumi resource of the given API version: the type token carries it, as @pulumi/kubernetes registers it. */
        const at = (apiVersion: string, object: Record<string, unknown>): HarnessResource => {
            const kind = object.kind as string;
            const name = `${kind.toLowerCase()}-${apiVersion.replace("/", "-")}-${(object.metadata as { name: string }).name}`;
            return { type: `kubernetes:${apiVersion}:${kind}`, name, props: { ...object, apiVersion } };
        };
        for (const version of ["autoscaling/v1", "autoscaling/v2beta1", "autoscaling/v2beta2"]) {
            // One declared replica: only the HPA's minReplicas 3 makes web a multi-replica workload.
            const web = k8s(deployment("web", { replicas: 1, namespace: "shop" }));
            const floor = at(version, hpa("web", { kind: "Deployment", name: "web" }, 3, "shop"));
            const uncovered = await runStackPolicy(workloadHasPdb, [web, floor]);
            assert.deepEqual(
                uncovered.violations.map((v) => v.urn),
                [urnFor(web)],
                `${version}: the HPA floor was lost`,
            );
            assert.match(uncovered.violations[0].message, /Deployment shop\/web runs 3 replicas/);

            // minAvailable 2 blocks the one declared replica but leaves one eviction at the HPA floor of 3.
            const roomy = await runStackPolicy(pdbAllowsDisruption, [web, floor, k8s(pdbFor("web", { minAvailable: 2 }, "shop"))]);
            assert.deepEqual(roomy.violations, [], `${version}: the PDB was judged below the HPA floor`);

            // The stack policy takes every HPA version away to find what the resource policy already saw.
            const driven = k8s(deployment("driven", { replicas: 1, namespace: "shop", strategy: null }));
            const rollout = await runStackPolicy(rollingUpdateHpaDriven, [
                driven,
                at(version, hpa("driven", { kind: "Deployment", name: "driven" }, 2, "shop")),
            ]);
            assert.deepEqual(
                rollout.violations.map((v) => v.urn),
                [urnFor(driven)],
                `${version}: the HPA-driven rollout finding was lost`,
            );
        }

        const web = k8s(deployment("web", { replicas: 3, namespace: "shop" }));
        const covered = await runStackPolicy(workloadHasPdb, [web, at("policy/v1beta1", pdbFor("web", { maxUnavailable: 1 }, "shop"))]);
        assert.deepEqual(covered.violations, [], "a policy/v1beta1 PDB covers the workload");

        // A custom resource that merely reuses the kind name, in another API group, is not an HPA.
        const impostor = {
            type: "kubernetes:example.com/v1:HorizontalPodAutoscaler",
            name: "impostor",
            props: hpa("web", { kind: "Deployment", name: "web" }, 3, "shop"),
        };
        const single = k8s(deployment("web", { replicas: 1, namespace: "shop" }));
        assert.deepEqual((await runStackPolicy(workloadHasPdb, [single, impostor])).violations, []);
    });
});
