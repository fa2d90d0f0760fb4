import { strict as assert } from "assert";
import { parse } from "yaml";
import { validateConfig } from "../../config";
import { ClusterConfig } from "../../config/cluster";
import { apiUrl, rewriteKubeconfigServer, rewriteTalosconfigEndpoints } from "../../components/cluster/clientConfigs";
import { firewallRules, firewallSourceIps } from "../../components/cluster/hetzner";
import { clusterResourceName, controlPlaneSelector, loadBalancerPrivateIp, planNodes } from "../../components/cluster/naming";
import { PUBLIC_NIC_BUS_PATH, hostnamePatch, machineConfigPatch } from "../../components/cluster/talosPatches";
import { validProdRaw } from "../support/config";
import { at } from "../support/json";

function cluster(overrides: Record<string, unknown> = {}): ClusterConfig {
    const result = validateConfig(validProdRaw(overrides));
    if (!result.ok) {
        throw new Error(JSON.stringify(result.problems));
    }
    return result.config.cluster;
}

describe("cluster: naming", () => {
    it("names and labels nodes as the platform does, control planes first", () => {
        const nodes = planNodes(cluster());
        assert.deepEqual(
            nodes.map((n) => n.name),
            ["prod-control-plane-1", "prod-control-plane-2", "prod-control-plane-3", "prod-worker-1", "prod-worker-2", "prod-worker-3"],
        );
        assert.deepEqual(nodes[4].labels, { cluster: "prod", role: "worker", index: "2" });
        assert.equal(nodes[0].serverType, "cx33");
        assert.equal(nodes[3].serverType, "cx43");
    });

    it("gives every node a fixed private address, stable across runs", () => {
        const ips = planNodes(cluster()).map((n) => n.privateIp);
        assert.deepEqual(ips, ["10.0.1.11", "10.0.1.12", "10.0.1.13", "10.0.1.101", "10.0.1.102", "10.0.1.103"]);
        assert.deepEqual(
            planNodes(cluster()).map((n) => n.privateIp),
            ips,
        );
        assert.equal(loadBalancerPrivateIp(cluster()), "10.0.1.5");
    });

    it("derives resource names and the control-plane selector from the cluster name", () => {
        assert.equal(clusterResourceName("prod", "network"), "prod-network");
        assert.equal(controlPlaneSelector("staging"), "cluster=staging,role=control-plane");
    });
});

describe("cluster: firewall", () => {
    it("admits only the configured sources", () => {
        const c = cluster({ firewallOpenToWorld: "false", firewallSources: ["203.0.113.7/32"] });
        const rules = firewallRules(c);
        assert.deepEqual(
            rules.map((r) => r.port),
            ["6443", "50000", undefined],
        );
        for (const rule of rules) {
            assert.deepEqual(rule.sourceIps, ["203.0.113.7/32"]);
            assert.equal(rule.direction, "in");
        }
    });

    it("opens to the world only when configured explicitly", () => {
        assert.deepEqual(firewallSourceIps(cluster({ firewallOpenToWorld: "true" })), ["0.0.0.0/0", "::/0"]);
    });
});

describe("cluster: Talos machine-config patch", () => {
    const c = cluster();
    const [cp1, , , worker1] = planNodes(c);

    it("carries the platform's requirements", () => {
        const patch = machineConfigPatch({ cluster: c, node: cp1, certSans: ["198.51.100.7", "api.example.org"] });
        assert.deepEqual(at(patch, "cluster.network.cni"), { name: "none" });
        assert.equal(at(patch, "cluster.proxy.disabled"), true);
        assert.equal(at(patch, "cluster.externalCloudProvider.enabled"), true);
        assert.deepEqual(at(patch, "machine.features.kubePrism"), { enabled: true, port: 7445 });
        assert.equal(at(patch, "machine.network.hostname"), undefined, "Talos 1.13 names the node in HostnameConfig");
        assert.deepEqual(hostnamePatch(c.talosVersion, "prod-control-plane-1"), {
            apiVersion: "v1alpha1",
            kind: "HostnameConfig",
            hostname: "prod-control-plane-1",
            auto: "off",
        });
        const old = machineConfigPatch({ cluster: { ...c, talosVersion: "v1.11.5" }, node: cp1, certSans: [] });
        assert.equal(at(old, "machine.network.hostname"), "prod-control-plane-1", "before 1.12 the v1alpha1 field names it");
        assert.equal(hostnamePatch("v1.11.5", "x"), undefined);
        assert.deepEqual(hostnamePatch(c.talosVersion, undefined), { apiVersion: "v1alpha1", kind: "HostnameConfig", $patch: "delete" });
        assert.deepEqual(at(patch, "machine.network.interfaces[0].deviceSelector"), { busPath: PUBLIC_NIC_BUS_PATH });
        assert.deepEqual(at(patch, "cluster.apiServer.certSANs"), ["198.51.100.7", "api.example.org"]);
        assert.deepEqual(at(patch, "cluster.network.podSubnets"), ["10.244.0.0/16"]);
        assert.deepEqual(at(patch, "machine.kubelet.nodeIP.validSubnets"), ["10.0.1.0/24"]);
    });

    it("configures the private NIC by its bus path (enp7s0), with DHCP, on every node and both boot paths", () => {
        for (const boot of [{}, { talosBoot: "snapshot" }]) {
            const bc = cluster(boot);
            for (const node of planNodes(bc)) {
                const patch = machineConfigPatch({ cluster: bc, node, certSans: [] });
                const interfaces = at(patch, "machine.network.interfaces") as unknown[];
                assert.equal(interfaces.length, 2, `${node.name}: public and private NIC`);
                assert.deepEqual(interfaces[1], { deviceSelector: { busPath: "0000:07:00.0" }, dhcp: true });
                assert.deepEqual(at(interfaces[0], "deviceSelector"), { busPath: "0000:01:00.0" });
            }
        }
    });

    it("takes the private NIC's bus path from config", () => {
        const patch = machineConfigPatch({ cluster: cluster({ privateNicBusPath: "0000:08:00.0" }), node: worker1, certSans: [] });
        assert.deepEqual(at(patch, "machine.network.interfaces[1].deviceSelector"), { busPath: "0000:08:00.0" });
    });

    it("puts the floating-IP VIP on control planes only", () => {
        const vip = { ip: "198.51.100.7", hcloudToken: "t" };
        const cp = machineConfigPatch({ cluster: c, node: cp1, certSans: [], vip });
        const wk = machineConfigPatch({ cluster: c, node: worker1, certSans: [], vip });
        assert.deepEqual(at(cp, "machine.network.interfaces[0].vip"), { ip: "198.51.100.7", hcloud: { apiToken: "t" } });
        assert.equal(at(cp, "machine.network.interfaces[1].vip"), undefined, "the VIP is public, never on the private NIC");
        assert.equal(at(wk, "machine.network.interfaces[0].vip"), undefined);
        assert.equal(at(wk, "cluster.apiServer"), undefined);
    });
});

describe("cluster: client configs", () => {
    it("points the kubeconfig at the stable endpoint", () => {
        const text = "apiVersion: v1\nkind: Config\nclusters:\n  - name: prod\n    cluster:\n      server: https://203.0.113.5:6443\n";
        const out = parse(rewriteKubeconfigServer(text, apiUrl("api.example.org")));
        assert.equal(out.clusters[0].cluster.server, "https://api.example.org:6443");
    });

    it("rejects a kubeconfig without clusters", () => {
        assert.throws(() => rewriteKubeconfigServer("kind: Config\n", "https://x:6443"), /without clusters/);
    });

    it("sets talosconfig endpoints and nodes to the control-plane IPs", () => {
        const text = "context: prod\ncontexts:\n  prod:\n    endpoints: [198.51.100.7]\n";
        const out = parse(rewriteTalosconfigEndpoints(text, ["203.0.113.1", "203.0.113.2"]));
        assert.deepEqual(out.contexts.prod.endpoints, ["203.0.113.1", "203.0.113.2"]);
        assert.deepEqual(out.contexts.prod.nodes, ["203.0.113.1", "203.0.113.2"]);
    });
});
