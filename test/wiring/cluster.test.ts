import { strict as assert } from "assert";
import { SimulationResult, simulate } from "../../rehearsal/simulate";
import { HANDED_OVER_SECRET_OPTIONS } from "../../components/kubernetes/fluxAdoptedRelease";
import { FAKE_HCLOUD_TOKEN } from "../support/config";
import { find, ofType, simulateOk, waitsFor } from "../support/simulation";

const SERVER = "hcloud:index/server:Server";
const COMMAND = "command:local:Command";

describe("wiring: cluster layer (simulated cloud)", function () {
    let prod: SimulationResult;
    before(async () => {
        prod = await simulateOk({ overrides: [{ path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true }] });
    });

    it("creates the Hetzner resources with the platform's names", () => {
        const names = (type: string) => ofType(prod, type).map((r) => r.rawInputs.name);
        assert.deepEqual(names("hcloud:index/network:Network"), ["prod-network"]);
        assert.deepEqual(names("hcloud:index/firewall:Firewall"), ["prod-firewall"]);
        assert.deepEqual(names("hcloud:index/placementGroup:PlacementGroup"), ["prod-placement"]);
        assert.deepEqual(names("hcloud:index/floatingIp:FloatingIp"), ["prod-floating-ip"]);
        assert.deepEqual(names(SERVER), [
            "prod-control-plane-1",
            "prod-control-plane-2",
            "prod-control-plane-3",
            "prod-worker-1",
            "prod-worker-2",
            "prod-worker-3",
        ]);
        assert.equal(find(prod, "hcloud:index/placementGroup:PlacementGroup", "prod-hetzner-placement").rawInputs.type, "spread");
    });

    it("servers wait for the subnet and never get replaced by a drift check", () => {
        const subnet = find(prod, "hcloud:index/networkSubnet:NetworkSubnet", "prod-hetzner-subnet");
        for (const server of ofType(prod, SERVER)) {
            assert.ok(server.dependencies.includes(subnet.urn), `${server.name} does not wait for the subnet`);
            assert.deepEqual([...server.ignoreChanges].sort(), ["image", "iso", "userData"]);
        }
    });

    it("ISO boot: servers boot the ISO and get their config through apply-config", () => {
        const cp1 = find(prod, SERVER, "prod-control-plane-1");
        assert.equal(cp1.rawInputs.iso, "125127");
        assert.equal(cp1.rawInputs.userData, undefined);
        const apply = find(prod, COMMAND, "prod-control-plane-1-apply-config");
        assert.ok(apply.dependencies.includes(cp1.urn));
        assert.deepEqual(apply.rawInputs.triggers, [cp1.id]);
    });

    it("bootstrap waits for every control plane; kubeconfig waits for the bootstrap and the API", () => {
        const bootstrap = find(prod, COMMAND, "prod-bootstrap-etcd");
        for (const i of [1, 2, 3]) {
            assert.ok(waitsFor(prod, bootstrap, find(prod, SERVER, `prod-control-plane-${i}`)));
            assert.ok(waitsFor(prod, bootstrap, find(prod, COMMAND, `prod-control-plane-${i}-apply-config`)));
        }
        assert.ok(!waitsFor(prod, bootstrap, find(prod, SERVER, "prod-worker-1")), "bootstrap must not wait for workers");
        const kubeconfig = find(prod, COMMAND, "prod-bootstrap-kubeconfig");
        assert.ok(kubeconfig.dependencies.includes(bootstrap.urn));
        assert.ok(kubeconfig.dependencies.includes(find(prod, COMMAND, "prod-bootstrap-wait-api").urn));
        const provider = find(prod, "pulumi:providers:kubernetes", "prod-k8s");
        assert.ok(waitsFor(prod, provider, kubeconfig));
    });

    it("bootstrap is not tied to any server, so a replaced control plane never re-bootstraps etcd", () => {
        const bootstrap = find(prod, COMMAND, "prod-bootstrap-etcd");
        assert.equal(bootstrap.rawInputs.triggers, undefined);
        const env = bootstrap.rawInputs.environment as Record<string, string>;
        assert.equal(env.NODE_NAME, "prod-control-plane-1");
        // The node IP is a primary IP, which survives server replacement.
        const ip = find(prod, "hcloud:index/primaryIp:PrimaryIp", "prod-hetzner-control-plane-1-ipv4");
        assert.equal(ip.rawInputs.autoDelete, false);
        assert.equal(env.NODE_IP, ip.outputs.ipAddress);
    });

    it("keeps kubeconfig, talosconfig and the secrets bundle secret", () => {
        assert.deepEqual(prod.secretOutputs, ["kubeconfig", "talosSecrets", "talosconfig"]);
        for (const name of [
            "prod-bootstrap-kubeconfig",
            "prod-talos-secrets-talosconfig",
            "prod-talos-secrets-bundle",
            "prod-control-plane-1-config",
        ]) {
            const cmd = find(prod, COMMAND, name);
            assert.deepEqual(cmd.additionalSecretOutputs, ["stdout"], name);
            assert.equal(cmd.inputs.logging, "stderr", `${name} must not log its stdout`);
        }
        const everything = JSON.stringify({ inputs: prod.resources.map((r) => r.inputs), outputs: prod.outputs });
        assert.ok(!everything.includes(FAKE_HCLOUD_TOKEN), "the Hetzner token leaked");
        assert.ok(!everything.includes("simulated-admin-key"), "talosconfig content leaked");
        assert.ok(!everything.includes("c2ltdWxhdGVkLWFkbWluLWtleQ=="), "kubeconfig content leaked");
    });

    it("generates the secrets bundle once and protects it", () => {
        assert.equal(find(prod, COMMAND, "prod-talos-secrets-bundle").protect, true);
    });

    it("writes kube-system/hcloud with the token and network for the cloud controller", () => {
        const secret = find(prod, "kubernetes:core/v1:Secret", "prod-hcloud-secret");
        assert.deepEqual(secret.rawInputs.metadata, { name: "hcloud", namespace: "kube-system" });
        const data = secret.rawInputs.stringData as Record<string, string>;
        assert.equal(data.token, FAKE_HCLOUD_TOKEN);
        assert.equal(data.network, find(prod, "hcloud:index/network:Network", "prod-hetzner-network").id);
        assert.equal(secret.inputs.stringData, "[secret]");
        assert.deepEqual(
            [...secret.ignoreChanges].sort(),
            [...HANDED_OVER_SECRET_OPTIONS.ignoreChanges!].sort(),
            "Flux's own copy takes over later: the program never fights it, nor reports it as drift",
        );
        assert.equal(secret.retainOnDelete, true, "a destroy leaves Flux's Secret alone");
    });

    it("two runs with the same config register identical inputs (the drift check's precondition)", async () => {
        const again = await simulateOk({ overrides: [{ path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true }] });
        const shape = (r: SimulationResult) =>
            r.resources.map((x) => ({ urn: x.urn, inputs: x.rawInputs, deps: [...x.dependencies].sort() }));
        assert.deepEqual(shape(again), shape(prod));
    });
});

describe("wiring: cluster layer variants", () => {
    it("snapshot boot: user data carries the machine config, the image comes from the label selector", async () => {
        const r = await simulateOk({ overrides: [{ path: "talosBoot", value: "snapshot", secret: false }] });
        const server = find(r, SERVER, "prod-worker-1");
        assert.equal(server.rawInputs.image, "251234567");
        assert.match(String(server.rawInputs.userData), /type: worker/);
        assert.equal(server.inputs.userData, "[secret]");
        assert.equal(ofType(r, COMMAND).filter((c) => c.name.endsWith("-apply-config")).length, 0);
    });

    it("load-balancer endpoint: lb11 targets the control planes by label over the private network", async () => {
        // No firewall can restrict 6443 behind a load balancer: config allows the mode only with the API open to the world.
        const r = await simulateOk({
            overrides: [
                { path: "apiEndpoint", value: "load-balancer", secret: false },
                { path: "firewallOpenToWorld", value: "true", secret: false },
            ],
        });
        assert.equal(ofType(r, "hcloud:index/floatingIp:FloatingIp").length, 0);
        const target = find(r, "hcloud:index/loadBalancerTarget:LoadBalancerTarget", "prod-hetzner-api-lb-targets");
        assert.deepEqual(
            [target.rawInputs.type, target.rawInputs.labelSelector, target.rawInputs.usePrivateIp],
            ["label_selector", "cluster=prod,role=control-plane", true],
        );
        const lb = find(r, "hcloud:index/loadBalancer:LoadBalancer", "prod-hetzner-api-lb");
        assert.equal(r.outputs.apiEndpointIp, lb.outputs.ipv4);
    });

    it("a secrets bundle from config is used instead of generating one", async () => {
        const bundle = "cluster: {id: a, secret: b}\nsecrets: {}\ntrustdinfo: {}\ncerts: {}\n";
        const r = await simulateOk({ overrides: [{ path: "talosSecrets", value: bundle, secret: true }] });
        assert.equal(r.resources.filter((x) => x.name === "prod-talos-secrets-bundle").length, 0);
        assert.ok(!JSON.stringify(r.resources.map((x) => x.inputs)).includes("trustdinfo"));
    });

    it("a preview (unknown outputs everywhere) registers the same resources without failing", async () => {
        const preview = await simulateOk({ preview: true });
        const update = await simulateOk();
        // Registration order follows when outputs resolve, which differs in a preview: compare sets.
        assert.deepEqual(preview.resources.map((r) => r.urn).sort(), update.resources.map((r) => r.urn).sort());
    });

    it("bad config registers nothing and reports every problem", async () => {
        const direct = await simulate({
            overrides: [
                { path: "controlPlaneCount", value: "2", secret: false },
                { path: "location", value: "mars", secret: false },
            ],
        });
        assert.equal(direct.configInvalid, true);
        assert.equal(direct.resources.length, 0);
        assert.match(direct.errors[0], /controlPlaneCount = "?2"?: must be odd/);
        assert.match(direct.errors[0], /location = "mars"/);
    });
});
