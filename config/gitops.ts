import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_SUBDOMAIN } from "./names";
import { CompactRecord, ConfigReader } from "./reader";
import { PROJECT_ROOT } from "./talosPatches";

/** A Flux-style duration: 3m, 25m, 1h30m. */
const DURATION = /^(\d+h)?(\d+m)?(\d+s)?$/;
/** RFC 3339 with an explicit offset. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** One Flux Kustomization the program waits for, in order. */
export interface KustomizationWait {
    /** Name in flux-system. */
    readonly name: string;
    /** How long to wait, in seconds. */
    readonly timeoutSeconds: number;
}

/**
 * Versions of what the program installs before Flux (see components/gitops/preFlux.ts). Each chart
 * default is the version the platform's own HelmRelease pins, so Flux adopts the release without an
 * up- or downgrade.
 */
export interface PreFluxVersions {
    /** Gateway API release whose experimental CRDs are installed before Cilium (`v1.5.1`). */
    readonly gatewayApi: string;
    /** Cilium chart. */
    readonly cilium: string;
    /** hcloud-cloud-controller-manager chart. */
    readonly hcloudCcm: string;
    /** cert-manager chart (jetstack; its versions carry a `v`). */
    readonly certManager: string;
    /** metrics-server chart. */
    readonly metricsServer: string;
    /** hcloud-csi chart. */
    readonly hcloudCsi: string;
    /** Kyverno chart. */
    readonly kyverno: string;
    /** Cluster Autoscaler release whose CapacityBuffer CRD is installed (`1.35.0`: its tag is cluster-autoscaler-1.35.0). */
    readonly capacityBuffer: string;
    /** Flux Operator chart. */
    readonly fluxOperator: string;
}

/** Cilium, Flux and the sync source. */
export interface GitopsConfig {
    /** Chart and CRD versions of the pre-Flux components and the Flux Operator. */
    readonly versions: PreFluxVersions;
    /** Flux distribution version (`2.8.x`, the platform's FluxInstance). */
    readonly fluxVersion: string;
    /** The sync source. */
    readonly source: {
        readonly kind: "OCIRepository" | "GitRepository";
        readonly url: string;
        readonly ref: string;
        readonly path: string;
        /** Cosign keyless verification of an OCI artifact: who must have signed it. Undefined = not verified. */
        readonly verify?: CosignKeyless;
    };
    /** Kustomizations that must become Ready, in order. */
    readonly kustomizations: readonly KustomizationWait[];
    /** The SOPS age private key (secret). */
    readonly sopsAgeKey: pulumi.Output<string>;
    /** Docker config JSON for GHCR pulls (secret), if the source is private. */
    readonly ghcrDockerConfig?: pulumi.Output<string>;
}

/** Cosign keyless identity an OCI artifact's signature must match (Go regular expressions). */
export interface CosignKeyless {
    /** OIDC issuer of the signing certificate, e.g. GitHub Actions'. */
    readonly issuer: string;
    /** Identity (workflow) of the signer. */
    readonly subject: string;
}

/** A CloudNativePG database to recover. */
export interface DatabaseRecovery {
    /** Namespace of the Cluster. */
    readonly namespace: string;
    /** Name of the Cluster whose archive is recovered (its server name in the archive). */
    readonly name: string;
    /**
     * Name of the recovered Cluster. A rebuild keeps `name`, so applications find `<name>-rw`;
     * Scenario 5 recovers beside the running cluster (`<name>-restored` unless `as=` says), never
     * over it.
     */
    readonly recoverAs: string;
    /** The platform's barman-cloud ObjectStore that archived it; its archive is `cnpg/<objectStore>` in the bucket. */
    readonly objectStore: string;
    /** PostgreSQL instances. */
    readonly instances: number;
    /** Volume size per instance, e.g. `10Gi`. */
    readonly size: string;
    /**
     * PostgreSQL image (`spec.imageName`): the major version must be the archive's, or recovery
     * fails; the operator's default image may be another major.
     */
    readonly image: string;
    /** StorageClass of the instances' volumes. */
    readonly storageClass: string;
    /** Point-in-time target (RFC 3339), or latest. */
    readonly targetTime?: string;
}

/** How OpenBao comes back. */
type OpenbaoRecoveryMode = "snapshot" | "manual" | "none";

/** The restores. */
export interface RestoreConfig {
    /** Velero backup to restore: a name, `latest` (the newest Completed backup, resolved once), or `none` (no Velero restore). */
    readonly veleroBackup: string;
    /** For `latest`: only backups of this Velero Schedule count (`""`: any Completed backup). */
    readonly veleroBackupSchedule: string;
    /** Namespaces excluded from the restore. */
    readonly veleroExcludedNamespaces: readonly string[];
    /** Namespaces included (`*` = all). */
    readonly veleroIncludedNamespaces: readonly string[];
    /** Accept a PartiallyFailed restore (reported). */
    readonly veleroAllowPartiallyFailed: boolean;
    /** Kopia repository password (secret), rebuild only; without it volume data cannot be restored. */
    readonly veleroRepoPassword?: pulumi.Output<string>;
    /** StorageClass mapping old -> new. */
    readonly veleroStorageClassMapping: Readonly<Record<string, string>>;
    /** The Kustomization after which Velero runs. */
    readonly veleroAfterKustomization: string;
    /** The Kustomization after which the CNPG operator runs. */
    readonly cnpgAfterKustomization: string;
    /** OpenBao path. */
    readonly openbaoRecovery: OpenbaoRecoveryMode;
    /** The Kustomization that owns the vault-config Job. */
    readonly openbaoKustomization: string;
    /** User-fed secrets for the manual path: `path key=value` lines (secret). */
    readonly openbaoSeedSecrets?: pulumi.Output<string[]>;
    /** Databases to recover. */
    readonly cnpgDatabases: readonly DatabaseRecovery[];
    /** Bump to recover again into a fresh archive path (`<name>-r<generation>`). */
    readonly cnpgRecoveryGeneration: number;
    /** Scenario 5: restore into this existing cluster instead of building one (secret kubeconfig). */
    readonly existingClusterKubeconfig?: pulumi.Output<string>;
}

/** An image with a registry path and a tag or digest (a bare name would float with the operator). */
const IMAGE_REF = /^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/;

/** Parses `3m`, `1h30m` into seconds. */
export function durationSeconds(text: string): number {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    return m ? Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0) : NaN;
}

/** Reads Cilium, Flux and the source. */
export function readGitopsConfig(r: ConfigReader, rebuild = true): GitopsConfig {
    const kind = r.string("fluxSourceKind", {
        oneOf: ["OCIRepository", "GitRepository"],
    }) as GitopsConfig["source"]["kind"];
    const url = r.string("fluxSourceUrl", {
        pattern: kind === "OCIRepository" ? /^oci:\/\/[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+$/ : /^(https|ssh):\/\/\S+$/,
        expected: kind === "OCIRepository" ? "an oci:// artifact URL" : "an https:// or ssh:// Git URL",
    });
    const kustomizations = r.recordList<KustomizationWait>("fluxKustomizations", {
        fields: ["timeout"],
        parse: (e) => {
            if (!DNS_SUBDOMAIN.test(e.id)) {
                return "must start with a Kustomization name";
            }
            const t = e.fields.timeout ?? "10m";
            const seconds = durationSeconds(t);
            return DURATION.test(t) && seconds > 0
                ? { name: e.id, timeoutSeconds: seconds }
                : `has timeout=${t}; use a duration such as 3m or 1h30m`;
        },
    });
    return {
        ...readVersions(r),
        source: {
            kind,
            url,
            ref: r.string("fluxSourceRef", { pattern: /^[A-Za-z0-9._/@:-]+$/, expected: "a tag, branch or digest" }),
            path: r.string("fluxSourcePath", {
                pattern: /^[A-Za-z0-9._/-]+$/,
                expected: "a path inside the source",
            }),
            verify: readVerification(r, kind),
        },
        kustomizations,
        ...readFluxSecrets(r, rebuild),
    };
}

/**
 * Each version key (its default in Pulumi.yaml is the version the platform's own HelmRelease or
 * FluxInstance pins) and whether the project tags its releases with a leading `v` (cert-manager's charts and Gateway
 * API's releases do; the others never do, so a `v` there names a version that does not exist).
 */
const PRE_FLUX_VERSION_KEYS: Readonly<Record<keyof PreFluxVersions, { readonly key: string; readonly v: boolean; readonly what: string }>> =
    {
        gatewayApi: { key: "gatewayApiVersion", v: true, what: "a Gateway API release tag" },
        cilium: { key: "ciliumVersion", v: false, what: "a Cilium chart version" },
        hcloudCcm: { key: "hcloudCcmVersion", v: false, what: "an hcloud-cloud-controller-manager chart version" },
        certManager: { key: "certManagerVersion", v: true, what: "a cert-manager chart version" },
        metricsServer: { key: "metricsServerVersion", v: false, what: "a metrics-server chart version" },
        hcloudCsi: { key: "hcloudCsiVersion", v: false, what: "an hcloud-csi chart version" },
        kyverno: { key: "kyvernoVersion", v: false, what: "a Kyverno chart version" },
        capacityBuffer: {
            key: "capacityBufferCrdVersion",
            v: false,
            what: "a Cluster Autoscaler release (its CapacityBuffer CRD is installed)",
        },
        fluxOperator: { key: "fluxOperatorVersion", v: false, what: "a Flux Operator chart version" },
    };

/** Chart and distribution versions; a value that is not a version is a problem naming its key. */
function readVersions(r: ConfigReader): Pick<GitopsConfig, "versions" | "fluxVersion"> {
    const versions = Object.fromEntries(
        Object.entries(PRE_FLUX_VERSION_KEYS).map(([field, k]) => [
            field,
            r.string(k.key, {
                pattern: new RegExp(`^${k.v ? "v" : ""}\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?$`),
                expected: `${k.what} such as ${r.declared(k.key)}${k.v ? " (with the v)" : " (without a v)"}`,
            }),
        ]),
    ) as unknown as PreFluxVersions;
    return {
        versions,
        fluxVersion: r.string("fluxVersion", {
            pattern: /^\d+\.(x|\d+\.(x|\d+))$/,
            expected: "a Flux version such as 2.x or 2.8.x",
        }),
    };
}

/**
 * The platform's artifact is signed with cosign keyless in GitHub Actions; Flux must refuse an
 * artifact that is not (a rebuild must not deploy what an attacker pushed to the registry).
 */
function readVerification(r: ConfigReader, kind: GitopsConfig["source"]["kind"]): CosignKeyless | undefined {
    // Unset: verify what can be verified (an OCI artifact), which a Git source cannot be.
    const mode =
        r.optionalString("fluxSourceVerify", { oneOf: ["cosign-keyless", "none"] }) ??
        (kind === "OCIRepository" ? "cosign-keyless" : "none");
    // The defaults (Pulumi.yaml) are the identities the platform's own FluxInstance trusts (its
    // cosign patch): ci.yaml on the merge queue, cd.yaml and dr-rebuild.yaml on main, so adoption changes nothing.
    const regex = (key: string) => {
        const v = r.string(key);
        try {
            new RegExp(v);
        } catch {
            r.problem(key, v, "must be a valid regular expression");
        }
        return v;
    };
    const issuer = regex("fluxSourceVerifyIssuer");
    const subject = regex("fluxSourceVerifySubject");
    if (mode === "none") {
        return undefined;
    }
    if (kind !== "OCIRepository") {
        r.problem("fluxSourceVerify", mode, "applies to OCIRepository sources only; use none for a GitRepository");
        return undefined;
    }
    return { issuer, subject };
}

/**
 * An age identity file as `age-keygen` writes it (its `#` comment lines are fine: Flux and SOPS
 * read the file as it is), or the bare key line: at least one key, and nothing else.
 */
function checkAgeKeyFile(text: string): string | undefined {
    const lines = text
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"));
    return lines.length > 0 && lines.every((l) => /^AGE-SECRET-KEY-1[0-9A-Z]{58}$/.test(l))
        ? undefined
        : "must be an age identity file or key (lines AGE-SECRET-KEY-1 followed by 58 characters; # comments allowed)";
}

/** The SOPS key and the pull secret Flux needs before it starts. */
function readFluxSecrets(r: ConfigReader, rebuild: boolean): Pick<GitopsConfig, "sopsAgeKey" | "ghcrDockerConfig"> {
    return {
        sopsAgeKey: r.secret("sopsAgeKey", { required: rebuild, check: checkAgeKeyFile }) ?? pulumi.secret(""),
        ghcrDockerConfig: r.secret("ghcrDockerConfig", {
            required: false,
            // The platform's GHCR pulls need it; listed (and warned about) rather than required,
            // as a public artifact or another registry does without.
            withoutIt: rebuild
                ? "Flux pulls anonymously; the platform's GHCR artifact and images need it, or the bootstrap Kustomization fails after its timeout"
                : undefined,
            check: (t) => {
                try {
                    return JSON.parse(t).auths ? undefined : "must be a docker config JSON with an auths map";
                } catch {
                    return "must be a docker config JSON with an auths map";
                }
            },
        }),
    };
}

/**
 * The Kopia password is written into a new cluster before Velero starts. A running cluster's
 * Velero already has its own: writing another one there would cut it off from its backups.
 */
function readRepoPassword(r: ConfigReader, rebuild: boolean): pulumi.Output<string> | undefined {
    const password = r.secret("veleroRepoPassword", { required: false });
    if (!rebuild && password) {
        r.problem(
            "veleroRepoPassword",
            undefined,
            "is only written by a rebuild; in an existing cluster Velero already has its repository password, and replacing it would cut Velero off from its backups: unset it",
            true,
        );
        return undefined;
    }
    return password;
}

/** Scenario 5 is an explicit mode, never inferred from a secret being present. */
function readExistingCluster(r: ConfigReader, rebuild: boolean): pulumi.Output<string> | undefined {
    const kubeconfig = r.secret("existingClusterKubeconfig", { required: !rebuild });
    if (rebuild && kubeconfig) {
        r.problem(
            "existingClusterKubeconfig",
            undefined,
            "is set but clusterMode is rebuild; set clusterMode: existing to restore into that cluster, or unset it",
            true,
        );
    }
    return rebuild ? undefined : kubeconfig;
}

/** Reads the restore keys; `kustomizations` are the names the ordering keys may refer to. */
export function readRestoreConfig(r: ConfigReader, kustomizations: readonly KustomizationWait[], rebuild = true): RestoreConfig {
    const names = kustomizations.map((k) => k.name);
    const after = (key: string) => {
        const v = r.string(key);
        if (names.length && !names.includes(v)) {
            r.problem(key, v, `must be one of the fluxKustomizations: ${names.join(", ")}`);
        }
        return v;
    };
    const veleroBackup = r.string("veleroBackup", {
        pattern: /^(latest|none|[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)$/,
        expected: "latest, none (no Velero restore), or a Velero backup name (DNS label, e.g. velero-daily-full-20261123021700)",
    });
    const mapping = readStorageClassMapping(r);
    const databases = readDatabases(r, rebuild);
    const openbao = readOpenbaoRecovery(r, rebuild, veleroBackup);
    const includedNamespaces = r.stringList("veleroIncludedNamespaces");
    if (!rebuild && veleroBackup !== "none" && includedNamespaces.includes("*")) {
        r.problem(
            "veleroIncludedNamespaces",
            includedNamespaces.join(","),
            "must name the namespaces to restore into a running cluster (e.g. umami), not *: a restore of everything into production is never what Scenario 5 means; or set veleroBackup none to recover only databases",
        );
    }
    // Velero runs once its controllers are up (the platform installs it in infrastructure-controllers);
    // the Kustomizations after it are suspended until the restores are done.
    const veleroAfter = after("veleroAfterKustomization");
    const openbaoKustomization = after("openbaoKustomization");
    if (rebuild && openbao === "snapshot") {
        checkOpenbaoAfterVelero(r, names, veleroAfter, openbaoKustomization);
    }
    const seeds = readOpenbaoSeeds(r, openbao);
    return {
        veleroBackup,
        // The Velero chart names a Schedule `<release>-<key>`: the platform's `daily-full` is velero-daily-full.
        veleroBackupSchedule: r.string("veleroBackupSchedule", {
            pattern: /^([a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?)?$/,
            expected: "a Velero Schedule name (e.g. velero-daily-full), or empty for any Completed backup",
        }),
        veleroExcludedNamespaces: r.stringList("veleroExcludedNamespaces"),
        veleroIncludedNamespaces: includedNamespaces,
        veleroAllowPartiallyFailed: r.boolean("veleroAllowPartiallyFailed"),
        veleroRepoPassword: readRepoPassword(r, rebuild),
        veleroStorageClassMapping: mapping,
        veleroAfterKustomization: veleroAfter,
        cnpgAfterKustomization: after("cnpgAfterKustomization"),
        openbaoRecovery: openbao,
        openbaoKustomization,
        openbaoSeedSecrets: seeds?.apply((t) => JSON.parse(t) as string[]),
        cnpgDatabases: databases,
        cnpgRecoveryGeneration: r.integer("cnpgRecoveryGeneration", { min: 1, max: 999 }),
        existingClusterKubeconfig: readExistingCluster(r, rebuild),
    };
}

/** `veleroStorageClassMapping`: old=new StorageClass names for Velero's change-storage-class plugin. */
function readStorageClassMapping(r: ConfigReader): Record<string, string> {
    const mapping: Record<string, string> = {};
    r.stringList("veleroStorageClassMapping", {
        check: (e) => (/^[a-z0-9.-]+=[a-z0-9.-]+$/.test(e) ? undefined : "must be old=new StorageClass names, e.g. longhorn=hcloud"),
    }).forEach((e) => {
        const [from, to] = e.split("=");
        mapping[from] = to;
    });
    return mapping;
}

/** The platform's databases, recovered by a rebuild unless `cnpgDatabases` says otherwise. */
const PLATFORM_DATABASES: readonly string[] = [
    "umami/umami-db store=umami-db instances=3",
    "observability/coroot-db store=coroot-db instances=3",
    "wedding-app/wedding-db store=wedding-db instances=1",
];

/** `cnpgDatabases`, with `cnpgImage` and `cnpgStorageClass` as each entry's defaults. */
function readDatabases(r: ConfigReader, rebuild: boolean): DatabaseRecovery[] {
    const image = r.string("cnpgImage", {
        pattern: IMAGE_REF,
        expected: `a container image reference with a tag or digest, e.g. ${r.declared("cnpgImage")}`,
    });
    const storageClass = r.string("cnpgStorageClass", {
        pattern: DNS_SUBDOMAIN,
        expected: "a StorageClass name",
    });
    // A rebuild recovers the platform's databases unless told otherwise; a restore into the running
    // cluster recovers only what it names (each recovery adds protected clusters to production).
    return r.recordList<DatabaseRecovery>("cnpgDatabases", {
        whenUnset: rebuild ? PLATFORM_DATABASES : [],
        fields: ["store", "instances", "size", "targetTime", "as", "image", "storageClass"],
        parse: (e) => parseDatabaseRecovery(e, { image, storageClass }, rebuild),
    });
}

/**
 * One `cnpgDatabases` entry, or what is wrong with it. In a rebuild a database is recovered under
 * its own name; in a running cluster beside the original (`<name>-restored`), never over it.
 */
function parseDatabaseRecovery(
    e: CompactRecord,
    defaults: { readonly image: string; readonly storageClass: string },
    rebuild: boolean,
): DatabaseRecovery | string {
    const [namespace, name, ...rest] = e.id.split("/");
    if (!namespace || !name || rest.length || !DNS_LABEL.test(namespace) || !DNS_LABEL.test(name)) {
        return "must start with namespace/name of a CloudNativePG Cluster";
    }
    if (!e.fields.store) {
        return "has no object store: add store=<ObjectStore name> (its archive is what is recovered)";
    }
    const instances = Number(e.fields.instances ?? "1");
    if (!Number.isInteger(instances) || instances < 1 || instances > 9) {
        return `has instances=${e.fields.instances}; use 1 to 9`;
    }
    const targetTime = e.fields.targetTime;
    if (targetTime !== undefined && (!RFC3339.test(targetTime) || Number.isNaN(Date.parse(targetTime)))) {
        return `has targetTime=${targetTime}; use RFC 3339 with an offset, e.g. 2026-11-23T02:00:00Z`;
    }
    const size = e.fields.size ?? "10Gi";
    if (!/^[1-9]\d*(Mi|Gi|Ti)$/.test(size)) {
        return `has size=${size}; use a quantity such as 10Gi`;
    }
    const image = e.fields.image ?? defaults.image;
    if (!IMAGE_REF.test(image)) {
        return `has image=${image}; use an image reference with a tag or digest`;
    }
    const storageClass = e.fields.storageClass ?? defaults.storageClass;
    if (!DNS_SUBDOMAIN.test(storageClass)) {
        return `has storageClass=${storageClass}; use a StorageClass name`;
    }
    const recoverAs = e.fields.as ?? (rebuild ? name : `${name}-restored`);
    if (!DNS_LABEL.test(recoverAs) || recoverAs.length > 50) {
        return `has as=${recoverAs}; use a Cluster name of at most 50 characters`;
    }
    if (!rebuild && recoverAs === name) {
        return `has as=${name}: in an existing cluster that would overwrite the running ${namespace}/${name}; recover beside it (omit as= for ${name}-restored)`;
    }
    return { namespace, name, recoverAs, objectStore: e.fields.store, instances, size, image, storageClass, targetTime };
}

/** `openbaoRecovery`: unset means snapshot in a rebuild and none in a running cluster. */
function readOpenbaoRecovery(r: ConfigReader, rebuild: boolean, veleroBackup: string): OpenbaoRecoveryMode {
    // In a running cluster (Scenario 5) OpenBao is up: re-running its vault-config Job is not a restore.
    const openbao = (r.optionalString("openbaoRecovery", { oneOf: ["snapshot", "manual", "none"] }) ??
        (rebuild ? "snapshot" : "none")) as OpenbaoRecoveryMode;
    if (openbao === "snapshot" && !rebuild) {
        r.problem(
            "openbaoRecovery",
            openbao,
            "is for a rebuild: in a running cluster the vault-config Job finds OpenBao initialized and restores nothing; use manual (re-enter user-fed secrets) or none",
        );
    } else if (openbao === "snapshot" && veleroBackup === "none") {
        r.problem(
            "openbaoRecovery",
            openbao,
            "needs the openbao-unseal Secret from a Velero backup, but veleroBackup is none; set a backup, or use manual or none",
        );
    }
    return openbao;
}

/**
 * For `openbaoRecovery: snapshot`, the vault-config Job must not run before Velero has brought
 * openbao-unseal back, or it initializes an empty OpenBao.
 */
function checkOpenbaoAfterVelero(r: ConfigReader, names: readonly string[], veleroAfter: string, openbaoKustomization: string): void {
    if (
        names.includes(veleroAfter) &&
        names.includes(openbaoKustomization) &&
        names.indexOf(openbaoKustomization) <= names.indexOf(veleroAfter)
    ) {
        r.problem(
            "openbaoKustomization",
            openbaoKustomization,
            `must come after veleroAfterKustomization (${veleroAfter}) for openbaoRecovery snapshot: the vault-config Job must not run before Velero has brought openbao-unseal back, or it initializes an empty OpenBao`,
        );
    }
}

/** `openbaoSeedSecrets`, required for `openbaoRecovery: manual`: a JSON list of "secret/<path> <key>=<value>". */
function readOpenbaoSeeds(r: ConfigReader, openbao: OpenbaoRecoveryMode): pulumi.Output<string> | undefined {
    return r.secret("openbaoSeedSecrets", {
        required: openbao === "manual",
        check: (t) => {
            let list: unknown;
            try {
                list = JSON.parse(t);
            } catch {
                return 'must be a list of "<path> <key>=<value>" entries (set with --path and --secret)';
            }
            return Array.isArray(list) && list.every((x) => typeof x === "string" && /^secret\/\S+ [A-Za-z0-9_.-]+=.+$/.test(x))
                ? undefined
                : 'every entry must be "secret/<path> <key>=<value>"';
        },
    });
}

/** The platform repository's Flux tree (its `k8s/` directory), for the convergence pre-flight. */
export interface GitopsTreeConfig {
    /** `gitopsPath` as configured (relative to the project root); undefined when unset. */
    readonly path?: string;
    /** The absolute directory; undefined when unset. */
    readonly absolute?: string;
    /** Whether a directory is there; a fresh clone without the sibling checkout has none, and the pre-flight is skipped. */
    readonly present: boolean;
    /** `gitopsPreflight`: `enforce` stops `pulumi up` on a pre-flight error, `warn` reports and goes on, `skip` does not run it. */
    readonly mode: "enforce" | "warn" | "skip";
}

/** Why a path cannot be listed, or undefined when it is a readable directory. */
function unreadableDirectory(absolute: string): string | undefined {
    try {
        if (!fs.statSync(absolute).isDirectory()) {
            return "is not a directory";
        }
        fs.accessSync(absolute, fs.constants.R_OK | fs.constants.X_OK);
        fs.readdirSync(absolute);
        return undefined;
    } catch (e) {
        return `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`;
    }
}

/**
 * Reads `gitopsPath` and `gitopsPreflight`. A path that exists but is not a readable directory, and
 * a tree without the FluxInstance's sync path (`fluxSourcePath`), are config problems; a path with
 * nothing there is not (the pre-flight says it was skipped).
 */
export function readGitopsTree(r: ConfigReader, syncPath: string, rebuild: boolean): GitopsTreeConfig {
    const mode = r.string("gitopsPreflight", { oneOf: ["enforce", "warn", "skip"] }) as GitopsTreeConfig["mode"];
    const configured = r.optionalString("gitopsPath");
    if (!configured || !rebuild) {
        // Scenario 5: Flux already runs in the cluster; there is no bootstrap to check.
        return { present: false, mode };
    }
    const absolute = path.resolve(PROJECT_ROOT, configured);
    if (!fs.existsSync(absolute)) {
        return { path: configured, absolute, present: false, mode };
    }
    const unreadable = unreadableDirectory(absolute);
    if (unreadable) {
        r.problem("gitopsPath", configured, `${unreadable} (${absolute}); it must be the platform repository's k8s/ directory`);
        return { path: configured, absolute, present: false, mode };
    }
    const sync = path.join(absolute, syncPath);
    const syncProblem = fs.existsSync(sync) ? unreadableDirectory(sync) : "is missing";
    if (syncProblem) {
        r.problem(
            "fluxSourcePath",
            syncPath,
            `${syncProblem} in the tree at gitopsPath ${configured} (${sync}): the FluxInstance would sync nothing. Set fluxSourcePath to the cluster's directory (e.g. clusters/prod) or gitopsPath to the repository's k8s/ directory`,
        );
    }
    return { path: configured, absolute, present: true, mode };
}
