import { strict as assert } from "assert";
import {
    bucketScopedResources,
    credentialSecretData,
    objectPermissionGroupIds,
    r2BucketResourceKey,
    r2Endpoint,
    s3CredentialsFromToken,
} from "../../components/storage/r2Credentials";

const ACCOUNT = "0123456789abcdef0123456789abcdef";

describe("storage: R2 credentials (pure)", () => {
    it("derives the S3 secret as the hex SHA-256 of the token value, the access key as the token ID", () => {
        // FIPS 180-2 test vector: SHA-256("abc").
        assert.deepEqual(s3CredentialsFromToken("tok-id", "abc"), {
            accessKeyId: "tok-id",
            secretAccessKey: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        });
    });

    it("uses the account endpoint, and the jurisdiction's host for jurisdictional buckets", () => {
        assert.equal(r2Endpoint(ACCOUNT, "default"), `https://${ACCOUNT}.r2.cloudflarestorage.com`);
        assert.equal(r2Endpoint(ACCOUNT, "eu"), `https://${ACCOUNT}.eu.r2.cloudflarestorage.com`);
    });

    it("names exactly one bucket in the token's resources", () => {
        assert.equal(
            r2BucketResourceKey(ACCOUNT, "default", "platform-backups"),
            `com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_platform-backups`,
        );
        assert.deepEqual(JSON.parse(bucketScopedResources(ACCOUNT, "eu", "b")), { [`com.cloudflare.edge.r2.bucket.${ACCOUNT}_eu_b`]: "*" });
    });

    it("picks the object read and write groups by exact name, never the account-wide ones", () => {
        const groups = [
            { id: "w-account", name: "Workers R2 Storage Write" },
            { id: "w", name: "Workers R2 Storage Bucket Item Write" },
            { id: "r", name: "Workers R2 Storage Bucket Item Read" },
            { id: "r-account", name: "Workers R2 Storage Read" },
        ];
        assert.deepEqual(objectPermissionGroupIds(groups), [{ id: "r" }, { id: "w" }]);
    });

    it("fails loudly, naming the group, when Cloudflare has no such permission group", () => {
        assert.throws(
            () => objectPermissionGroupIds([{ id: "r", name: "Workers R2 Storage Bucket Item Read" }]),
            /no permission group "Workers R2 Storage Bucket Item Write"/,
        );
        assert.throws(() => objectPermissionGroupIds([]), /have: none/);
    });

    const creds = { accessKeyId: "AKID", secretAccessKey: "f".repeat(64) };
    const endpoint = r2Endpoint(ACCOUNT, "default");

    it("velero: key cloud, an AWS shared-credentials file", () => {
        assert.deepEqual(credentialSecretData("velero", creds, endpoint, "platform-backups"), {
            cloud: `[default]\naws_access_key_id=AKID\naws_secret_access_key=${"f".repeat(64)}\n`,
        });
    });

    it("cnpg: ACCESS_KEY_ID, SECRET_ACCESS_KEY and REGION auto", () => {
        assert.deepEqual(credentialSecretData("cnpg", creds, endpoint, "platform-backups"), {
            ACCESS_KEY_ID: "AKID",
            SECRET_ACCESS_KEY: "f".repeat(64),
            REGION: "auto",
        });
    });

    it("env: the AWS SDK environment plus endpoint and bucket (the OpenBao snapshot job)", () => {
        assert.deepEqual(credentialSecretData("env", creds, endpoint, "platform-backups"), {
            AWS_ACCESS_KEY_ID: "AKID",
            AWS_SECRET_ACCESS_KEY: "f".repeat(64),
            AWS_REGION: "auto",
            AWS_ENDPOINT_URL_S3: endpoint,
            BUCKET: "platform-backups",
        });
    });
});
