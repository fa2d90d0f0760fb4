/**
 * The real program (index.ts, run by rehearsal/simulate.ts under the simulated cloud) against
 * every policy of the pack: resource policies see each resource's inputs, stack policies see
 * all resources' outputs with parents, dependencies and providers linked, as in `pulumi up`.
 */
import { strict as assert } from "assert";
import { RESOURCE_POLICIES, STACK_POLICIES } from "../../policies/all";
import { BACKUP_HOLDER_TYPES, SECRET_BEARING_TYPES, SECRET_STDOUT_MARKER } from "../../policies/support/types";
import { RecordedResource, SimulationResult } from "../../rehearsal/simulate";
import { FAKE_HCLOUD_TOKEN } from "../support/config";
import { simulateOk } from "../support/simulation";
import { HarnessResource, PolicyOutcome, runResourcePolicy, runStackPolicy } from "./harness";

/** The URN part of a provider reference (`urn::id`). */
function providerUrn(reference: string): string {
    return reference.slice(0, reference.lastIndexOf("::"));
}

/** A recorded registration as the policy engine would present it, with inputs or outputs as props. */
function asPolicyResource(
    resource: RecordedResource,
    byUrn: ReadonlyMap<string, RecordedResource>,
    view: "inputs" | "outputs",
): HarnessResource {
    const provider = resource.provider === null ? undefined : byUrn.get(providerUrn(resource.provider));
    return {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: view === "inputs" ? resource.rawInputs : resource.outputs,
        opts: {
            protect: resource.protect,
            ignoreChanges: resource.ignoreChanges,
            additionalSecretOutputs: resource.additionalSecretOutputs,
            deleteBeforeReplace: resource.deleteBeforeReplace,
        },
        parent: resource.parent ?? undefined,
        dependencies: resource.dependencies,
        provider: provider && { type: provider.type, name: provider.name, urn: provider.urn, props: provider.rawInputs },
    };
}

function describeOutcome(policy: string, outcome: PolicyOutcome): string[] {
    return [...outcome.violations.map((v) => `${policy}: ${v.urn}: ${v.message}`), ...outcome.advisories.map((a) => `${policy}: ${a}`)];
}

describe("policies: the real program passes the whole pack", function () {
    let prod: SimulationResult;
    before(async () => {
        prod = await simulateOk({ overrides: [{ path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true }] });
    });

    it("no resource policy reports a violation or an advisory", async () => {
        const byUrn = new Map(prod.resources.map((r) => [r.urn, r]));
        const problems: string[] = [];
        // Policy name -> names of the resources it examined (did not call notApplicable for).
        const examined = new Map<string, string[]>();
        for (const resource of prod.resources) {
            for (const policy of RESOURCE_POLICIES) {
                const outcome = await runResourcePolicy(policy, asPolicyResource(resource, byUrn, "inputs"));
                problems.push(...describeOutcome(policy.name, outcome));
                if (outcome.notApplicable.length === 0) {
                    examined.set(policy.name, [...(examined.get(policy.name) ?? []), resource.name]);
                }
            }
        }
        assert.deepEqual(problems, []);
        // Guards against a vacuous pass: the credential commands, the backup holders and the firewall were really looked at.
        const secretsExamined = examined.get("secrets-stay-secret") ?? [];
        for (const name of [
            "prod-bootstrap-kubeconfig",
            "prod-talos-secrets-talosconfig",
            "prod-talos-secrets-bundle",
            "prod-control-plane-1-config",
            "prod-worker-1-config",
        ]) {
            assert.ok(
                secretsExamined.includes(name),
                `secrets-stay-secret did not examine ${name}; it examined ${secretsExamined.join(", ")}`,
            );
        }
        // The real scripts declare their secret stdout, so the check does not hang on these names.
        const declared = prod.resources
            .filter((r) => r.type === SECRET_BEARING_TYPES.command)
            .filter((r) => typeof r.rawInputs.create === "string" && SECRET_STDOUT_MARKER.test(r.rawInputs.create))
            .map((r) => r.name);
        for (const name of [
            "prod-bootstrap-kubeconfig",
            "prod-talos-secrets-talosconfig",
            "prod-control-plane-1-config",
            "prod-worker-1-config",
        ]) {
            assert.ok(declared.includes(name), `${name}'s script does not declare "# Stdout: secret"; declared: ${declared.join(", ")}`);
        }
        const backupHolders = prod.resources.filter(
            (r) => r.type === BACKUP_HOLDER_TYPES.r2Bucket || r.type === BACKUP_HOLDER_TYPES.cnpgCluster,
        );
        assert.ok(
            backupHolders.some((r) => r.type === BACKUP_HOLDER_TYPES.r2Bucket),
            "the program registers no R2 bucket",
        );
        assert.ok(
            backupHolders.some((r) => r.type === BACKUP_HOLDER_TYPES.cnpgCluster),
            "the program registers no recovered CNPG cluster",
        );
        assert.deepEqual(
            examined.get("backups-protected"),
            backupHolders.map((r) => r.name),
            "backups-protected must examine the R2 bucket and every recovered CNPG cluster",
        );
        assert.equal(examined.get("api-firewall-not-world-open")?.length, 1);
    });

    it("no stack policy reports a violation or an advisory", async () => {
        const byUrn = new Map(prod.resources.map((r) => [r.urn, r]));
        const stack = prod.resources.map((r) => asPolicyResource(r, byUrn, "outputs"));
        const problems: string[] = [];
        for (const policy of STACK_POLICIES) {
            problems.push(...describeOutcome(policy.name, await runStackPolicy(policy, stack)));
        }
        assert.deepEqual(problems, []);
    });

    it("kubeconfig and talosconfig stack outputs are secret (what no policy can see)", () => {
        for (const output of ["kubeconfig", "talosconfig"]) {
            assert.ok(prod.secretOutputs.includes(output), `${output} is not a secret stack output`);
        }
    });
});
