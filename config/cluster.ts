import * as pulumi from "@pulumi/pulumi";
import { parse as parseYaml } from "yaml";
import { ConfigReader } from "./reader";
import { TalosPatchSet, readTalosPatches } from "./talosPatches";
import { Ipv4Cidr, checkSourceCidr, cidrContains, cidrsOverlap, isWorldCidr, parseIpv4Cidr } from "./cidr";
import { unsupportedPair } from "./talosSupport";

/** Hetzner Cloud locations and the network zone each belongs to. */
export const HETZNER_LOCATIONS: Readonly<Record<string, string>> = Object.freeze({
    fsn1: "eu-central",
    nbg1: "eu-central",
    hel1: "eu-central",
    ash: "us-east",
    hil: "us-west",
    sin: "ap-southeast",
});

/** Hetzner Cloud server types this program knows, with their CPU architecture. */
export const HETZNER_SERVER_TYPES: Readonly<Record<string, "x86" | "arm">> = Object.freeze({
    ...Object.fromEntries(["cx22", "cx32", "cx42", "cx52", "cx23", "cx33", "cx43", "cx53"].map((t) => [t, "x86" as const])),
    ...Object.fromEntries(
        ["cpx11", "cpx21", "cpx31", "cpx41", "cpx51", "cpx12", "cpx22", "cpx32", "cpx42", "cpx52", "cpx62"].map((t) => [t, "x86" as const]),
    ),
    ...Object.fromEntries(["ccx13", "ccx23", "ccx33", "ccx43", "ccx53", "ccx63"].map((t) => [t, "x86" as const])),
    ...Object.fromEntries(["cax11", "cax21", "cax31", "cax41"].map((t) => [t, "arm" as const])),
});

/** `v1.13.8`, optionally with a pre-release suffix (`v1.14.0-beta.1`). */
const VERSION = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;
/** A cluster name: a DNS label short enough to prefix every Hetzner, Talos and Kubernetes name built from it. */
const CLUSTER_NAME = /^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$/;
/** A Hetzner label selector term list, e.g. `os=talos,version=v1.13.8`. */
const LABEL_SELECTOR = /^[A-Za-z0-9._/-]+(!?=[A-Za-z0-9._-]*)?(,[A-Za-z0-9._/-]+(!?=[A-Za-z0-9._-]*)?)*$/;
/** Talos Image Factory schematic IDs are SHA-256 hex digests. */
const SCHEMATIC_ID = /^[0-9a-f]{64}$/;
/** A PCI address as Talos `deviceSelector.busPath` takes it: domain:bus:slot.function. */
const PCI_BUS_PATH = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;

/** PCI bus path of the public NIC on Hetzner Cloud servers (Talos names it enp1s0, not eth0). */
export const PUBLIC_NIC_BUS_PATH = "0000:01:00.0";
/** One group of identical servers. */
interface NodePoolConfig {
    /** Hetzner server type, e.g. `cx33`. */
    readonly serverType: string;
    /** Number of servers. */
    readonly count: number;
    /** CPU architecture of the server type, which selects the Talos image. */
    readonly architecture: "x86" | "arm";
}

/** How nodes get Talos onto their disk. */
type TalosBootConfig =
    /** Boot a Talos snapshot found by label; the machine config arrives as user data. */
    | { readonly mode: "snapshot"; readonly snapshotSelector: string }
    /** Boot a Talos ISO into maintenance mode; the config is applied per node over the Talos API. */
    | { readonly mode: "iso"; readonly isoId: string; readonly baseImage: string };

/** The Talos cluster on Hetzner Cloud. */
export interface ClusterConfig {
    /** Cluster name; prefix of every Hetzner resource (`prod-network`, `prod-control-plane-1`). */
    readonly name: string;
    /** Talos Linux version, e.g. `v1.13.8`. */
    readonly talosVersion: string;
    /** Kubernetes version, e.g. `v1.36.3`. */
    readonly kubernetesVersion: string;
    /** Installer image written to disk (Image Factory image when a schematic is configured). */
    readonly installerImage: string;
    /**
     * Image Factory schematic ID (the system extensions), or undefined: then the installer is the
     * plain image without the extensions the platform needs, and a real run warns.
     */
    readonly talosSchematicId?: string;
    /** Hetzner location of servers and floating IP. */
    readonly location: string;
    /** Network zone of the subnet; follows from the location. */
    readonly networkZone: string;
    /** Control-plane servers (odd count, for etcd quorum). */
    readonly controlPlane: NodePoolConfig;
    /** Worker servers. */
    readonly workers: NodePoolConfig;
    /** The account's server limit; the static nodes must fit under it. */
    readonly serverLimit: number;
    /** Private network layout. */
    readonly network: {
        /** The Hetzner network. */
        readonly cidr: string;
        /** The node subnet, inside the network. */
        readonly subnetCidr: string;
        /** Pod addresses (Cilium, IPAM kubernetes); must not overlap the network. */
        readonly podCidr: string;
        /** Service addresses; must not overlap the network or the pods. */
        readonly serviceCidr: string;
        /**
         * PCI bus path of the NIC on the private network (enp7s0 = `0000:07:00.0`). Talos configures
         * it with DHCP; kubelet, etcd and the load balancer's targets use its address.
         */
        readonly privateNicBusPath: string;
    };
    /** Who may reach the Kubernetes API (6443) and Talos apid (50000). */
    readonly firewall: {
        /** Allowed source CIDRs. */
        readonly sources: readonly string[];
        /** True only when config explicitly opens both ports to the whole internet. */
        readonly openToWorld: boolean;
    };
    /** The stable Kubernetes API endpoint. */
    readonly apiEndpoint: "floating-ip" | "load-balancer";
    /** How Talos reaches the disks. */
    readonly boot: TalosBootConfig;
    /** The Talos secrets bundle (PKI); when unset it is generated once and protected. */
    readonly talosSecrets?: pulumi.Output<string>;
    /** Hetzner API token, for the cloud controller's Secret and the Talos floating-IP VIP. */
    readonly hcloudToken: pulumi.Output<string>;
    /**
     * The platform's own Talos patches (`talosPatchDir`, `talosPatchVariables`), checked; every node
     * gets `cluster/` and its role's directory, before the program's own patches.
     */
    readonly talosPatches: TalosPatchSet;
    /** How long the etcd bootstrap retries until apid answers. */
    readonly bootstrapTimeoutSeconds: number;
    /** How long to wait for the Kubernetes API to answer. */
    readonly apiReadyTimeoutSeconds: number;
    /** The rolling upgrade after a bump of talosVersion or kubernetesVersion (Scenario 2). */
    readonly upgrade: UpgradeConfig;
}

/** How a node is rolled to a new Talos version. */
interface UpgradeConfig {
    /** How long the drain of one node may take (evictions respect PDBs) before the roll stops there. */
    readonly drainTimeoutSeconds: number;
    /** How long one node may take to come back with the new version, Ready (and etcd healthy on a control plane). */
    readonly nodeTimeoutSeconds: number;
    /** `enforce`: an error finding of the pre-flight stops the roll; `warn`: it is printed and the roll goes on. */
    readonly preflight: "enforce" | "warn";
}

function checkSecretsBundle(text: string): string | undefined {
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch {
        return "is not valid YAML; it must be the output of `talosctl gen secrets`";
    }
    const keys = doc && typeof doc === "object" ? Object.keys(doc) : [];
    const missing = ["cluster", "secrets", "trustdinfo", "certs"].filter((k) => !keys.includes(k));
    return missing.length
        ? `is not a Talos secrets bundle (missing ${missing.join(", ")}); use the output of \`talosctl gen secrets\``
        : undefined;
}

function readPool(r: ConfigReader, role: "controlPlane" | "worker"): NodePoolConfig {
    const serverType = r.string(`${role}ServerType`, { oneOf: Object.keys(HETZNER_SERVER_TYPES) });
    const count = r.integer(`${role}Count`, { min: role === "controlPlane" ? 1 : 0, max: 100 });
    return { serverType, count, architecture: HETZNER_SERVER_TYPES[serverType] ?? "x86" };
}

function cidr(r: ConfigReader, key: string): Ipv4Cidr | undefined {
    const text = r.string(key);
    const parsed = parseIpv4Cidr(text);
    if (typeof parsed === "string") {
        r.problem(key, text, parsed);
        return undefined;
    }
    return parsed;
}

/** The four CIDR keys of the network layout. */
type NetworkCidrKey = "networkCidr" | "nodeSubnetCidr" | "podCidr" | "serviceCidr";

function checkNetworkLayout(r: ConfigReader, net: Record<string, Ipv4Cidr | undefined>, controlPlanes: number, workers: number): void {
    const { networkCidr, nodeSubnetCidr } = net;
    if (networkCidr && nodeSubnetCidr && !cidrContains(networkCidr, nodeSubnetCidr)) {
        r.problem("nodeSubnetCidr", nodeSubnetCidr.text, `must lie inside networkCidr ${networkCidr.text}`);
    }
    const pairs: [string, string][] = [
        ["podCidr", "networkCidr"],
        ["serviceCidr", "networkCidr"],
        ["serviceCidr", "podCidr"],
    ];
    for (const [a, b] of pairs) {
        if (net[a] && net[b] && cidrsOverlap(net[a]!, net[b]!)) {
            r.problem(a, net[a]!.text, `overlaps ${b} ${net[b]!.text}; pod, service and node addresses must be disjoint`);
        }
    }
    // Node addresses are assigned at fixed offsets (see naming.ts); the subnet must hold them all.
    if (
        nodeSubnetCidr &&
        (controlPlanes > NODE_IP_LAYOUT.workerOffset - NODE_IP_LAYOUT.controlPlaneOffset ||
            NODE_IP_LAYOUT.workerOffset + workers >= nodeSubnetCidr.size - 1)
    ) {
        r.problem(
            "nodeSubnetCidr",
            nodeSubnetCidr.text,
            `is too small for ${controlPlanes} control planes and ${workers} workers at fixed offsets; use a /24 or larger`,
        );
    }
}

/** Fixed offsets of node private IPs inside the node subnet: a replaced node keeps its address. */
export const NODE_IP_LAYOUT = Object.freeze({ loadBalancerOffset: 5, controlPlaneOffset: 10, workerOffset: 100 });

/** Reads and validates the cluster keys. Problems go to the reader's collector. */
export function readClusterConfig(r: ConfigReader, rebuild = true): ClusterConfig {
    const name = r.string("clusterName", {
        pattern: CLUSTER_NAME,
        expected: "a DNS label: lower-case letters, digits and '-', starting with a letter, at most 32 characters",
    });
    const versions = readVersions(r);
    const location = r.string("location", { oneOf: Object.keys(HETZNER_LOCATIONS) });
    const networkZone = HETZNER_LOCATIONS[location] ?? "eu-central";
    const { controlPlane, workers, serverLimit } = readPools(r);
    const net = readNetwork(r, controlPlane.count, workers.count);
    const firewall = readFirewall(r, rebuild);
    const apiEndpoint = readApiEndpoint(r, firewall.openToWorld);
    const privateNicBusPath = readPrivateNicBusPath(r);
    const boot = readBoot(r);
    const talosSecrets = r.secret("talosSecrets", { required: false, check: checkSecretsBundle });
    const hcloudToken = r.secret("hcloud:token", {
        required: rebuild,
        check: (t) => (/^[A-Za-z0-9]{64}$/.test(t) ? undefined : "must be a Hetzner Cloud API token (64 letters and digits)"),
    });
    return {
        name,
        ...versions,
        location,
        networkZone,
        controlPlane,
        workers,
        serverLimit,
        network: {
            cidr: net.networkCidr?.text ?? "",
            subnetCidr: net.nodeSubnetCidr?.text ?? "",
            podCidr: net.podCidr?.text ?? "",
            serviceCidr: net.serviceCidr?.text ?? "",
            privateNicBusPath,
        },
        firewall,
        apiEndpoint,
        boot,
        talosSecrets,
        hcloudToken: hcloudToken ?? pulumi.secret(""),
        talosPatches: readTalosPatches(r, rebuild),
        bootstrapTimeoutSeconds: r.integer("bootstrapTimeoutSeconds", { min: 30, max: 7200 }),
        apiReadyTimeoutSeconds: r.integer("apiReadyTimeoutSeconds", { min: 30, max: 7200 }),
        upgrade: readUpgradeConfig(r),
    };
}

/**
 * The versions: Talos and Kubernetes must be a pair Talos supports, and the installer image
 * follows the Image Factory schematic when there is one.
 */
function readVersions(r: ConfigReader): Pick<ClusterConfig, "talosVersion" | "kubernetesVersion" | "installerImage" | "talosSchematicId"> {
    const talosVersion = r.string("talosVersion", { pattern: VERSION, expected: "a Talos release tag such as v1.13.8" });
    const kubernetesVersion = r.string("kubernetesVersion", { pattern: VERSION, expected: "a Kubernetes release tag such as v1.36.3" });
    const unsupported =
        VERSION.test(talosVersion) && VERSION.test(kubernetesVersion) ? unsupportedPair(talosVersion, kubernetesVersion) : undefined;
    if (unsupported) {
        r.problem("kubernetesVersion", kubernetesVersion, unsupported);
    }
    const schematic = r.optionalString("talosSchematicId", {
        pattern: SCHEMATIC_ID,
        expected: "a Talos Image Factory schematic ID (64 hex characters)",
    });
    const installerImage = schematic
        ? `factory.talos.dev/installer/${schematic}:${talosVersion}`
        : `ghcr.io/siderolabs/installer:${talosVersion}`;
    return { talosVersion, kubernetesVersion, installerImage, talosSchematicId: schematic };
}

/**
 * The node pools: an odd number of control planes (etcd's majority), one architecture for both
 * pools (one Talos image), and no more servers than serverLimit (Hetzner would stop half-way).
 */
function readPools(r: ConfigReader): Pick<ClusterConfig, "controlPlane" | "workers" | "serverLimit"> {
    const controlPlane = readPool(r, "controlPlane");
    if (controlPlane.count > 0 && controlPlane.count % 2 === 0) {
        r.problem(
            "controlPlaneCount",
            controlPlane.count,
            "must be odd (1, 3, 5): etcd needs a majority, and an even count tolerates no more failures than the odd count below it",
        );
    }
    const workers = readPool(r, "worker");
    if (controlPlane.architecture !== workers.architecture) {
        r.problem(
            "workerServerType",
            workers.serverType,
            `is ${workers.architecture} but controlPlaneServerType ${controlPlane.serverType} is ${controlPlane.architecture}; one Talos image serves both, so use one architecture`,
        );
    }
    const serverLimit = r.integer("serverLimit", { min: 1 });
    if (controlPlane.count + workers.count > serverLimit) {
        r.problem(
            "workerCount",
            workers.count,
            `with ${controlPlane.count} control planes makes ${controlPlane.count + workers.count} servers, over serverLimit ${serverLimit}; Hetzner would refuse the rest half-way through`,
        );
    }
    return { controlPlane, workers, serverLimit };
}

/** The network layout: the four CIDRs, checked together against each other and the node counts. */
function readNetwork(r: ConfigReader, controlPlanes: number, workers: number): Record<NetworkCidrKey, Ipv4Cidr | undefined> {
    const net = {
        networkCidr: cidr(r, "networkCidr"),
        nodeSubnetCidr: cidr(r, "nodeSubnetCidr"),
        podCidr: cidr(r, "podCidr"),
        serviceCidr: cidr(r, "serviceCidr"),
    };
    checkNetworkLayout(r, net, controlPlanes, workers);
    return net;
}

/** The firewall: the whole internet only when stated, and never nobody at all on a rebuild. */
function readFirewall(r: ConfigReader, rebuild: boolean): ClusterConfig["firewall"] {
    const sources = r.stringList("firewallSources", { check: checkSourceCidr });
    const openToWorld = r.boolean("firewallOpenToWorld");
    const worldSources = sources.filter(isWorldCidr);
    if (worldSources.length && !openToWorld) {
        r.problem("firewallSources", worldSources, "admits the whole internet; set firewallOpenToWorld: true if that is really intended");
    }
    // Scenario 5 builds no firewall: an empty list is no mistake there.
    if (rebuild && !sources.length && !openToWorld) {
        r.problem(
            "firewallSources",
            sources,
            "is empty: nobody could reach ports 6443 and 50000, including talosctl on this machine; list the operator and CI CIDRs, or set firewallOpenToWorld: true",
        );
    }
    return { sources, openToWorld };
}

/** The API endpoint form; a load balancer only when opening the API to the world is stated. */
function readApiEndpoint(r: ConfigReader, openToWorld: boolean): ClusterConfig["apiEndpoint"] {
    const apiEndpoint = r.string("apiEndpoint", {
        oneOf: ["floating-ip", "load-balancer"],
    }) as ClusterConfig["apiEndpoint"];
    // Hetzner firewalls attach to servers, not to load balancers, and the load balancer reaches the
    // control planes over the private network, which firewalls do not filter: in this mode
    // firewallSources cannot restrict who reaches 6443. Allow it only when that is stated.
    if (apiEndpoint === "load-balancer" && !openToWorld) {
        r.problem(
            "apiEndpoint",
            apiEndpoint,
            "exposes the Kubernetes API (6443) to the whole internet whatever firewallSources says: a Hetzner firewall cannot be attached to a load balancer, and the load balancer reaches the control planes over the private network, which firewalls do not filter. Set firewallOpenToWorld: true to accept that (the API stays mTLS-authenticated), or use apiEndpoint: floating-ip to keep firewallSources in force",
        );
    }
    return apiEndpoint;
}

/** The private NIC: Talos finds the private network's interface by bus path, never the public one's. */
function readPrivateNicBusPath(r: ConfigReader): string {
    const privateNicBusPath = r.string("privateNicBusPath", {
        pattern: PCI_BUS_PATH,
        expected: "a PCI bus path such as 0000:07:00.0 (enp7s0)",
    });
    if (privateNicBusPath === PUBLIC_NIC_BUS_PATH) {
        r.problem(
            "privateNicBusPath",
            privateNicBusPath,
            `is the public NIC's bus path (enp1s0); the private network's NIC is another device, on Hetzner Cloud ${r.declared("privateNicBusPath")} (enp7s0)`,
        );
    }
    return privateNicBusPath;
}

/** The boot: from a Talos snapshot (found by label selector) or from a Talos ISO on a base image. */
function readBoot(r: ConfigReader): TalosBootConfig {
    const bootMode = r.string("talosBoot", { oneOf: ["snapshot", "iso"] });
    r.declare("talosIsoId", "talosIsoBaseImage", "talosSnapshotSelector");
    return bootMode === "iso"
        ? {
              mode: "iso",
              isoId: r.string("talosIsoId", {
                  pattern: /^\d+$|^[a-z0-9][a-z0-9._-]*\.iso$/,
                  expected: "a Hetzner ISO ID such as 125127 or an ISO name ending in .iso",
              }),
              baseImage: r.string("talosIsoBaseImage", {
                  pattern: /^[a-z0-9][a-z0-9.-]*$/,
                  expected: "a Hetzner system image name such as debian-12",
              }),
          }
        : {
              mode: "snapshot",
              snapshotSelector: r.string("talosSnapshotSelector", {
                  pattern: LABEL_SELECTOR,
                  expected: "a Hetzner label selector such as os=talos,version=v1.13.8",
              }),
          };
}

/** The upgrade keys; defaults are ksail's limits (10 minutes to drain, 10 minutes to come back). */
function readUpgradeConfig(r: ConfigReader): UpgradeConfig {
    return {
        drainTimeoutSeconds: r.integer("upgradeDrainTimeoutSeconds", { min: 30, max: 7200 }),
        nodeTimeoutSeconds: r.integer("upgradeNodeTimeoutSeconds", { min: 60, max: 7200 }),
        preflight: r.string("upgradePreflight", { oneOf: ["enforce", "warn"] }) as UpgradeConfig["preflight"],
    };
}
