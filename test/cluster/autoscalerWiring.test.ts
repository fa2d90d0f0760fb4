import { strict as assert } from "assert";
import { TALOS_SNAPSHOT_SCRIPT } from "../../components/cluster/clusterAutoscaler";
import { TEARDOWN_SCRIPT } from "../../components/cluster/hetznerTeardown";
import { main } from "../../rehearsal/cli";
import { describeAutoscaling } from "../../rehearsal/autoscalerSummary";
import { SimulationResult } from "../../rehearsal/simulate";
import { FAKE_HCLOUD_TOKEN } from "../support/config";
import { find, ofType, simulateOk, waitsFor } from "../support/simulation";

const COMMAND = "command:local:Command";
const token = { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true };

describe("wiring: Cluster Autoscaler and teardown (simulated prod)", () => {
    let prod: SimulationResult;
    before(async () => {
        prod = await simulateOk({ overrides: [token] });
    });

    it("the teardown is a delete step of the stack's own, ordered before the network and subnet are deleted", () => {
        const step = find(prod, COMMAND, "prod-teardown-step");
        assert.equal(step.rawInputs.delete, TEARDOWN_SCRIPT);
        const network = find(prod, "hcloud:index/network:Network", "prod-hetzner-network");
        const subnet = find(prod, "hcloud:index/networkSubnet:NetworkSubnet", "prod-hetzner-subnet");
        // Destroy deletes dependants first: depending on both, the step runs before either goes.
        assert.ok(step.dependencies.includes(network.urn) && step.dependencies.includes(subnet.urn), step.dependencies.join("\n"));
        const env = step.rawInputs.environment as Record<string, string>;
        assert.equal(env.NETWORK_ID, network.id);
        assert.equal(env.DELETE_SNAPSHOTS, "false");
        assert.equal(step.inputs.environment && (step.inputs.environment as Record<string, unknown>).HCLOUD_TOKEN, "[secret]");
        assert.equal(step.retainOnDelete, false);
    });

    it("builds or finds the snapshot as a step of its own; the Secret carries it and the workers' config, secret", () => {
        const snapshot = find(prod, COMMAND, "cluster-autoscaler-talos-snapshot");
        assert.equal(snapshot.rawInputs.create, TALOS_SNAPSHOT_SCRIPT);
        const env = snapshot.rawInputs.environment as Record<string, string>;
        assert.deepEqual(
            [env.TALOS_VERSION, env.ARCH, env.BUILDER_SERVER_TYPE, env.LOCATION, env.TIMEOUT_SECONDS],
            ["v1.13.8", "amd64", "cx23", "fsn1", "1800"],
        );
        const secret = find(prod, "kubernetes:core/v1:Secret", "cluster-autoscaler-config");
        assert.deepEqual(secret.rawInputs.metadata, { name: "cluster-autoscaler-config", namespace: "kube-system" });
        assert.equal(secret.inputs.stringData, "[secret]");
        assert.ok(waitsFor(prod, secret, snapshot));
        assert.ok(waitsFor(prod, secret, find(prod, COMMAND, "prod-worker-1-config")), "derived from the workers' generated config");
        for (const pool of ["autoscale-cx43", "autoscale-cx53"]) {
            const check = find(prod, COMMAND, `cluster-autoscaler-${pool}-config-check`);
            assert.ok(waitsFor(prod, secret, check), `${pool}: talosctl validate before the Secret`);
            assert.equal((check.inputs.environment as Record<string, unknown>).MACHINE_CONFIG, "[secret]");
        }
        const value = (secret.rawInputs.stringData as Record<string, string>).hcloud_cluster_config;
        const doc = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
        assert.equal(doc.imagesForArch.amd64, String(snapshot.outputs.stdout).trim());
        assert.deepEqual(Object.keys(doc.nodeConfigs), ["autoscale-cx43", "autoscale-cx53"]);
    });

    it("installs the chart after its Secret, the hcloud Secret and the cloud controller, before the FluxInstance", () => {
        const release = find(prod, "kubernetes:helm.sh/v3:Release", "cluster-autoscaler-release");
        assert.deepEqual(
            [release.rawInputs.name, release.rawInputs.namespace, release.rawInputs.version],
            ["cluster-autoscaler", "kube-system", "9.59.0"],
        );
        // ksail installs it beside metrics-server, hcloud-csi and Kyverno; here after them, and after
        // the CapacityBuffer CRD its buffer controller watches (installed once, by the pre-Flux CRDs).
        for (const [type, name] of [
            ["kubernetes:core/v1:Secret", "cluster-autoscaler-config"],
            ["kubernetes:core/v1:Secret", "prod-hcloud-secret"],
            ["kubernetes:helm.sh/v3:Release", "pre-flux-hcloud-cloud-controller-manager"],
            ["kubernetes:helm.sh/v3:Release", "pre-flux-kyverno"],
            ["kubernetes:helm.sh/v3:Release", "pre-flux-metrics-server"],
            ["kubernetes:helm.sh/v3:Release", "pre-flux-hcloud-csi"],
            ["kubernetes:yaml/v2:ConfigFile", "pre-flux-capacity-buffer-crd"],
        ]) {
            assert.ok(waitsFor(prod, release, find(prod, type, name)), name);
        }
        const flux = find(prod, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance");
        assert.ok(waitsFor(prod, flux, release), "the platform's CapacityBuffer comes with Flux: the autoscaler must be up first");
        // A new config changes the digest in the pod template: the autoscaler restarts and reads it.
        const digest = (release.rawInputs.values as { podAnnotations: Record<string, string> }).podAnnotations[
            "platform-dr/cluster-autoscaler-config-sha256"
        ];
        assert.match(digest, /^[0-9a-f]{64}$/);
        assert.equal(release.ignoreChanges.length, 0, "the program owns the release: no Flux HelmRelease adopts it");
    });

    it("never replaces a static server for a new worker config or snapshot (user data, image, ISO ignored)", () => {
        for (const server of ofType(prod, "hcloud:index/server:Server")) {
            assert.deepEqual([...server.ignoreChanges].sort(), ["image", "iso", "userData"], server.name);
        }
    });

    it("the rehearsal says it in words: snapshot step, Secret as [secret], the release with the prod pools, the teardown before the network", () => {
        const text = describeAutoscaling(prod.resources).join("\n");
        assert.match(
            text,
            /Snapshot \(cluster-autoscaler-talos-snapshot\): the Talos v1\.13\.8 amd64 snapshot labelled ksail\.io\/talos-version=v1\.13\.8/,
        );
        assert.match(
            text,
            /Secret kube-system\/cluster-autoscaler-config \(cluster-autoscaler-config\): hcloud_cluster_config = \[secret\]/,
        );
        assert.match(
            text,
            /pools autoscale-cx43 \(cx43, fsn1, 0-4\), autoscale-cx53 \(cx53, fsn1, 0-4\); .*--expander=least-nodes,least-waste.*--max-nodes-total=9/,
        );
        assert.match(
            text,
            /Teardown \(prod-teardown-step\): on pulumi destroy, before prod-hetzner-network and prod-hetzner-subnet are deleted/,
        );
    });

    it("bad autoscaler config makes the rehearsal exit 2, naming the key, before anything is registered", async () => {
        let stderr = "";
        const code = await main(["--set", "autoscalerMaxNodesTotal=10"], { stdout: () => undefined, stderr: (t) => (stderr += t) });
        assert.equal(code, 2);
        assert.match(stderr, /autoscalerMaxNodesTotal = 10: lets the cluster reach 10 servers/);
    });
});
