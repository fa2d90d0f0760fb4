/**
 * The simulated cloud: Pulumi mocks that answer like Hetzner, Cloudflare, GitHub, Kubernetes and
 * the operator's shell would, with realistic and deterministic values (the same inputs always get
 * the same IDs and IPs, so two runs can be compared). It also holds what already exists before a
 * rebuild (the surviving bucket, stale DNS records, backups), which tests can change.
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";
import { restoreName } from "../components/restore/manifests";
import { loadScript } from "../components/scripts";

/** What exists in the cloud before the rebuild starts. Areas add their own fields. */
export interface CloudState {
    /** DNS records that survived at Cloudflare (they point at the dead cluster). */
    readonly dnsRecords: SimulatedDnsRecord[];
    /** Velero backups in the bucket, newest last. */
    readonly veleroBackups: SimulatedBackup[];
    /** GitHub repositories of the CI owner that exist (by name). */
    readonly githubRepositories: string[];
    /** GitHub deployment environments: they live with the repository and survive the disaster. */
    readonly githubEnvironments: SimulatedGithubEnvironment[];
    /** Servers (by name) lost and recreated since the last run: Hetzner gives the new one a new ID (Scenario 1). */
    readonly replacedServers?: readonly string[];
}

/** A GitHub deployment environment, with the protection settings its create/update call replaces. */
interface SimulatedGithubEnvironment {
    readonly repository: string;
    readonly name: string;
    waitTimer: number;
    /** Required reviewers (user or team IDs). */
    reviewers: number[];
    canAdminsBypass: boolean;
    preventSelfReview: boolean;
    /** null: any branch may deploy. */
    deploymentBranchPolicy: { protectedBranches: boolean; customBranchPolicies: boolean } | null;
    /** Names of the environment secrets set on it. */
    secrets: string[];
}

/** A Velero backup in the bucket, and how a restore of it would end. */
interface SimulatedBackup {
    readonly name: string;
    readonly phase: string;
    readonly completionTimestamp: string;
    /** The Velero Schedule that made it (label velero.io/schedule-name); default `velero-daily-full`. */
    readonly schedule?: string;
    /** The restore's final phase and counts (default: Completed, no errors, no warnings). */
    readonly restoreOutcome?: { readonly phase: string; readonly errors?: number; readonly warnings?: number };
}

/** A Cloudflare DNS record as the API lists it. */
interface SimulatedDnsRecord {
    readonly id: string;
    readonly zoneId: string;
    readonly name: string;
    readonly type: string;
    readonly content: string;
    readonly ttl: number;
    readonly proxied: boolean;
}

/** The production state after a disaster: old DNS records pointing at dead IPs, daily backups. */
function defaultCloudState(): CloudState {
    return {
        dnsRecords: [
            // The pre-disaster records: they point at the dead cluster's addresses.
            {
                id: "5f1d0c9a2b7e4d6f8a1b3c5d7e9f0a11",
                zoneId: "",
                name: "api.platform.devantler.tech",
                type: "A",
                content: "192.0.2.10",
                ttl: 60,
                proxied: false,
            },
            {
                id: "5f1d0c9a2b7e4d6f8a1b3c5d7e9f0a12",
                zoneId: "",
                name: "api.platform.devantler.tech",
                type: "A",
                content: "192.0.2.11",
                ttl: 60,
                proxied: false,
            },
            {
                id: "5f1d0c9a2b7e4d6f8a1b3c5d7e9f0a13",
                zoneId: "",
                name: "platform.devantler.tech",
                type: "A",
                content: "192.0.2.20",
                ttl: 1,
                proxied: false,
            },
            {
                id: "5f1d0c9a2b7e4d6f8a1b3c5d7e9f0a14",
                zoneId: "",
                name: "*.platform.devantler.tech",
                type: "A",
                content: "192.0.2.20",
                ttl: 1,
                proxied: false,
            },
            {
                id: "5f1d0c9a2b7e4d6f8a1b3c5d7e9f0a15",
                zoneId: "",
                name: "_externaldns.platform.devantler.tech",
                type: "TXT",
                content: "heritage=external-dns",
                ttl: 1,
                proxied: false,
            },
        ],
        veleroBackups: [
            { name: "velero-daily-full-20261122021700", phase: "Completed", completionTimestamp: "2026-11-22T02:31:12Z" },
            { name: "velero-daily-full-20261123021700", phase: "Completed", completionTimestamp: "2026-11-23T02:29:48Z" },
            { name: "velero-daily-full-20261124021700", phase: "PartiallyFailed", completionTimestamp: "2026-11-24T02:33:05Z" },
        ],
        githubRepositories: ["platform"],
        // The platform's prod environment: a required reviewer, deployments from protected branches only.
        githubEnvironments: [
            {
                repository: "platform",
                name: "prod",
                waitTimer: 0,
                reviewers: [1_234_567],
                canAdminsBypass: false,
                preventSelfReview: true,
                deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false },
                secrets: ["KUBE_CONFIG", "TALOS_CONFIG"],
            },
        ],
    };
}

/** A stable hash of a string, for IDs and addresses that never change between runs. */
function stableHash(text: string): number {
    return createHash("sha256").update(text).digest().readUInt32BE(0);
}

/** A deterministic Hetzner-style numeric ID. */
function numericId(type: string, name: string): string {
    return String(10_000_000 + (stableHash(`${type}/${name}`) % 89_999_999));
}

/** A GitHub environment of a repository; GitHub compares environment names case-insensitively. */
function githubEnvironment(cloud: SimulatedCloud, repository: string, name: string): SimulatedGithubEnvironment | undefined {
    return cloud.state.githubEnvironments.find((e) => e.repository === repository && e.name.toLowerCase() === name.toLowerCase());
}

/** Public ranges reserved for documentation (RFC 5737): a simulated address is never a real host. */
type DocumentationRange = "203.0.113" | "198.51.100";

/** Models the outputs of one resource type from its inputs. */
type ResourceModel = (args: pulumi.runtime.MockResourceArgs, cloud: SimulatedCloud) => Record<string, unknown>;
/** Models the result of one invoke. */
type InvokeModel = (inputs: pulumi.runtime.MockCallArgs["inputs"], cloud: SimulatedCloud) => Record<string, unknown>;
/** Models the stdout of a script run by command.local.Command. */
interface CommandModel {
    /** The script text the model answers for. */
    readonly script: string;
    /** stdout the script would print, from its environment. */
    readonly stdout: (env: Record<string, string>, cloud: SimulatedCloud) => string;
}

const SIMULATED_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnNpbXVsYXRlZAotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";

/** Resource outputs by type token. Extend with the types your area creates. */
const RESOURCE_MODELS: Record<string, ResourceModel> = {
    "hcloud:index/primaryIp:PrimaryIp": (a, cloud) => ({ ipAddress: cloud.allocateIp(a.inputs.name ?? a.name, "203.0.113") }),
    "hcloud:index/floatingIp:FloatingIp": (a, cloud) => ({ ipAddress: cloud.allocateIp(a.inputs.name ?? a.name, "198.51.100") }),
    "hcloud:index/loadBalancer:LoadBalancer": (a, cloud) => ({
        ipv4: cloud.allocateIp(a.inputs.name ?? a.name, "198.51.100"),
        ipv6: "2001:db8::1",
    }),
    "hcloud:index/server:Server": (a) => ({ ipv4Address: "", status: "running", datacenter: `${a.inputs.location}-dc14` }),
    "hcloud:index/networkSubnet:NetworkSubnet": (a) => ({ gateway: "10.0.0.1", ipRange: a.inputs.ipRange }),
    "cloudflare:index/apiToken:ApiToken": (a) => ({
        value: `cfsim${createHash("sha256").update(`token/${a.inputs.name}`).digest("hex").slice(0, 35)}`,
        status: "active",
    }),
    "cloudflare:index/dnsRecord:DnsRecord": (a, cloud) => {
        const id = createHash("md5").update(`record/${a.inputs.name}/${a.inputs.type}`).digest("hex");
        cloud.state.dnsRecords.push({
            id,
            zoneId: a.inputs.zoneId,
            name: a.inputs.name,
            type: a.inputs.type,
            content: a.inputs.content,
            ttl: a.inputs.ttl,
            proxied: !!a.inputs.proxied,
        });
        return { proxiable: true };
    },
    // Read with Service.get: the gateway Service Flux created, with the cloud controller's IP.
    "kubernetes:core/v1:Service": (a, cloud) => ({
        metadata: { name: a.name, namespace: "kube-system" },
        status: { loadBalancer: { ingress: [{ ip: cloud.allocateIp(`gateway/${a.name}`, "198.51.100") }] } },
    }),
    "command:local:Command": (a, cloud) => ({ stdout: cloud.commandStdout(a.inputs.create, a.inputs.environment ?? {}), stderr: "" }),
    // An import only reads the environment. A create is GitHub's create-or-update PUT, which
    // replaces every protection setting with what it sends (the provider sends wait_timer 0, no
    // reviewers, no branch policy when the program sets none): modelled, so a wipe is visible.
    "github:index/repositoryEnvironment:RepositoryEnvironment": (a, cloud) => {
        const repository = String(a.inputs.repository);
        let env = githubEnvironment(cloud, repository, String(a.inputs.environment));
        if (a.id) {
            if (!env) {
                throw new Error(
                    `import of github:index/repositoryEnvironment:RepositoryEnvironment ${a.id} failed: the environment does not exist`,
                );
            }
        } else {
            if (!env) {
                env = {
                    repository,
                    name: String(a.inputs.environment),
                    waitTimer: 0,
                    reviewers: [],
                    canAdminsBypass: true,
                    preventSelfReview: false,
                    deploymentBranchPolicy: null,
                    secrets: [],
                };
                cloud.state.githubEnvironments.push(env);
            }
            Object.assign(env, {
                waitTimer: a.inputs.waitTimer ?? 0,
                reviewers: [...(a.inputs.reviewers?.[0]?.users ?? []), ...(a.inputs.reviewers?.[0]?.teams ?? [])],
                canAdminsBypass: a.inputs.canAdminsBypass ?? true,
                preventSelfReview: a.inputs.preventSelfReview ?? false,
                deploymentBranchPolicy: a.inputs.deploymentBranchPolicy ?? null,
            });
        }
        const { waitTimer, canAdminsBypass, preventSelfReview, deploymentBranchPolicy, reviewers } = env;
        return {
            repositoryId: numericId("github-repository", repository),
            waitTimer,
            canAdminsBypass,
            preventSelfReview,
            deploymentBranchPolicy,
            reviewers: reviewers.length ? [{ users: reviewers, teams: [] }] : [],
        };
    },
    // GitHub answers 404 for a secret of an environment that does not exist.
    "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": (a, cloud) => {
        const env = githubEnvironment(cloud, String(a.inputs.repository), String(a.inputs.environment));
        if (!env) {
            throw new Error(
                `PUT environments/${a.inputs.environment}/secrets/${a.inputs.secretName}: 404 Not Found (the environment does not exist)`,
            );
        }
        env.secrets = [...new Set([...env.secrets, String(a.inputs.secretName)])];
        return { createdAt: "2026-11-25T08:00:00Z", updatedAt: "2026-11-25T08:00:00Z" };
    },
};

/** IDs of created resources whose provider forms them from inputs rather than numbers. */
const RESOURCE_IDS: Record<string, (inputs: pulumi.runtime.MockResourceArgs["inputs"]) => string> = {
    // `<repository>:<environment>`, the same form as its import ID.
    "github:index/repositoryEnvironment:RepositoryEnvironment": (inputs) => `${inputs.repository}:${inputs.environment}`,
};

/** Invoke results by token. Extend with the invokes your area calls. */
const INVOKE_MODELS: Record<string, InvokeModel> = {
    "cloudflare:index/getApiTokenPermissionGroupsList:getApiTokenPermissionGroupsList": () => ({
        results: [
            {
                id: "2efd5506f9c8494dacb1fa10a3e7d5b6",
                name: "Workers R2 Storage Bucket Item Write",
                scopes: ["com.cloudflare.edge.r2.bucket"],
            },
            {
                id: "6a018a9f2fc74eb6b293b0c548f38b39",
                name: "Workers R2 Storage Bucket Item Read",
                scopes: ["com.cloudflare.edge.r2.bucket"],
            },
            { id: "bf7481a1826f439697cb59a20b22293e", name: "Workers R2 Storage Write", scopes: ["com.cloudflare.api.account"] },
        ],
    }),
    // Lists every environment of the repository (the provider pages through them); 404 for an unknown repository.
    "github:index/getRepositoryEnvironments:getRepositoryEnvironments": (inputs, cloud) => {
        if (!cloud.state.githubRepositories.includes(inputs.repository)) {
            throw new Error(`GET repos/${inputs.repository}/environments: 404 Not Found`);
        }
        const environments = cloud.state.githubEnvironments.filter((e) => e.repository === inputs.repository);
        return {
            id: inputs.repository,
            repository: inputs.repository,
            environments: environments.map((e) => ({ name: e.name, nodeId: `EN_${numericId("github-environment", e.name)}` })),
        };
    },
    "hcloud:index/getImage:getImage": (inputs) => ({
        id: 251_234_567,
        name: "",
        description: "talos-v1.13.8",
        type: "snapshot",
        architecture: inputs.withArchitecture ?? "x86",
        labels: { os: "talos" },
        selector: inputs.withSelector,
    }),
};

/** How a phase wait ends in the simulated cloud (a model of scripts/kube/wait-phase.sh). */
function phaseOutcome(env: Record<string, string>, cloud: SimulatedCloud): string {
    const object = `${env.KIND} ${env.NAMESPACE}/${env.NAME}`;
    if (env.KIND !== "restores.velero.io") {
        return `${object}: ${env.ACCEPT.split(" ")[0]}`;
    }
    const backup = cloud.state.veleroBackups.find(
        (b) => env.NAME === restoreName(b.name) || env.NAME.startsWith(`${restoreName(b.name)}-`),
    );
    const outcome = { errors: 0, warnings: 0, ...backup?.restoreOutcome, phase: backup?.restoreOutcome?.phase ?? "Completed" };
    if (env.FAIL.split(" ").includes(outcome.phase)) {
        throw new Error(`${object} ended ${outcome.phase}: errors=${outcome.errors} warnings=${outcome.warnings}`);
    }
    if (!env.ACCEPT.split(" ").includes(outcome.phase)) {
        throw new Error(`${object} did not reach ${env.ACCEPT} within ${env.TIMEOUT_SECONDS}s (phase: ${outcome.phase})`);
    }
    // Velero leaves zero counts out of the status, so the report shows them empty.
    const count = (n: number) => (n ? String(n) : "");
    return `${object}: ${outcome.phase}${env.REPORT ? ` (errors=${count(outcome.errors)} warnings=${count(outcome.warnings)})` : ""}`;
}

/** Simulated stdout of the cluster layer's scripts. Extend with the scripts your area runs. */
const COMMAND_MODELS: CommandModel[] = [
    {
        script: loadScript("talos/gen-secrets.sh"),
        stdout: () =>
            "cluster:\n  id: simulated-cluster-id\n  secret: simulated-cluster-secret\nsecrets:\n  bootstraptoken: simula.tedtoken00000\n  secretboxencryptionsecret: simulated\ntrustdinfo:\n  token: simula.tedtrustd0000\ncerts:\n  os:\n    crt: simulated\n    key: simulated\n",
    },
    {
        script: loadScript("talos/gen-config.sh"),
        stdout: (env) =>
            env.OUTPUT_TYPE === "talosconfig"
                ? `context: ${env.CLUSTER_NAME}\ncontexts:\n  ${env.CLUSTER_NAME}:\n    endpoints:\n      - ${new URL(env.CLUSTER_ENDPOINT).hostname}\n    ca: ${SIMULATED_CA}\n    crt: ${SIMULATED_CA}\n    key: simulated-admin-key\n`
                : `version: v1alpha1\nmachine:\n  type: ${env.OUTPUT_TYPE}\n  token: simulated-machine-token\n  install:\n    image: ${env.INSTALL_IMAGE}\n  kubelet:\n    image: ghcr.io/siderolabs/kubelet:${env.KUBERNETES_VERSION}\ncluster:\n  controlPlane:\n    endpoint: ${env.CLUSTER_ENDPOINT}\n  clusterName: ${env.CLUSTER_NAME}\n`,
    },
    {
        // Deletes every existing record of the name and type, as the script does against the API.
        script: loadScript("dns/delete-stale-records.sh"),
        stdout: (env, cloud) => {
            const stale = cloud.state.dnsRecords.filter((r) => r.name === env.RECORD_NAME && r.type === env.RECORD_TYPE);
            stale.forEach((r) => cloud.state.dnsRecords.splice(cloud.state.dnsRecords.indexOf(r), 1));
            return `removed ${stale.length} stale ${env.RECORD_TYPE} record(s) named ${env.RECORD_NAME}`;
        },
    },
    {
        script: loadScript("velero/latest-backup.sh"),
        stdout: (env, cloud) => {
            const completed = cloud.state.veleroBackups
                .filter((b) => b.phase === "Completed" && (!env.SCHEDULE || (b.schedule ?? "velero-daily-full") === env.SCHEDULE))
                .sort((a, b) => a.completionTimestamp.localeCompare(b.completionTimestamp));
            if (!completed.length) {
                throw new Error("no Completed Velero backup found in the bucket");
            }
            return completed[completed.length - 1].name;
        },
    },
    // A Velero Restore ends as its backup's restoreOutcome says (Completed by default). A backup
    // pinned in config but not modelled here is assumed to exist: the rehearsal cannot see the
    // operator's real bucket, and must not invent a failure. Other phase waits (the
    // BackupStorageLocation) reach their first accepted phase.
    { script: loadScript("kube/wait-phase.sh"), stdout: phaseOutcome },
    { script: loadScript("velero/restore.sh"), stdout: (env, cloud) => `created Restore velero/${env.NAME}\n${phaseOutcome(env, cloud)}` },
    // The snapshot for autoscaled nodes: one image per cluster, Talos version and schematic.
    {
        script: loadScript("hcloud/talos-snapshot.sh"),
        stdout: (env) => `${numericId("hcloud:image", `${env.CLUSTER_NAME}/${env.TALOS_VERSION}/${env.SCHEMATIC_ID}/${env.ARCH}`)}\n`,
    },
    { script: loadScript("talos/bootstrap.sh"), stdout: (env) => `etcd bootstrapped on ${env.NODE_NAME} (${env.NODE_IP})` },
    {
        script: loadScript("talos/kubeconfig.sh"),
        stdout: (env) => {
            const cluster = env.CONTEXT_NAME.split("@")[1];
            return `apiVersion: v1\nkind: Config\nclusters:\n  - name: ${cluster}\n    cluster:\n      server: https://${env.NODE_IP}:6443\n      certificate-authority-data: ${SIMULATED_CA}\ncontexts:\n  - name: ${env.CONTEXT_NAME}\n    context:\n      cluster: ${cluster}\n      namespace: default\n      user: ${env.CONTEXT_NAME}\ncurrent-context: ${env.CONTEXT_NAME}\nusers:\n  - name: ${env.CONTEXT_NAME}\n    user:\n      client-certificate-data: ${SIMULATED_CA}\n      client-key-data: c2ltdWxhdGVkLWFkbWluLWtleQ==\n`;
        },
    },
];

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";

/**
 * Mocks receive secret inputs still wrapped (`{ <sig>: <secret>, value }`); models want plain values.
 * The shape is the same with the wrappers gone, so the static type is kept.
 */
export function unwrapSecrets<T>(value: T): T {
    return unwrap(value) as T;
}

function unwrap(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(unwrap);
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (SECRET_SIG_KEY in obj) {
            return unwrap(obj.value);
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** Pulumi mocks backed by the models above and the pre-existing state. */
export class SimulatedCloud implements pulumi.runtime.Mocks {
    readonly state: CloudState;

    private readonly allocated = new Map<string, string>();

    constructor(state: Partial<CloudState> = {}) {
        // A copy: a run changes the state (records deleted and created), the caller's stays intact.
        this.state = structuredClone({ ...defaultCloudState(), ...state });
    }

    /**
     * A public address for a named resource: derived from the name (so it is the same on every
     * run) and distinct from every other address handed out, as a real cloud's would be.
     */
    allocateIp(name: string, range: DocumentationRange): string {
        const key = `${range}/${name}`;
        const known = this.allocated.get(key);
        if (known) {
            return known;
        }
        const taken = new Set(this.allocated.values());
        let host = 10 + (stableHash(name) % 240);
        while (taken.has(`${range}.${host}`)) {
            host = host >= 249 ? 10 : host + 1;
        }
        const ip = `${range}.${host}`;
        this.allocated.set(key, ip);
        return ip;
    }

    newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
        const model = RESOURCE_MODELS[args.type];
        const inputs = unwrapSecrets(args.inputs);
        const outputs = model ? model({ ...args, inputs }, this) : {};
        // An imported resource keeps its import ID, as the engine would report it.
        const replaced = args.type === "hcloud:index/server:Server" && this.state.replacedServers?.includes(inputs.name);
        const id =
            args.id ||
            (args.custom === false
                ? undefined
                : (RESOURCE_IDS[args.type]?.(inputs) ?? numericId(args.type, replaced ? `${args.name}/replaced` : args.name)));
        return { id, state: { ...args.inputs, ...outputs } };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        const model = INVOKE_MODELS[args.token];
        if (!model) {
            throw new Error(`the simulated cloud has no model for invoke ${args.token}`);
        }
        return model(unwrapSecrets(args.inputs ?? {}), this);
    }

    /** stdout of a script: its model's answer, or a neutral line for scripts that only wait. */
    commandStdout(script: string, env: Record<string, string>): string {
        const model = COMMAND_MODELS.find((m) => m.script === script);
        return model ? model.stdout(env, this) : "done (simulated)";
    }
}
