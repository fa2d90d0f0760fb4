import * as pulumi from "@pulumi/pulumi";
import { DNS_LABEL, DNS_SUBDOMAIN } from "./names";
import { ConfigReader } from "./reader";

/** Cloudflare account and zone IDs are 32 hex characters. */
const CLOUDFLARE_ID = /^[0-9a-f]{32}$/;
/** R2 bucket names: 3-63 lower-case letters, digits and hyphens, not starting or ending with a hyphen. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** A DNS name of at least two labels. */
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
/** `owner/name` as GitHub spells repositories. */
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;

/** How a credentials Secret is shaped for its consumer. */
export type CredentialFormat = "velero" | "cnpg" | "env" | "keys";

/** One Kubernetes Secret the R2 credentials are delivered to. */
interface CredentialTarget {
    /** Namespace of the Secret. */
    readonly namespace: string;
    /** Name of the Secret. */
    readonly name: string;
    /**
     * `velero`: key `cloud`, an AWS INI file; `cnpg`: `ACCESS_KEY_ID`, `SECRET_ACCESS_KEY`, `REGION`;
     * `env`: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL_S3`, `BUCKET`
     * (S3 clients that read the environment); `keys`: `access_key_id`, `secret_access_key` (the
     * platform's `openbao/vault-snapshot-r2`, mounted as files by its vault-config and snapshot Jobs).
     */
    readonly format: CredentialFormat;
    /**
     * `program`: the Secret is the program's alone (Flux is kept off it). `gitops`: the platform's
     * tree owns it too (an ExternalSecret from OpenBao): the program writes it before Flux, so the
     * restores can reach R2 before OpenBao is back, then hands it over: it never writes it again, and
     * waits until the tree's ExternalSecret has taken it over (README, "Secrets the program and the
     * tree both write").
     */
    readonly owner: "program" | "gitops";
}

/** The R2 backup storage. */
export interface StorageConfig {
    /** Cloudflare account ID. */
    readonly accountId: string;
    /** The bucket holding every backup. */
    readonly bucket: string;
    /** R2 jurisdiction of the bucket (`default`, `eu`, `fedramp`). */
    readonly jurisdiction: string;
    /** True only for a first-ever install: create the bucket instead of adopting it. */
    readonly createBucket: boolean;
    /** Bump to rotate the R2 credentials (runbook Scenario 7). */
    readonly tokenGeneration: number;
    /** Where the credentials are delivered. */
    readonly credentialTargets: readonly CredentialTarget[];
    /** Cloudflare API token for the provider (secret). */
    readonly cloudflareApiToken: pulumi.Output<string>;
}

/** Who owns the gateway records `<domain>` and `*.<domain>`. */
type GatewayDnsOwner = "external-dns" | "program";

/** DNS on Cloudflare. */
export interface DnsConfig {
    /** The platform's domain, e.g. `platform.devantler.tech`. */
    readonly domain: string;
    /** Cloudflare zone ID of the zone holding the domain. */
    readonly zoneId: string;
    /** Full name of the Kubernetes API record, e.g. `api.platform.devantler.tech`. */
    readonly apiHostname: string;
    /** TTL of the records the program owns (1 = automatic). */
    readonly ttl: number;
    /** external-dns (the platform's choice) or the program. */
    readonly gatewayOwner: GatewayDnsOwner;
    /** Cloudflare API token for the DNS edits (secret). */
    readonly cloudflareApiToken: pulumi.Output<string>;
    /** The Service carrying the gateway's public IP, `namespace/name`. */
    readonly gatewayService: { readonly namespace: string; readonly name: string };
}

/** GitHub CI deploy credentials (Scenario 9). */
export interface CiConfig {
    /** Repository owner. */
    readonly owner: string;
    /** Repository name. */
    readonly repository: string;
    /** Environment whose secrets are set. */
    readonly environment: string;
    /** GitHub token; when absent the CI credentials are skipped with a notice. */
    readonly githubToken?: pulumi.Output<string>;
}

/** Keys of the storage area, for when it is not used. */
const STORAGE_KEYS = ["cloudflareAccountId", "r2Bucket", "r2Jurisdiction", "r2CreateBucket", "r2TokenGeneration", "r2CredentialTargets"];
/** Keys of the DNS area, for when it is not used. */
const DNS_KEYS = ["domain", "cloudflareZoneId", "apiDnsLabel", "gatewayService", "dnsTtl", "gatewayDnsOwner"];
/** Keys of the CI area, for when it is not used. */
const CI_KEYS = ["githubRepository", "githubEnvironment", "github:token"];

/**
 * A rehearsal's stand-in for an unset Cloudflare account or zone ID: valid in shape, so the plan
 * shows every resource that needs it, and listed as a placeholder under the plan.
 */
export const PLACEHOLDER_CLOUDFLARE_ID = "0".repeat(32);

/**
 * Reads the R2 storage keys. `needed`: a rebuild always restores from R2, so the account ID is
 * required then (a rebuild without it would restore nothing); Scenario 5 needs it only to
 * recover databases. Undefined when not needed and not configured.
 */
export function readStorageConfig(r: ConfigReader, needed = true): StorageConfig | undefined {
    if (!needed && !r.has("cloudflareAccountId")) {
        r.declare(...STORAGE_KEYS);
        return undefined;
    }
    const formats: CredentialFormat[] = ["velero", "cnpg", "env", "keys"];
    const credentialTargets = r.recordList<CredentialTarget>("r2CredentialTargets", {
        fields: ["format", "owner"],
        parse: (entry) => {
            const [namespace, name, ...rest] = entry.id.split("/");
            if (!namespace || !name || rest.length || !DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(name)) {
                return "must start with namespace/name of a Kubernetes Secret";
            }
            const format = entry.fields.format as CredentialFormat;
            if (!formats.includes(format)) {
                return `needs format=${formats.join("|")}`;
            }
            const owner = entry.fields.owner ?? "program";
            if (owner !== "program" && owner !== "gitops") {
                return `has owner=${owner}; use program (the Secret is the program's alone) or gitops (the GitOps tree's ExternalSecret takes it over)`;
            }
            return { namespace, name, format, owner };
        },
    });
    const seen = new Set<string>();
    credentialTargets.forEach((t, i) => {
        const id = `${t.namespace}/${t.name}`;
        if (seen.has(id)) {
            r.problem(`r2CredentialTargets[${i}]`, id, "is listed twice");
        }
        seen.add(id);
    });
    return {
        accountId: r.string("cloudflareAccountId", {
            pattern: CLOUDFLARE_ID,
            expected: "the Cloudflare account ID holding the bucket (32 lower-case hex characters)",
            rehearsalPlaceholder: PLACEHOLDER_CLOUDFLARE_ID,
        }),
        bucket: r.string("r2Bucket", {
            pattern: BUCKET_NAME,
            expected: "an R2 bucket name (3-63 lower-case letters, digits, hyphens)",
        }),
        jurisdiction: r.string("r2Jurisdiction", { oneOf: ["default", "eu", "fedramp"] }),
        createBucket: r.boolean("r2CreateBucket"),
        tokenGeneration: r.integer("r2TokenGeneration", { min: 1, max: 9999 }),
        credentialTargets,
        cloudflareApiToken: readCloudflareToken(r),
    };
}

/** The Cloudflare API token, shared by R2 and DNS (needs R2 and API-token edit, and DNS edit on the zone). */
function readCloudflareToken(r: ConfigReader): pulumi.Output<string> {
    return (
        r.secret("cloudflare:apiToken", {
            required: true,
            check: (t) =>
                /^[A-Za-z0-9_-]{32,80}$/.test(t) ? undefined : "must be a Cloudflare API token (32 to 80 letters, digits, - or _)",
        }) ?? pulumi.secret("")
    );
}

/**
 * Reads the DNS keys. A rebuild moves the API to new addresses, so the zone ID is required then;
 * Scenario 5 (`rebuild` false) moves nothing and manages no records.
 */
export function readDnsConfig(r: ConfigReader, rebuild = true): DnsConfig | undefined {
    if (!rebuild) {
        r.declare(...DNS_KEYS);
        return undefined;
    }
    const domain = r.string("domain", { pattern: DOMAIN, expected: "a lower-case DNS name such as platform.example.org" });
    const apiLabel = r.string("apiDnsLabel", { pattern: DNS_LABEL, expected: "a single DNS label such as api" });
    const service = r.string("gatewayService", {
        pattern: /^[a-z0-9-]+\/[a-z0-9-]+$/,
        expected: "namespace/name of the gateway's LoadBalancer Service",
    });
    const [namespace, name] = service.split("/");
    const ttl = r.integer("dnsTtl", { min: 1, max: 86400 });
    if (ttl > 1 && ttl < 30) {
        r.problem("dnsTtl", ttl, "must be 1 (automatic) or 30 to 86400 seconds (Cloudflare's range)");
    }
    return {
        domain,
        zoneId: r.string("cloudflareZoneId", {
            pattern: CLOUDFLARE_ID,
            expected: "the Cloudflare zone ID of the zone holding the domain (32 lower-case hex characters)",
            rehearsalPlaceholder: PLACEHOLDER_CLOUDFLARE_ID,
        }),
        apiHostname: `${apiLabel}.${domain}`,
        ttl,
        gatewayOwner: r.string("gatewayDnsOwner", { oneOf: ["external-dns", "program"] }) as GatewayDnsOwner,
        gatewayService: { namespace: namespace ?? "", name: name ?? "" },
        cloudflareApiToken: readCloudflareToken(r),
    };
}

/** Reads the GitHub keys; undefined in Scenario 5 (`rebuild` false: the cluster's PKI is unchanged). */
export function readCiConfig(r: ConfigReader, rebuild = true): CiConfig | undefined {
    if (!rebuild) {
        r.declare(...CI_KEYS);
        return undefined;
    }
    const repo = r.string("githubRepository", {
        pattern: REPOSITORY,
        expected: "owner/name of a GitHub repository",
    });
    const [owner, repository] = repo.split("/");
    return {
        owner: owner ?? "",
        repository: repository ?? "",
        environment: r.string("githubEnvironment", {
            pattern: /^[A-Za-z0-9._ -]{1,255}$/,
            expected: "a GitHub environment name",
        }),
        githubToken: r.secret("github:token", {
            required: false,
            withoutIt: "a real run without it does not refresh KUBE_CONFIG and TALOS_CONFIG",
        }),
    };
}
