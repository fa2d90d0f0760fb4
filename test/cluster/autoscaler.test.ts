import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";
import { parse, parseAllDocuments } from "yaml";
import {
    AUTOSCALER_RELEASE,
    HETZNER_USER_DATA_LIMIT_BYTES,
    autoscaledWorkerConfig,
    CONFIG_DIGEST_ANNOTATION,
    autoscalerValues,
    configDigest,
    encodeCloudInit,
    hcloudClusterConfig,
} from "../../components/cluster/autoscalerConfig";
import { AutoscalerPool, reachableTotal } from "../../config/autoscaler";
import { validateConfig } from "../../config";
import { requiredTools } from "../../preflight/tools";
import { validProdRaw } from "../support/config";

const PROD_POOLS = ["autoscale-cx43 serverType=cx43 location=fsn1 min=0 max=4", "autoscale-cx53 serverType=cx53 location=fsn1 min=0 max=4"];
const prodAutoscaler = { autoscalerPools: PROD_POOLS, autoscalerMaxNodesTotal: "9", autoscalerExpander: "least-nodes,least-waste" };

/** The chart values the assertions read. */
interface ChartValues {
    replicas: number;
    cloudProvider: string;
    nodeSelector: Record<string, string>;
    autoscalingGroups: Record<string, unknown>[];
    extraArgs: Record<string, unknown>;
    extraEnvSecrets: Record<string, unknown>;
    rbac: { additionalRules: { resources: string[] }[] };
    extraObjects?: unknown;
}

/** The problems validation reports for the prod config with these overrides, as "key = value: message" lines. */
function problems(overrides: Record<string, unknown>): string[] {
    const r = validateConfig(validProdRaw({ ...prodAutoscaler, ...overrides }));
    return r.ok ? [] : r.problems.map((p) => `${p.key} = ${p.value}: ${p.message}`);
}

/** The prod autoscaler config, validated. */
function validAutoscaler() {
    const r = validateConfig(validProdRaw(prodAutoscaler));
    assert.ok(r.ok);
    return r.config.autoscaler;
}

const pool = (over: Partial<AutoscalerPool> = {}): AutoscalerPool => ({
    name: "autoscale-cx43",
    serverType: "cx43",
    location: "fsn1",
    min: 0,
    max: 4,
    labels: {},
    taints: [],
    ...over,
});

/** A worker config as talosctl generates it for a static worker, with the platform's Longhorn label patch. */
const WORKER_CONFIG = `version: v1alpha1
machine:
  type: worker
  token: abcdef.0123456789abcdef
  install:
    disk: /dev/sda
    image: factory.talos.dev/installer/88d1f7a5c4f1d3aba7df787c448c1d3d008ed29cfb34af53fa0df4336a56040b:v1.13.8
  disks:
    - device: /dev/sdb
      partitions:
        - mountpoint: /var/mnt/longhorn
  kubelet:
    extraArgs:
      node-labels: node.longhorn.io/create-default-disk=true
    extraMounts:
      - destination: /var/lib/longhorn
        type: bind
        source: /var/lib/longhorn
  nodeLabels:
    node.longhorn.io/create-default-disk: "true"
    topology.kubernetes.io/zone: fsn1
  network:
    interfaces:
      - deviceSelector:
          busPath: "0000:01:00.0"
        dhcp: true
cluster:
  clusterName: prod
---
apiVersion: v1alpha1
kind: HostnameConfig
hostname: prod-worker-1
auto: "off"
---
apiVersion: v1alpha1
kind: NetworkRuleConfig
name: kubelet-ingress
portSelector:
  ports: [10250]
  protocol: tcp
ingress:
  - subnet: 10.0.0.0/16
`;

describe("cluster: Cluster Autoscaler config", () => {
    it("accepts the platform's prod autoscaler (Pulumi.prod.yaml as committed)", () => {
        const stack = parse(fs.readFileSync(path.resolve(__dirname, "../../Pulumi.prod.yaml"), "utf8")).config;
        const values = Object.fromEntries(
            Object.entries(stack as Record<string, unknown>)
                .filter(([k]) => k.startsWith("platform-dr:autoscaler"))
                .map(([k, v]) => [k.replace("platform-dr:", ""), v]),
        );
        const r = validateConfig(validProdRaw(values));
        assert.ok(r.ok, r.ok ? "" : r.problems.map((p) => p.message).join("\n"));
        const a = r.config.autoscaler;
        assert.deepEqual(
            a.pools.map((p) => [p.name, p.serverType, p.location, p.min, p.max]),
            [
                ["autoscale-cx43", "cx43", "fsn1", 0, 4],
                ["autoscale-cx53", "cx53", "fsn1", 0, 4],
            ],
        );
        assert.deepEqual(
            [a.maxNodesTotal, a.expanders, a.scaleDownUnneededTime, a.capacityBuffers, a.chartVersion],
            [9, ["least-nodes", "least-waste"], "10m", true, "9.59.0"],
        );
    });

    it("matches the platform's ksail.prod.yaml autoscaler block (pools, cap, expander, buffers)", function () {
        const file = path.resolve(__dirname, "../../../shared/reference/platform/ksail.prod.yaml");
        if (!fs.existsSync(file)) {
            this.skip(); // ../shared is not on this machine
        }
        const node = parse(fs.readFileSync(file, "utf8")).spec.cluster.autoscaler.node;
        const r = validateConfig(validProdRaw(prodAutoscaler));
        assert.ok(r.ok);
        const a = r.config.autoscaler;
        assert.deepEqual(
            a.pools.map((p) => ({ name: p.name, serverType: p.serverType, location: p.location, min: p.min, max: p.max })),
            node.pools,
        );
        assert.equal(a.maxNodesTotal, node.maxNodesTotal);
        // ksail's enum names (LeastNodes) are the flag's names (least-nodes) in kebab case.
        assert.deepEqual(
            a.expanders,
            node.expander.map((e: string) => e.replace(/([a-z])([A-Z])/g, "$1-$2").toLowerCase()),
        );
        assert.equal(a.scaleDownUnneededTime, node.scaleDownUnneededTime);
    });

    it("refuses a reachable total that leaves no slot for the snapshot build (ksail#6172), with the numbers", () => {
        const [p] = problems({ autoscalerMaxNodesTotal: "10" });
        assert.match(
            p,
            /^autoscalerMaxNodesTotal = 10: lets the cluster reach 10 servers \(3 control planes \+ 3 workers \+ pool maxima 8, clamped by autoscalerMaxNodesTotal 10\), which leaves no slot of serverLimit 10 free .* keep it at or below 9/,
        );
        const [uncapped] = problems({ autoscalerMaxNodesTotal: "0" });
        assert.match(
            uncapped,
            /^autoscalerPools = .*: lets the cluster reach 14 servers \(.*pool maxima 8, no autoscalerMaxNodesTotal cap\)/,
        );
        // Pool maxima that fit without a cap are fine: 3 + 3 + 3 = 9.
        assert.deepEqual(problems({ autoscalerMaxNodesTotal: "0", autoscalerPools: ["a serverType=cx43 max=3"] }), []);
        // The clamp never goes below the static nodes, and a cap at or below them is refused.
        assert.match(problems({ autoscalerMaxNodesTotal: "6" }).join("\n"), /autoscalerMaxNodesTotal = 6: is not above the 6 static nodes/);
    });

    it("computes the reachable total as ksail#6172: static + pool maxima, clamped to max(cap, static nodes)", () => {
        const r = validateConfig(validProdRaw(prodAutoscaler));
        assert.ok(r.ok);
        const { cluster } = r.config;
        const pools = [pool({ max: 4 }), pool({ name: "b", max: 4 })];
        assert.deepEqual(reachableTotal(cluster, pools, 9), { baseline: 6, poolCapacity: 8, reachable: 9, usable: 9 });
        assert.equal(reachableTotal(cluster, pools, 0).reachable, 14, "no cap: everything the pools allow");
        assert.equal(reachableTotal(cluster, pools, 20).reachable, 14, "a cap above what the pools reach changes nothing");
        assert.equal(reachableTotal(cluster, pools, 3).reachable, 6, "never below the static nodes");
    });

    it("refuses an unknown server type, another architecture, a cax type for the amd64 image, a location outside the network zone", () => {
        const found = problems({
            autoscalerPools: [
                "a serverType=cx99 max=1",
                "b serverType=cax21 max=1",
                "c serverType=cx43 location=ash max=1",
                "d serverType=cx43 location=nbg1 max=1",
            ],
        }).join("\n");
        assert.match(found, /autoscalerPools\[0\] = "a": has serverType=cx99, which is not a Hetzner server type/);
        assert.match(
            found,
            /autoscalerPools\[1\] = "b": serverType=cax21 is an Arm \(cax\) type, but the autoscaler's Talos snapshot is amd64/,
        );
        assert.match(
            found,
            /autoscalerPools\[2\] = "c": has location=ash in network zone us-east, but the cluster's subnet is in eu-central/,
        );
        assert.ok(!/autoscalerPools\[3\]/.test(found), "nbg1 is in eu-central");
    });

    it("refuses repeated or non-DNS pool names, min > max, max 0, bad labels and taints, each naming the entry", () => {
        const found = problems({
            autoscalerPools: ["Bad_Name serverType=cx43 max=1"],
        });
        assert.match(found.join("\n"), /autoscalerPools\[0\] = "Bad_Name serverType=cx43 max=1": name "Bad_Name" must be a DNS label/);
        assert.match(problems({ autoscalerPools: ["a serverType=cx43 min=3 max=2"] }).join("\n"), /has min=3 greater than max=2/);
        assert.match(
            problems({ autoscalerPools: ["a serverType=cx43 max=0"] }).join("\n"),
            /has max=0: a pool must be able to hold at least one server/,
        );
        assert.match(
            problems({ autoscalerPools: ["a serverType=cx43 max=1", "a serverType=cx53 max=1"] }).join("\n"),
            /autoscalerPools\[1\] = "a": repeats pool name a/,
        );
        assert.match(
            problems({ autoscalerPools: ["a serverType=cx43 max=1 taints=gpu=yes:Sometimes"] }).join("\n"),
            /has taint "gpu=yes:Sometimes"/,
        );
        assert.match(
            problems({ autoscalerPools: ["a serverType=cx43 max=1 labels=ksail.io/autoscaled=false"] }).join("\n"),
            /sets ksail.io\/autoscaled/,
        );
        assert.match(problems({ autoscalerPools: ["a max=1"] }).join("\n"), /needs serverType=/);
    });

    it("reads names such as constructor as unknown, not as JavaScript's own, and says what a stray comma is", () => {
        assert.match(problems({ autoscalerExpander: "constructor" }).join("\n"), /has "constructor", which is not an expander; use/);
        assert.match(problems({ autoscalerExpander: "least-waste," }).join("\n"), /has an empty entry \(a stray comma\)/);
        assert.match(
            problems({ autoscalerPools: ["p serverType=constructor max=2"] }).join("\n"),
            /serverType=constructor, which is not a Hetzner server type/,
        );
        assert.match(
            problems({ autoscalerPools: ["p serverType=cx43 location=toString max=2"] }).join("\n"),
            /location=toString, which is not a Hetzner location/,
        );
    });

    it("refuses the price expander for Hetzner, unknown expanders and bad durations", () => {
        assert.match(
            problems({ autoscalerExpander: "price,least-waste" }).join("\n"),
            /autoscalerExpander = "price,least-waste": has "price", which cannot run here: the Hetzner provider implements no pricing API/,
        );
        assert.match(problems({ autoscalerExpander: "cheapest" }).join("\n"), /has "cheapest", which is not an expander/);
        assert.match(
            problems({ autoscalerScaleDownUnneededTime: "ten minutes" }).join("\n"),
            /autoscalerScaleDownUnneededTime = "ten minutes": must be a duration/,
        );
    });

    it("needs a static worker to derive the autoscaled nodes' config from", () => {
        assert.match(problems({ workerCount: "0" }).join("\n"), /workerCount = 0: must be at least 1 when autoscalerPools is set/);
    });

    it("the tool pre-flight asks for ssh and ssh-keygen only when pools are set (the snapshot build)", () => {
        const names = (overrides: Record<string, unknown>) => {
            const r = validateConfig(validProdRaw(overrides));
            assert.ok(r.ok);
            return requiredTools(r.config).map((t) => t.name);
        };
        assert.deepEqual(names(prodAutoscaler).slice(-2), ["ssh", "ssh-keygen"]);
        assert.ok(!names({}).includes("ssh"));
    });

    it("parses labels and taints the way kubectl writes them", () => {
        const r = validateConfig(
            validProdRaw({
                ...prodAutoscaler,
                autoscalerPools: [
                    "gpu serverType=cx53 max=2 labels=role=batch,tier=spot taints=batch=true:NoSchedule,spot:PreferNoSchedule",
                ],
            }),
        );
        assert.ok(r.ok, r.ok ? "" : r.problems.map((p) => p.message).join("\n"));
        const [p] = r.config.autoscaler.pools;
        assert.deepEqual(p.labels, { role: "batch", tier: "spot" });
        assert.deepEqual(p.taints, [
            { key: "batch", value: "true", effect: "NoSchedule" },
            { key: "spot", value: "", effect: "PreferNoSchedule" },
        ]);
        assert.equal(p.location, "fsn1", "defaults to the cluster location");
    });
});

describe("cluster: the autoscaled worker config and cluster-autoscaler-config", () => {
    it("derives the autoscaled nodes' config from the static worker's: wiped, no disks, no Longhorn label, autoscaled label, pool labels and taints, no static hostname", () => {
        const text = autoscaledWorkerConfig(
            WORKER_CONFIG,
            pool({ labels: { role: "batch" }, taints: [{ key: "batch", value: "true", effect: "NoSchedule" }] }),
        );
        const docs = parseAllDocuments(text).map((d) => d.toJS());
        const [main, rule] = docs;
        assert.equal(main.machine.install.wipe, true);
        assert.equal(main.machine.install.disk, "/dev/sda");
        assert.equal(main.machine.disks, undefined);
        assert.deepEqual(main.machine.nodeLabels, { "topology.kubernetes.io/zone": "fsn1", "ksail.io/autoscaled": "true", role: "batch" });
        assert.equal(main.machine.kubelet.extraArgs["node-labels"], undefined, "the platform's Longhorn storage label is gone");
        assert.deepEqual(main.machine.kubelet.extraMounts[0].destination, "/var/lib/longhorn", "CSI mounts stay");
        assert.deepEqual(main.machine.nodeTaints, { batch: "true:NoSchedule" });
        assert.equal(main.machine.token, "abcdef.0123456789abcdef", "joins the same cluster");
        assert.ok(
            !docs.some((d) => d.kind === "HostnameConfig"),
            "no HostnameConfig: the name comes from Hetzner's metadata (Talos refuses auto: off without a hostname)",
        );
        assert.equal(rule.kind, "NetworkRuleConfig", "every other worker document (the platform's patches) is kept");
    });

    it("keeps other kubelet node labels, and refuses a config without exactly one machine document", () => {
        const other = WORKER_CONFIG.replace(
            "node-labels: node.longhorn.io/create-default-disk=true",
            "node-labels: a=b,node.longhorn.io/create-default-disk=true",
        );
        const [main] = parseAllDocuments(autoscaledWorkerConfig(other, pool())).map((d) => d.toJS());
        assert.equal(main.machine.kubelet.extraArgs["node-labels"], "a=b");
        assert.throws(() => autoscaledWorkerConfig("kind: HostnameConfig\n", pool()), /0 v1alpha1 documents/);
    });

    it("writes hcloud_cluster_config as ksail does: base64 JSON, one nodeConfig per pool, cloudInit = base64(gzip(config))", () => {
        const pools = [
            pool(),
            pool({
                name: "autoscale-cx53",
                serverType: "cx53",
                labels: { b: "2", a: "1" },
                taints: [{ key: "k", value: "", effect: "NoExecute" }],
            }),
        ];
        const value = hcloudClusterConfig("123456", "amd64", pools, WORKER_CONFIG);
        const doc = JSON.parse(Buffer.from(value, "base64").toString("utf8"));
        assert.deepEqual(Object.keys(doc), ["imagesForArch", "nodeConfigs"]);
        assert.deepEqual(doc.imagesForArch, { amd64: "123456" });
        assert.deepEqual(Object.keys(doc.nodeConfigs), ["autoscale-cx43", "autoscale-cx53"]);
        assert.deepEqual(Object.keys(doc.nodeConfigs["autoscale-cx43"]), ["cloudInit"], "labels and taints left out when empty");
        assert.deepEqual(doc.nodeConfigs["autoscale-cx53"].labels, { a: "1", b: "2" });
        assert.deepEqual(doc.nodeConfigs["autoscale-cx53"].taints, [{ key: "k", effect: "NoExecute" }]);
        const config = gunzipSync(Buffer.from(doc.nodeConfigs["autoscale-cx53"].cloudInit, "base64")).toString("utf8");
        assert.equal(config, autoscaledWorkerConfig(WORKER_CONFIG, pools[1]));
        assert.equal(
            hcloudClusterConfig("123456", "amd64", pools, WORKER_CONFIG),
            value,
            "deterministic: an unchanged config is no change",
        );
    });

    it("a new snapshot or worker config changes the Secret and its digest in the pod template (the autoscaler restarts); an unchanged one does not", () => {
        const pools = [pool()];
        const digest = (snapshot: string, worker: string) => configDigest(hcloudClusterConfig(snapshot, "amd64", pools, worker));
        const before = digest("123456", WORKER_CONFIG);
        assert.equal(digest("123456", WORKER_CONFIG), before);
        assert.notEqual(digest("123457", WORKER_CONFIG), before, "new snapshot");
        assert.notEqual(digest("123456", WORKER_CONFIG.replace("token: abcdef", "token: fedcba")), before, "new worker config");
        const values = autoscalerValues(validAutoscaler(), { controlPlanes: 3, firewallName: "f", configDigest: before }) as unknown as {
            podAnnotations: Record<string, string>;
        };
        assert.deepEqual(values.podAnnotations, { [CONFIG_DIGEST_ANNOTATION]: before });
    });

    it("refuses user data over 32 KiB, naming the size", () => {
        // Random text does not compress: its base64 gzip is over the limit.
        const big = Array.from({ length: 30_000 }, (_, i) => ((i * 2654435761) >>> 0).toString(36)).join("\n");
        assert.throws(
            () => encodeCloudInit(big, "autoscale-cx43"),
            (e: Error) => {
                const size = /is (\d+) bytes as user data/.exec(e.message);
                return (
                    !!size &&
                    Number(size[1]) > HETZNER_USER_DATA_LIMIT_BYTES &&
                    /pool autoscale-cx43/.test(e.message) &&
                    /32768 bytes \(32 KiB\)/.test(e.message)
                );
            },
        );
        assert.ok(encodeCloudInit(WORKER_CONFIG, "p").length < HETZNER_USER_DATA_LIMIT_BYTES);
    });

    it("renders ksail's chart values: pools, flags, 2 replicas on control planes, CapacityBuffer controller only when enabled", () => {
        const r = validateConfig(validProdRaw({ ...prodAutoscaler, autoscalerCapacityBuffers: "true" }));
        assert.ok(r.ok);
        const values = autoscalerValues(r.config.autoscaler, {
            controlPlanes: 3,
            firewallName: "prod-firewall",
            configDigest: "d",
        }) as unknown as ChartValues;
        assert.equal(values.replicas, 2);
        assert.equal(values.cloudProvider, "hetzner");
        assert.deepEqual(values.nodeSelector, { "node-role.kubernetes.io/control-plane": "" });
        assert.deepEqual(values.autoscalingGroups[1], {
            name: "autoscale-cx53",
            minSize: 0,
            maxSize: 4,
            instanceType: "cx53",
            region: "fsn1",
        });
        assert.deepEqual(values.extraArgs, {
            expander: "least-nodes,least-waste",
            "scale-down-unneeded-time": "10m",
            "max-nodes-total": 9,
            "scale-down-delay-after-add": "5m",
            "scale-down-delay-after-delete": "2m",
            "ok-total-unready-count": 3,
            v: "4",
            "capacity-buffer-controller-enabled": true,
            "capacity-buffer-pod-injection-enabled": true,
            "kube-api-content-type": "application/json",
        });
        assert.deepEqual(values.extraEnvSecrets.HCLOUD_CLUSTER_CONFIG, { name: "cluster-autoscaler-config", key: "hcloud_cluster_config" });
        assert.ok(values.rbac.additionalRules.some((rule) => rule.resources.includes("capacitybuffers")));
        assert.equal(values.extraObjects, undefined, "the CapacityBuffer CRD has one owner: the pre-Flux CRDs");
        const off = validateConfig(validProdRaw(prodAutoscaler));
        assert.ok(off.ok);
        const plain = autoscalerValues(off.config.autoscaler, {
            controlPlanes: 1,
            firewallName: "f",
            configDigest: "d",
        }) as unknown as ChartValues;
        assert.equal(plain.replicas, 1);
        assert.equal(plain.extraArgs["capacity-buffer-controller-enabled"], undefined);
        assert.equal(AUTOSCALER_RELEASE.name, "cluster-autoscaler");
    });
});
