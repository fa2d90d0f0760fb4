import { strict as assert } from "assert";
import { validateConfig } from "../../config";
import { TALOS_KUBERNETES_SUPPORT, kubernetesSupport, parseReleaseVersion, unsupportedPair } from "../../config/talosSupport";
import { upgradeOrder } from "../../components/cluster/talosUpgrade";
import { NodeSpec } from "../../components/cluster/naming";
import { RecordedResource, SimulationResult } from "../../rehearsal/simulate";
import { FAKE_HCLOUD_TOKEN, validProdRaw } from "../support/config";
import { find, ofType, simulateOk } from "../support/simulation";

const COMMAND = "command:local:Command";
const SERVER = "hcloud:index/server:Server";
const SCHEMATIC = "88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040b";
const TOKEN = { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true };

function problemsOf(overrides: Record<string, unknown>): { key: string; message: string }[] {
    const result = validateConfig(validProdRaw(overrides));
    return result.ok ? [] : result.problems.map((p) => ({ key: p.key, message: p.message }));
}

describe("cluster: rolling upgrade (Scenario 2)", () => {
    describe("the Talos/Kubernetes support table", () => {
        it("holds the support matrix rows it cites: Talos 1.13 runs Kubernetes 1.31 to 1.36", () => {
            assert.deepEqual(kubernetesSupport(parseReleaseVersion("v1.13.8")!), { lowest: "1.31", highest: "1.36" });
            assert.deepEqual(kubernetesSupport(parseReleaseVersion("v1.12.0")!), { lowest: "1.30", highest: "1.35" });
            // Each Talos minor moves the window up by one Kubernetes minor: a typo in a row shows.
            const rows = Object.entries(TALOS_KUBERNETES_SUPPORT).map(([talos, k]) => [Number(talos.split(".")[1]), k.lowest, k.highest]);
            for (const [minor, lowest, highest] of rows) {
                assert.deepEqual([lowest - minor, highest - minor], [18, 23], `Talos 1.${minor}`);
            }
        });

        it("refuses a Kubernetes version the Talos version does not run, naming both", () => {
            assert.equal(unsupportedPair("v1.13.8", "v1.36.3"), undefined);
            assert.equal(unsupportedPair("v1.13.8", "v1.31.0"), undefined);
            assert.match(
                unsupportedPair("v1.13.8", "v1.37.0")!,
                /not supported by talosVersion v1\.13\.8: Talos 1\.13 runs Kubernetes 1\.31 to 1\.36/,
            );
            assert.match(unsupportedPair("v1.12.6", "v1.36.3")!, /Talos 1\.12 runs Kubernetes 1\.30 to 1\.35/);
            assert.match(
                unsupportedPair("v1.14.0", "v1.36.3")!,
                /knows the Kubernetes support of Talos 1\.11 to 1\.13 only.*config\/talosSupport\.ts/,
            );
        });

        it("is a config problem on kubernetesVersion, reported before anything is registered", () => {
            assert.deepEqual(problemsOf({}), []);
            const problems = problemsOf({ kubernetesVersion: "v1.30.4" });
            assert.deepEqual(
                problems.map((p) => p.key),
                ["kubernetesVersion"],
            );
            assert.match(problems[0].message, /Talos 1\.13 runs Kubernetes 1\.31 to 1\.36/);
            // A malformed tag is reported once, by its format check.
            assert.deepEqual(
                problemsOf({ talosVersion: "1.13" }).map((p) => p.key),
                ["talosVersion"],
            );
        });

        it("reads the upgrade settings and refuses bad ones", () => {
            const ok = validateConfig(validProdRaw({ upgradeDrainTimeoutSeconds: "900", upgradePreflight: "warn" }));
            assert.ok(ok.ok);
            assert.deepEqual(ok.config.cluster.upgrade, { drainTimeoutSeconds: 900, nodeTimeoutSeconds: 600, preflight: "warn" });
            assert.deepEqual(
                problemsOf({ upgradePreflight: "skip", upgradeDrainTimeoutSeconds: "5" })
                    .map((p) => p.key)
                    .sort(),
                ["upgradeDrainTimeoutSeconds", "upgradePreflight"],
            );
        });
    });

    it("run order: workers one at a time, then control planes, each by index", () => {
        const spec = (role: NodeSpec["role"], index: number) => ({ spec: { role, index, name: `${role}-${index}` } as NodeSpec });
        const order = upgradeOrder([spec("control-plane", 2), spec("control-plane", 1), spec("worker", 2), spec("worker", 1)]);
        assert.deepEqual(
            order.map((n) => n.spec.name),
            ["worker-1", "worker-2", "control-plane-1", "control-plane-2"],
        );
    });

    describe("in the program (simulated cloud)", function () {
        let before: SimulationResult;
        let bumped: SimulationResult;
        let lost: SimulationResult;
        let kubernetesOnly: SimulationResult;
        const BUMP = [
            { path: "talosVersion", value: "v1.13.9", secret: false },
            { path: "kubernetesVersion", value: "v1.36.4", secret: false },
        ];

        this.beforeAll(async () => {
            before = await simulateOk({ overrides: [TOKEN] });
            bumped = await simulateOk({ overrides: [TOKEN, ...BUMP] });
            lost = await simulateOk({ overrides: [TOKEN], cloud: { replacedServers: ["prod-control-plane-2"] } });
            kubernetesOnly = await simulateOk({ overrides: [TOKEN, BUMP[1]] });
        });

        const steps = (r: SimulationResult) => ofType(r, COMMAND).filter((c) => /^prod-upgrade-/.test(c.name));

        it("one step per node in run order, then the Kubernetes step, each waiting for the one before", () => {
            const names = steps(before).map((s) => s.name);
            const expected = [
                "prod-upgrade-worker-1",
                "prod-upgrade-worker-2",
                "prod-upgrade-worker-3",
                "prod-upgrade-control-plane-1",
                "prod-upgrade-control-plane-2",
                "prod-upgrade-control-plane-3",
                "prod-upgrade-kubernetes",
            ];
            assert.deepEqual(names, expected);
            for (let i = 1; i < expected.length; i++) {
                const step = find(before, COMMAND, expected[i]);
                assert.ok(
                    step.dependencies.includes(find(before, COMMAND, expected[i - 1]).urn),
                    `${expected[i]} waits for ${expected[i - 1]}`,
                );
            }
            // The first waits for the cloud controller (a node is Ready only once Cilium and it run).
            const ccm = find(before, "kubernetes:helm.sh/v3:Release", "pre-flux-hcloud-cloud-controller-manager");
            assert.ok(find(before, COMMAND, expected[0]).dependencies.includes(ccm.urn));
            assert.equal(
                find(before, "platform-dr:cluster:TalosUpgrade", "prod-upgrade").parent,
                find(before, "platform-dr:cluster:TalosCluster", "prod").urn,
            );
        });

        it("each node step targets its node with the schematic's installer and reruns when its server is replaced", () => {
            const step = find(before, COMMAND, "prod-upgrade-control-plane-2");
            const server = find(before, SERVER, "prod-control-plane-2");
            const env = step.rawInputs.environment as Record<string, string>;
            assert.equal(env.NODE_NAME, "prod-control-plane-2");
            assert.equal(env.NODE_ROLE, "control-plane");
            assert.equal(env.TALOS_VERSION, "v1.13.8");
            assert.equal(env.INSTALLER_IMAGE, `factory.talos.dev/installer/${SCHEMATIC}:v1.13.8`);
            assert.equal(env.KUBERNETES_LOWEST, "1.31");
            assert.deepEqual([env.DRAIN_TIMEOUT_SECONDS, env.TIMEOUT_SECONDS, env.PREFLIGHT], ["600", "600", "enforce"]);
            assert.equal(env.NODES.split(" ").length, 6);
            assert.equal(env.CONTROL_PLANE_IPS.split(" ").length, 3);
            assert.deepEqual(step.rawInputs.triggers, [server.id]);
            assert.ok(step.dependencies.includes(find(before, COMMAND, "prod-control-plane-2-apply-config").urn), "configured first");
            // Credentials reach the script as secrets, never in plain text.
            assert.equal((step.inputs.environment as Record<string, unknown>).TALOSCONFIG, "[secret]");
            assert.equal((step.inputs.environment as Record<string, unknown>).KUBECONFIG_CONTENT, "[secret]");
        });

        it("after a bump, the two rehearsals differ only in the upgrade steps and the configs", () => {
            const changed = changedResources(before, bumped);
            const upgrade = changed.filter((n) => n.startsWith("prod-upgrade-"));
            assert.deepEqual(
                upgrade,
                steps(before).map((s) => s.name),
                "every upgrade step, in run order",
            );
            const machineConfigs = ["control-plane-1", "control-plane-2", "control-plane-3", "worker-1", "worker-2", "worker-3"].flatMap(
                (n) => [`prod-${n}-config`, `prod-${n}-apply-config`],
            );
            // The autoscaled nodes' config: a snapshot of the new version, each pool's config checked
            // again, the node config naming it, and the autoscaler's restart to read it (a checksum
            // annotation, nothing else of its release).
            const autoscaler = [
                "cluster-autoscaler-talos-snapshot",
                "cluster-autoscaler-autoscale-cx43-config-check",
                "cluster-autoscaler-autoscale-cx53-config-check",
                "cluster-autoscaler-config",
                "cluster-autoscaler-release",
            ];
            assert.deepEqual(changed.filter((n) => !n.startsWith("prod-upgrade-")).sort(), [...machineConfigs, ...autoscaler].sort());
            const release = (r: SimulationResult) => find(r, "kubernetes:helm.sh/v3:Release", "cluster-autoscaler-release").rawInputs;
            assert.deepEqual(differingPaths(release(before), release(bumped)), [
                "values.podAnnotations.platform-dr/cluster-autoscaler-config-sha256",
            ]);
            for (const type of [SERVER, "kubernetes:helm.sh/v3:Release", "hcloud:index/primaryIp:PrimaryIp"]) {
                assert.deepEqual(
                    ofType(bumped, type).map((r) => r.id),
                    ofType(before, type).map((r) => r.id),
                    `no ${type} replaced`,
                );
            }
            assert.equal(
                (find(bumped, COMMAND, "prod-upgrade-worker-1").rawInputs.environment as Record<string, string>).INSTALLER_IMAGE,
                `factory.talos.dev/installer/${SCHEMATIC}:v1.13.9`,
            );
            assert.equal(
                (find(bumped, COMMAND, "prod-upgrade-kubernetes").rawInputs.environment as Record<string, string>).KUBERNETES_VERSION,
                "v1.36.4",
            );
        });

        it("a Kubernetes-only bump runs only the Kubernetes step: no node is drained (upgrade-k8s needs no drain)", () => {
            assert.deepEqual(
                changedResources(before, kubernetesOnly).filter((n) => n.startsWith("prod-upgrade-")),
                ["prod-upgrade-kubernetes"],
            );
        });

        describe("node loss (Scenario 1): a lost control plane comes back", () => {
            it("only the replaced node's own steps run again: etcd cleanup, its config, its upgrade step", () => {
                assert.deepEqual(changedResources(before, lost), [
                    "prod-control-plane-2-etcd-cleanup",
                    "prod-control-plane-2-apply-config",
                    "prod-upgrade-control-plane-2",
                ]);
                // The server itself is recreated with the same name, address and labels.
                assert.deepEqual(
                    find(lost, SERVER, "prod-control-plane-2").rawInputs,
                    find(before, SERVER, "prod-control-plane-2").rawInputs,
                );
                assert.notEqual(find(lost, SERVER, "prod-control-plane-2").id, find(before, SERVER, "prod-control-plane-2").id);
            });

            it("its dead etcd member is removed before it gets the current version's config, then its step runs", () => {
                const cleanup = find(lost, COMMAND, "prod-control-plane-2-etcd-cleanup");
                const apply = find(lost, COMMAND, "prod-control-plane-2-apply-config");
                assert.ok(apply.dependencies.includes(cleanup.urn), "etcd member removed first");
                const env = cleanup.rawInputs.environment as Record<string, string>;
                assert.equal(env.NODE_NAME, "prod-control-plane-2");
                assert.equal(env.PEER_IPS.split(" ").length, 2, "through the two other control planes");
                const config = (apply.rawInputs.environment as Record<string, string>).MACHINE_CONFIG;
                assert.match(config, new RegExp(`image: factory\\.talos\\.dev/installer/${SCHEMATIC}:v1\\.13\\.8`));
                assert.match(config, /kubelet:v1\.36\.3/);
                assert.ok(find(lost, COMMAND, "prod-upgrade-control-plane-2").dependencies.includes(apply.urn));
            });
        });
    });
});

/**
 * The resources a `pulumi up` would act on, going from run `a` to run `b`: those whose inputs
 * differ (in plain text, secrets included), apart from what they declare in ignoreChanges, in
 * registration order. No resource may appear or disappear.
 */
function changedResources(a: SimulationResult, b: SimulationResult): string[] {
    const before = new Map(a.resources.map((r) => [r.urn, r]));
    assert.deepEqual(
        b.resources.map((r) => r.urn),
        a.resources.map((r) => r.urn),
        "the same resources",
    );
    return b.resources.filter((r) => JSON.stringify(watched(r)) !== JSON.stringify(watched(before.get(r.urn)!))).map((r) => r.name);
}

/** Dotted paths where two plain values differ. */
function differingPaths(a: unknown, b: unknown, at = ""): string[] {
    if (JSON.stringify(a) === JSON.stringify(b)) {
        return [];
    }
    if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) && !Array.isArray(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
        return keys.flatMap((k) =>
            differingPaths((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], at ? `${at}.${k}` : k),
        );
    }
    return [at];
}

/** Inputs minus ignored ones (`prop` or `prop.key`, as the program writes them). */
function watched(r: RecordedResource): Record<string, unknown> {
    const inputs = structuredClone(r.rawInputs);
    for (const path of r.ignoreChanges) {
        const [head, key] = path.split(".");
        if (key === undefined) {
            delete inputs[head];
        } else if (inputs[head] && typeof inputs[head] === "object") {
            delete (inputs[head] as Record<string, unknown>)[key];
        }
    }
    return inputs;
}
