import { strict as assert } from "assert";
import { StackValidationPolicy } from "@pulumi/policy";
import { isUnknownValueError } from "../../policies/support/unknowns";
import { UNKNOWN, runResourcePolicy, runStackPolicy, secret, urnOf } from "./harness";

describe("policy harness (mirrors the @pulumi/policy server)", () => {
    it("props are proxied: reading an unknown throws UnknownValueError and becomes an advisory", async () => {
        let thrown: unknown;
        const outcome = await runResourcePolicy(
            {
                name: "reads-unknown",
                description: "test",
                enforcementLevel: "mandatory",
                validateResource: (args) => {
                    try {
                        void args.props.spec;
                    } catch (e) {
                        thrown = e;
                        throw e;
                    }
                },
            },
            { type: "t:index:T", name: "x", props: { spec: UNKNOWN.object } },
        );
        assert.ok(isUnknownValueError(thrown));
        assert.deepEqual(outcome.advisories, [
            "can't run policy 'reads-unknown' during preview: Object value at .spec can't be known during preview",
        ]);
    });

    it("secrets arrive unwrapped, as in production: a policy cannot tell them apart", async () => {
        let seen: unknown;
        await runResourcePolicy(
            { name: "sees", description: "test", validateResource: (args) => void (seen = args.props.stdout) },
            { type: "command:local:Command", name: "c", props: { stdout: secret("kubeconfig text") } },
        );
        assert.equal(seen, "kubeconfig text");
    });

    it("records notApplicable, skips disabled policies and strips enforcementLevel from getConfig", async () => {
        let config: unknown;
        const policy = {
            name: "p",
            description: "test",
            validateResource: (args: { getConfig<T extends object>(): T; notApplicable(reason?: string): never }) => {
                config = args.getConfig();
                args.notApplicable("not mine");
            },
        };
        const ran = await runResourcePolicy(policy, { type: "t:index:T", name: "x" }, { enforcementLevel: "mandatory", threshold: 3 });
        assert.deepEqual(ran.notApplicable, ["not mine"]);
        assert.deepEqual(config, { threshold: 3 });
        config = undefined;
        const disabled = await runResourcePolicy(policy, { type: "t:index:T", name: "x" }, { enforcementLevel: "disabled" });
        assert.deepEqual(disabled, { violations: [], advisories: [], notApplicable: [] });
        assert.equal(config, undefined);
    });

    it("stack resources have parent and dependencies linked as objects, and violations keep their URN", async () => {
        const policy: StackValidationPolicy = {
            name: "links",
            description: "test",
            validateStack: (args, report) => {
                const child = args.resources.find((r) => r.name === "child");
                assert.equal(child?.parent?.name, "parent");
                assert.deepEqual(
                    child?.dependencies.map((d) => d.name),
                    ["dep"],
                );
                assert.ok(args.stackTags instanceof Map && args.stackTags.size === 0);
                report("found it", child?.urn);
            },
        };
        const outcome = await runStackPolicy(policy, [
            { type: "my:index:Component", name: "parent" },
            { type: "t:index:T", name: "dep" },
            { type: "t:index:T", name: "child", parent: urnOf("my:index:Component", "parent"), dependencies: [urnOf("t:index:T", "dep")] },
        ]);
        assert.deepEqual(outcome.violations, [{ message: "found it", urn: urnOf("t:index:T", "child") }]);
    });
});
