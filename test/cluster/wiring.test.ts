import { strict as assert } from "assert";
import { parse, parseAllDocuments } from "yaml";
import { SimulationResult } from "../../rehearsal/simulate";
import { FAKE_HCLOUD_TOKEN } from "../support/config";
import { find, ofType, simulateOk } from "../support/simulation";
import { at } from "../support/json";

const SERVER = "hcloud:index/server:Server";
const COMMAND = "command:local:Command";
const token = { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true };

/** The server URL of a kubeconfig's (only) cluster. */
function serverOf(kubeconfig: unknown): string {
    return parse(String(kubeconfig)).clusters[0].cluster.server;
}

/** The patch files a node's `talosctl gen config` received, in order (CONFIG_PATCH_1..n), each as its documents. */
function patchFilesOf(r: SimulationResult, node: string): unknown[][] {
    const env = find(r, COMMAND, `${node}-config`).rawInputs.environment as Record<string, string>;
    const count = Number(env.CONFIG_PATCH_COUNT);
    return Array.from({ length: count }, (_, i) => parseAllDocuments(env[`CONFIG_PATCH_${i + 1}`]).map((d) => d.toJS()));
}

/** The program's machine-config patch (the first of its own, after the platform's) a node received. */
function patchOf(r: SimulationResult, node: string): unknown {
    return patchFilesOf(r, node).find((docs) => docs.length === 1 && at(docs[0], "machine.install"))![0];
}

describe("cluster: wiring of the review fixes (simulated cloud)", () => {
    let prod: SimulationResult;
    before(async () => {
        prod = await simulateOk({ overrides: [token] });
    });

    describe("Talos leaves the cloud provider to the Hetzner cloud controller (installed before Flux)", () => {
        it("names each node in a HostnameConfig document (Talos 1.12+ refuses machine.network.hostname beside the generated one)", () => {
            const files = patchFilesOf(prod, "prod-worker-2");
            const hostnames = files.flat().filter((d) => at(d, "kind") === "HostnameConfig");
            assert.equal(hostnames.length, 1);
            const [hostname] = hostnames;
            assert.equal(at(patchOf(prod, "prod-worker-2"), "machine.network.hostname"), undefined);
            assert.deepEqual(hostname, { apiVersion: "v1alpha1", kind: "HostnameConfig", hostname: "prod-worker-2", auto: "off" });
        });

        it("Talos keeps the external cloud provider on and adds no manifests of its own", () => {
            for (const node of ["prod-control-plane-1", "prod-worker-1"]) {
                assert.deepEqual(at(patchOf(prod, node), "cluster.externalCloudProvider"), { enabled: true });
            }
        });
    });

    describe("replacements delete first (Hetzner refuses a second server, IP or name)", () => {
        it("servers, primary IPs and the floating IP", () => {
            const kinds = [SERVER, "hcloud:index/primaryIp:PrimaryIp", "hcloud:index/floatingIp:FloatingIp"];
            for (const kind of kinds) {
                const all = ofType(prod, kind);
                assert.ok(all.length > 0, kind);
                for (const r of all) {
                    assert.equal(r.deleteBeforeReplace, true, `${r.name} would be created before its namesake is deleted`);
                }
            }
        });

        it("the API load balancer and its network attachment", async () => {
            const r = await simulateOk({
                overrides: [
                    token,
                    { path: "apiEndpoint", value: "load-balancer", secret: false },
                    { path: "firewallOpenToWorld", value: "true", secret: false },
                ],
            });
            assert.equal(find(r, "hcloud:index/loadBalancer:LoadBalancer", "prod-hetzner-api-lb").deleteBeforeReplace, true);
            assert.equal(
                find(r, "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork", "prod-hetzner-api-lb-network").deleteBeforeReplace,
                true,
            );
        });
    });

    describe("the program talks to the API by IP; people and CI by name", () => {
        it("the Kubernetes provider's kubeconfig points at the endpoint IP, which the API certificate covers", () => {
            const ip = String(find(prod, "hcloud:index/floatingIp:FloatingIp", "prod-hetzner-floating-ip").outputs.ipAddress);
            const provider = find(prod, "pulumi:providers:kubernetes", "prod-k8s");
            assert.equal(serverOf(provider.rawInputs.kubeconfig), `https://${ip}:6443`);
            assert.equal(provider.inputs.kubeconfig, "[secret]");
            assert.equal(
                provider.rawInputs.clusterIdentifier,
                "prod",
                "a changed kubeconfig updates the provider, never replaces every object under it",
            );
            assert.deepEqual(at(patchOf(prod, "prod-control-plane-1"), "cluster.apiServer.certSANs"), [ip, "api.platform.devantler.tech"]);
        });

        it("the kubeconfig for CI (KUBE_CONFIG) keeps the DNS name", () => {
            const kube = ofType(prod, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").find(
                (s) => s.rawInputs.secretName === "KUBE_CONFIG",
            );
            assert.ok(kube, "no KUBE_CONFIG secret");
            assert.equal(serverOf(kube!.rawInputs.value), "https://api.platform.devantler.tech:6443");
        });
    });

    describe("Talos system extensions", () => {
        it("the production stack installs the Image Factory installer of its schematic, without a warning", () => {
            const env = find(prod, COMMAND, "prod-control-plane-1-config").rawInputs.environment as Record<string, string>;
            assert.equal(
                env.INSTALL_IMAGE,
                "factory.talos.dev/installer/88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040b:v1.13.8",
            );
            assert.ok(!prod.messages.some((m) => /talosSchematicId/.test(m)), prod.messages.join("\n"));
        });

        it("a run without a schematic warns loudly, naming the key, the extensions and how to get an ID", async () => {
            const r = await simulateOk({ overrides: [token, { path: "talosSchematicId", value: "", secret: false }] });
            const warning = r.messages.find((m) => /talosSchematicId is NOT set/.test(m));
            assert.ok(warning, r.messages.join("\n"));
            assert.match(
                warning!,
                /ghcr\.io\/siderolabs\/installer:v1\.13\.8, WITHOUT .*siderolabs\/iscsi-tools.*factory\.talos\.dev\/schematics/,
            );
        });
    });
});
