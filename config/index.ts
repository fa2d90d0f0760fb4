import { AutoscalerConfig, readAutoscalerConfig } from "./autoscaler";
import { ClusterConfig, readClusterConfig } from "./cluster";
import { GitopsConfig, GitopsTreeConfig, RestoreConfig, readGitopsConfig, readGitopsTree, readRestoreConfig } from "./gitops";
import { CiConfig, DnsConfig, StorageConfig, readCiConfig, readDnsConfig, readStorageConfig } from "./offCluster";
import { RehearsalConfig, readRehearsalConfig } from "./estimates";
import { ConfigProblem, ProblemCollector } from "./problems";
import { ConfigReader, Placeholder, RawConfig } from "./reader";
import { closest } from "./closest";

export { ConfigError, formatProblems } from "./problems";
export { Placeholder, RawConfig } from "./reader";

/** The whole program's configuration, validated and frozen. */
export interface PlatformConfig {
    /** The Talos cluster on Hetzner Cloud. */
    readonly cluster: ClusterConfig;
    /** The Cluster Autoscaler (pools, snapshot, chart) and what the teardown deletes. */
    readonly autoscaler: AutoscalerConfig;
    /**
     * The R2 backup bucket and its credentials. Required for a rebuild; undefined only in
     * Scenario 5 when no database is recovered (the running cluster has its credentials).
     */
    readonly storage?: StorageConfig;
    /** DNS on Cloudflare; undefined in Scenario 5 (nothing is rebuilt, nothing moves). */
    readonly dns?: DnsConfig;
    /** GitHub CI deploy credentials; undefined in Scenario 5 (the cluster's PKI is unchanged). */
    readonly ci?: CiConfig;
    /** Cilium, Flux and the sync source. */
    readonly gitops: GitopsConfig;
    /** The platform's Flux tree checked out beside this project, for the convergence pre-flight. */
    readonly gitopsTree: GitopsTreeConfig;
    /** The restores (and Scenario 5's existing cluster). */
    readonly restore: RestoreConfig;
    /** What only the rehearsal uses (measured step estimates). */
    readonly rehearsal: RehearsalConfig;
}

/** The outcome of validation: a typed config, or every problem found. */
export type ValidationResult =
    | {
          readonly ok: true;
          readonly config: PlatformConfig;
          /** Values a rehearsal replaced by placeholders (empty in a real run). */
          readonly placeholders: readonly Placeholder[];
      }
    | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/**
 * Turns raw config into a typed, frozen object, or into the list of every problem found.
 * Pure: it registers no resources, so a bad stack file stops the program before anything changes.
 */
export function validateConfig(raw: RawConfig): ValidationResult {
    const problems = new ProblemCollector();
    const reader = new ConfigReader(raw, problems);
    const config = readAll(reader);
    checkAcrossAreas(config, problems);
    reportUnknownKeys(raw, problems);
    if (problems.problems.length) {
        return { ok: false, problems: problems.problems };
    }
    return { ok: true, config: deepFreeze(config), placeholders: [...reader.placeholders] };
}

/**
 * Keys Pulumi.yaml cannot declare: maps set entry by entry with `pulumi config set --path`. Project
 * config types are string, integer, boolean and array only, and Pulumi checks a declared key's
 * value against its type, so declaring one would refuse the very values it exists for.
 */
export const UNDECLARABLE_KEYS: readonly string[] = Object.freeze(["talosPatchVariables"]);

/** Every key the program reads (bare for this project, `namespace:key` for providers). */
export function knownConfigKeys(): string[] {
    const problems = new ProblemCollector();
    readAll(new ConfigReader({ values: {}, secretKeys: new Set() }, problems));
    return [...problems.knownKeys].sort();
}

/** Reads every area; the single list of areas, used by validation and by knownConfigKeys. */
function readAll(reader: ConfigReader): PlatformConfig {
    // Scenario 5 builds nothing, so the build-only secrets are not required then.
    const rebuild = reader.string("clusterMode", { oneOf: ["rebuild", "existing"] }) === "rebuild";
    const cluster = readClusterConfig(reader, rebuild);
    const autoscaler = readAutoscalerConfig(reader, cluster);
    const gitops = readGitopsConfig(reader, rebuild);
    const restore = readRestoreConfig(reader, gitops.kustomizations, rebuild);
    // A rebuild always restores from R2; Scenario 5 needs it only to recover databases.
    const storage = readStorageConfig(reader, rebuild || restore.cnpgDatabases.length > 0);
    return {
        cluster,
        autoscaler,
        storage: storage && !rebuild ? besideRunningCluster(storage, restore.cnpgDatabases) : storage,
        dns: readDnsConfig(reader, rebuild),
        ci: readCiConfig(reader, rebuild),
        gitops,
        gitopsTree: readGitopsTree(reader, gitops.source.path, rebuild),
        restore,
        rehearsal: readRehearsalConfig(reader),
    };
}

/**
 * Scenario 5: the running cluster has its own R2 credential Secrets (Velero's, OpenBao's, each
 * database's), and this stack's token is deleted with the stack, so the stack never writes over
 * them. It writes only the `cnpg` credentials of the databases it recovers, each as
 * `<name>-restore` beside the cluster's own.
 */
function besideRunningCluster(storage: StorageConfig, databases: readonly { readonly namespace: string }[]): StorageConfig {
    const recovering = new Set(databases.map((d) => d.namespace));
    const credentialTargets = storage.credentialTargets
        .filter((t) => t.format === "cnpg" && recovering.has(t.namespace))
        .map((t) => ({ ...t, name: restoreCredentialName(t.name), owner: "program" as const }));
    return Object.freeze({ ...storage, credentialTargets });
}

/** `<name>-restore`, cut to a valid Secret name: the Scenario 5 copy of a credential Secret. */
export function restoreCredentialName(name: string): string {
    return `${name.slice(0, 63 - "-restore".length).replace(/-+$/, "")}-restore`;
}

/** Rules that span areas: each recovered database needs R2 credentials in its namespace. */
function checkAcrossAreas(config: PlatformConfig, problems: ProblemCollector): void {
    if (!config.storage) {
        return; // no database to recover (readAll requires storage otherwise)
    }
    config.restore.cnpgDatabases.forEach((db, i) => {
        if (!config.storage!.credentialTargets.some((t) => t.namespace === db.namespace && t.format === "cnpg")) {
            problems.add(
                `cnpgDatabases[${i}]`,
                `${db.namespace}/${db.name}`,
                `has no R2 credentials: add "${db.namespace}/<secret> format=cnpg" to r2CredentialTargets`,
            );
        }
    });
}

/** A typo in a key name would otherwise silently fall back to a default: report it. */
function reportUnknownKeys(raw: RawConfig, problems: ProblemCollector): void {
    const known = [...problems.knownKeys];
    for (const key of Object.keys(raw.values)) {
        if (key.includes(":") || problems.knownKeys.has(key)) {
            continue; // other namespaces (providers) are not ours to police
        }
        const suggestion = closest(
            key,
            known.filter((k) => !k.includes(":")),
        );
        problems.add(
            key,
            raw.secretKeys.has(key) ? undefined : raw.values[key],
            `is not a known key${suggestion ? `; did you mean ${suggestion}?` : ""}`,
            raw.secretKeys.has(key),
        );
    }
}

/** Freezes plain data recursively; Pulumi Outputs are left alone (they are not plain data). */
function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && (Array.isArray(value) || Object.getPrototypeOf(value) === Object.prototype)) {
        for (const v of Object.values(value)) {
            deepFreeze(v);
        }
        Object.freeze(value);
    }
    return value;
}
