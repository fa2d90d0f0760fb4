import { strict as assert } from "assert";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { formatProblems, validateConfig } from "../../config";
import { FAKE_HCLOUD_TOKEN, validProdRaw } from "../support/config";

/** Validates with one change and returns the problems for `key`. */
function problemsFor(overrides: Record<string, unknown>, key: string, secretKeys: string[] = []) {
    const result = validateConfig(validProdRaw(overrides, secretKeys));
    assert.equal(result.ok, false, `expected ${JSON.stringify(overrides)} to be rejected`);
    if (result.ok) {
        throw new Error("unreachable");
    }
    return result.problems.filter((p) => p.key === key || p.key.startsWith(`${key}[`));
}

describe("config: cluster", () => {
    it("accepts the production values and freezes the result", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok, result.ok ? "" : formatProblems(result.problems));
        const { cluster } = result.config;
        assert.equal(cluster.controlPlane.count, 3);
        assert.equal(cluster.workers.serverType, "cx43");
        assert.equal(cluster.networkZone, "eu-central");
        assert.deepEqual(cluster.boot, { mode: "iso", isoId: "125127", baseImage: "debian-12" });
        assert.ok(Object.isFrozen(result.config) && Object.isFrozen(cluster.network));
    });

    it("keeps secrets as Pulumi secrets", async () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        assert.equal(await pulumi.isSecret(result.config.cluster.hcloudToken), true);
    });

    // Each row: a distinct bad input, the key the problem must name, and words the message must contain.
    const badInputs: [string, Record<string, unknown>, string, RegExp][] = [
        ["unknown location", { location: "fra1" }, "location", /one of: fsn1, nbg1, hel1/],
        ["unknown control-plane server type", { controlPlaneServerType: "cx99" }, "controlPlaneServerType", /one of/],
        ["unknown worker server type", { workerServerType: "m5.large" }, "workerServerType", /one of/],
        ["even control-plane count", { controlPlaneCount: "2" }, "controlPlaneCount", /odd.*etcd/],
        ["zero control planes", { controlPlaneCount: "0" }, "controlPlaneCount", />= 1/],
        ["non-integer count", { workerCount: "three" }, "workerCount", /integer/],
        ["negative worker count", { workerCount: "-1" }, "workerCount", />= 0/],
        ["over the server limit", { workerCount: "9" }, "workerCount", /12 servers, over serverLimit 10/],
        ["mixed architectures", { workerServerType: "cax31" }, "workerServerType", /arm.*x86/],
        ["malformed network CIDR", { networkCidr: "10.0.0.0/33" }, "networkCidr", /IPv4 CIDR/],
        ["CIDR with host bits", { nodeSubnetCidr: "10.0.1.7/24" }, "nodeSubnetCidr", /host bits.*10\.0\.1\.0\/24/],
        ["subnet outside the network", { nodeSubnetCidr: "10.1.1.0/24" }, "nodeSubnetCidr", /inside networkCidr 10\.0\.0\.0\/16/],
        ["pods overlap the network", { podCidr: "10.0.128.0/17" }, "podCidr", /overlaps networkCidr/],
        ["services overlap the pods", { serviceCidr: "10.244.0.0/20" }, "serviceCidr", /overlaps podCidr/],
        ["subnet too small for the nodes", { nodeSubnetCidr: "10.0.1.0/26" }, "nodeSubnetCidr", /too small/],
        ["bad Talos version", { talosVersion: "1.13.8" }, "talosVersion", /release tag such as v1\.13\.8/],
        ["bad Kubernetes version", { kubernetesVersion: "latest" }, "kubernetesVersion", /release tag/],
        ["firewall source that is not a CIDR", { firewallSources: ["office"], firewallOpenToWorld: "false" }, "firewallSources", /CIDR/],
        [
            "world in sources without the explicit switch",
            { firewallSources: ["0.0.0.0/0"], firewallOpenToWorld: "false" },
            "firewallSources",
            /firewallOpenToWorld/,
        ],
        [
            "no firewall sources and not open",
            { firewallSources: [], firewallOpenToWorld: "false" },
            "firewallSources",
            /nobody could reach/,
        ],
        ["firewall sources not a list", { firewallSources: "1.2.3.4/32", firewallOpenToWorld: "false" }, "firewallSources", /list/],
        ["boolean that is not a boolean", { firewallOpenToWorld: "yes" }, "firewallOpenToWorld", /true or false/],
        ["unknown endpoint kind", { apiEndpoint: "vip" }, "apiEndpoint", /floating-ip, load-balancer/],
        ["unknown boot mode", { talosBoot: "pxe" }, "talosBoot", /snapshot, iso/],
        ["ISO boot without an ISO", { talosIsoId: undefined }, "talosIsoId", /required/],
        ["bad snapshot selector", { talosBoot: "snapshot", talosSnapshotSelector: "os talos" }, "talosSnapshotSelector", /label selector/],
        ["bad cluster name", { clusterName: "Prod_1" }, "clusterName", /DNS label/],
        ["bad schematic ID", { talosSchematicId: "abc" }, "talosSchematicId", /schematic/],
        ["typo in a key", { workerCounts: "3" }, "workerCounts", /did you mean workerCount/],
        ["missing Hetzner token", { "hcloud:token": undefined }, "hcloud:token", /pulumi config set --secret hcloud:token/],
        ["malformed Hetzner token", { "hcloud:token": "short" }, "hcloud:token", /64 letters/],
        ["timeout out of range", { bootstrapTimeoutSeconds: "5" }, "bootstrapTimeoutSeconds", />= 30/],
        [
            "private NIC named instead of a bus path",
            { privateNicBusPath: "enp7s0" },
            "privateNicBusPath",
            /PCI bus path such as 0000:07:00\.0/,
        ],
        ["private NIC on the public NIC's bus path", { privateNicBusPath: "0000:01:00.0" }, "privateNicBusPath", /public NIC/],
        ["cloud controller version with a v", { hcloudCcmVersion: "v1.35.0" }, "hcloudCcmVersion", /chart version such as 1\.35\.0/],
        [
            "a load-balancer endpoint behind firewallSources",
            { apiEndpoint: "load-balancer", firewallOpenToWorld: "false", firewallSources: ["203.0.113.7/32"] },
            "apiEndpoint",
            /whole internet.*firewallSources.*cannot be attached to a load balancer.*firewallOpenToWorld: true/,
        ],
    ];
    for (const [what, overrides, key, message] of badInputs) {
        it(`rejects ${what}, naming ${key}`, () => {
            const found = problemsFor(overrides, key);
            assert.ok(found.length > 0, `no problem reported for ${key}`);
            assert.ok(
                found.some((p) => message.test(p.message)),
                `messages for ${key}: ${found.map((p) => p.message).join(" | ")}`,
            );
        });
    }

    it("reports every problem at once, not just the first", () => {
        const result = validateConfig(validProdRaw({ location: "fra1", controlPlaneCount: "4", talosVersion: "x" }));
        assert.ok(!result.ok);
        if (!result.ok) {
            assert.deepEqual(result.problems.map((p) => p.key).sort(), ["controlPlaneCount", "location", "talosVersion"]);
        }
    });

    it("refuses a secret stored in plain text without echoing it", () => {
        const raw = validProdRaw();
        const result = validateConfig({ ...raw, secretKeys: new Set() });
        assert.ok(!result.ok);
        if (!result.ok) {
            const text = formatProblems(result.problems);
            assert.match(text, /hcloud:token = \[secret\]: is stored in plain text/);
            assert.ok(!text.includes(FAKE_HCLOUD_TOKEN));
        }
    });

    it("never echoes a bad secret's value", () => {
        const result = validateConfig(validProdRaw({ talosSecrets: "not: a bundle" }, ["talosSecrets"]));
        assert.ok(!result.ok);
        if (!result.ok) {
            const text = formatProblems(result.problems);
            assert.match(text, /talosSecrets = \[secret\]: is not a Talos secrets bundle/);
            assert.ok(!text.includes("not: a bundle"));
        }
    });

    it("derives the installer image from the schematic", () => {
        const id = "a".repeat(64);
        const result = validateConfig(validProdRaw({ talosSchematicId: id }));
        assert.ok(result.ok);
        if (result.ok) {
            assert.equal(result.config.cluster.installerImage, `factory.talos.dev/installer/${id}:v1.13.8`);
            assert.equal(result.config.cluster.talosSchematicId, id);
        }
    });

    describe("the production schematic", () => {
        /**
         * The Image Factory's schematic ID: SHA-256 of the schematic as Go's yaml.v3 marshals it
         * (4-space indent), extensions in the order given. The factory's UI and KSail sort them.
         */
        const schematicId = (extensions: string[]) =>
            createHash("sha256")
                .update(
                    `customization:\n    systemExtensions:\n        officialExtensions:\n${extensions.map((e) => `            - ${e}\n`).join("")}`,
                )
                .digest("hex");
        const platformExtensions = ["siderolabs/iscsi-tools", "siderolabs/util-linux-tools", "siderolabs/qemu-guest-agent"];

        it("computes IDs as the Image Factory does", () => {
            // Issued by factory.talos.dev for the platform (its former talos/cluster/install-image.yaml).
            assert.equal(schematicId(platformExtensions), "e187c9b90f773cd8c84e5a3265c5554ee787b2fe67b508d9f955e90e7ae8c96c");
        });

        it("Pulumi.prod.yaml installs exactly the platform's three extensions", () => {
            const stack = parse(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.prod.yaml"), "utf8")).config;
            assert.equal(stack["platform-dr:talosSchematicId"], schematicId([...platformExtensions].sort()));
        });
    });

    it("accepts a load-balancer endpoint only with the API explicitly open to the world", () => {
        const result = validateConfig(validProdRaw({ apiEndpoint: "load-balancer", firewallOpenToWorld: "true" }));
        assert.ok(result.ok, result.ok ? "" : formatProblems(result.problems));
        if (result.ok) {
            assert.equal(result.config.cluster.apiEndpoint, "load-balancer");
        }
    });

    it("defaults the private NIC to enp7s0's bus path and the cloud controller to a pinned release", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        if (result.ok) {
            assert.equal(result.config.cluster.network.privateNicBusPath, "0000:07:00.0");
            assert.equal(result.config.gitops.versions.hcloudCcm, "1.35.0");
            assert.equal(result.config.cluster.talosSchematicId, undefined);
        }
    });

    it("accepts explicit sources and IPv6 CIDRs without opening to the world", () => {
        const result = validateConfig(validProdRaw({ firewallOpenToWorld: "false", firewallSources: ["203.0.113.7/32", "2001:db8::/64"] }));
        assert.ok(result.ok, result.ok ? "" : formatProblems(result.problems));
    });

    it("uses a rehearsal placeholder for an unset secret only when asked to", () => {
        const raw = validProdRaw({ "hcloud:token": undefined });
        assert.ok(!validateConfig(raw).ok);
        const result = validateConfig({ ...raw, rehearsal: true });
        assert.ok(result.ok);
        if (result.ok) {
            assert.deepEqual(
                result.placeholders.filter((p) => !p.withoutIt),
                [{ key: "hcloud:token", secret: true, withoutIt: undefined }],
            );
        }
    });
});
