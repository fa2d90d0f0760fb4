import { createHash } from "crypto";
import { CredentialFormat } from "../../config/offCluster";

/** R2 speaks S3 in region `auto`. */
const R2_REGION = "auto";

/** S3 credentials derived from a Cloudflare API token. */
export interface S3Credentials {
    /** The token's ID. */
    readonly accessKeyId: string;
    /** Hex SHA-256 of the token's value. */
    readonly secretAccessKey: string;
}

/** R2's S3 credentials: access key = token ID, secret = hex SHA-256 of the token value. */
export function s3CredentialsFromToken(tokenId: string, tokenValue: string): S3Credentials {
    return { accessKeyId: tokenId, secretAccessKey: createHash("sha256").update(tokenValue).digest("hex") };
}

/** The account's S3 endpoint; buckets in a jurisdiction use the jurisdiction's host. */
export function r2Endpoint(accountId: string, jurisdiction: string): string {
    return jurisdiction === "default"
        ? `https://${accountId}.r2.cloudflarestorage.com`
        : `https://${accountId}.${jurisdiction}.r2.cloudflarestorage.com`;
}

/** The API-token resource key that names exactly one bucket. */
export function r2BucketResourceKey(accountId: string, jurisdiction: string, bucket: string): string {
    return `com.cloudflare.edge.r2.bucket.${accountId}_${jurisdiction}_${bucket}`;
}

/** Permission groups a bucket-scoped token gets: object read and write, nothing else. */
const R2_OBJECT_PERMISSION_GROUPS = ["Workers R2 Storage Bucket Item Read", "Workers R2 Storage Bucket Item Write"] as const;

/**
 * The IDs of the object read and write permission groups, from the provider's list. Fails loudly
 * when Cloudflare renamed one: a token without them would be created and then refused by R2.
 */
export function objectPermissionGroupIds(available: readonly { readonly id: string; readonly name: string }[]): { id: string }[] {
    return R2_OBJECT_PERMISSION_GROUPS.map((wanted) => {
        const found = available.find((g) => g.name === wanted);
        if (!found) {
            throw new Error(
                `Cloudflare has no permission group "${wanted}" (have: ${available.map((g) => g.name).join(", ") || "none"}); the R2 token cannot be scoped to the bucket`,
            );
        }
        return { id: found.id };
    });
}

/** The token policy's `resources` JSON: one bucket, nothing else. */
export function bucketScopedResources(accountId: string, jurisdiction: string, bucket: string): string {
    return JSON.stringify({ [r2BucketResourceKey(accountId, jurisdiction, bucket)]: "*" });
}

/** Secret data in the shape each consumer expects. */
export function credentialSecretData(
    format: CredentialFormat,
    creds: S3Credentials,
    endpoint: string,
    bucket: string,
): Record<string, string> {
    switch (format) {
        case "velero":
            // Velero's aws plugin reads an AWS shared-credentials file from key `cloud`.
            return { cloud: `[default]\naws_access_key_id=${creds.accessKeyId}\naws_secret_access_key=${creds.secretAccessKey}\n` };
        case "cnpg":
            return { ACCESS_KEY_ID: creds.accessKeyId, SECRET_ACCESS_KEY: creds.secretAccessKey, REGION: R2_REGION };
        case "keys":
            return { access_key_id: creds.accessKeyId, secret_access_key: creds.secretAccessKey };
        case "env":
            return {
                AWS_ACCESS_KEY_ID: creds.accessKeyId,
                AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
                AWS_REGION: R2_REGION,
                AWS_ENDPOINT_URL_S3: endpoint,
                BUCKET: bucket,
            };
    }
}
