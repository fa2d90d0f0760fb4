import { strict as assert } from "assert";
import { readFileSync } from "fs";
import * as path from "path";
import { validateConfig } from "../../config";
import { PLACEHOLDER_CLOUDFLARE_ID } from "../../config/offCluster";
import { validProdRaw } from "../support/config";

const CF = { domain: "platform.devantler.tech" };

function problems(overrides: Record<string, unknown>) {
    const result = validateConfig(validProdRaw({ ...CF, ...overrides }, ["cloudflare:apiToken", "github:token"]));
    return result.ok ? [] : result.problems;
}

describe("config: off-cluster artifacts", () => {
    it("accepts the production shape and derives the API name and credential targets", () => {
        const result = validateConfig(validProdRaw(CF, ["cloudflare:apiToken"]));
        assert.ok(result.ok);
        if (result.ok) {
            assert.equal(result.config.dns?.apiHostname, "api.platform.devantler.tech");
            assert.equal(result.config.storage?.credentialTargets[0].format, "velero");
            assert.equal(result.config.ci?.owner, "devantler-tech");
        }
    });

    it("requires the Cloudflare account and zone IDs for a rebuild, saying how to set them", () => {
        const found = problems({ cloudflareAccountId: undefined, cloudflareZoneId: undefined });
        assert.deepEqual(found.map((p) => p.key).sort(), ["cloudflareAccountId", "cloudflareZoneId"]);
        assert.ok(
            found.every((p) => /pulumi config set cloudflare(Account|Zone)Id <value>/.test(p.message)),
            JSON.stringify(found),
        );
    });

    it("the README's config reference says what validation does: both IDs required for a rebuild", () => {
        // Validation refuses a rebuild without them (above); the reference table must not promise
        // that leaving one unset merely skips R2 or DNS.
        const readme = readFileSync(path.join(__dirname, "../../README.md"), "utf8");
        const rows = readme.split("\n").filter((line) => /^\| `[^|]*(cloudflareAccountId|cloudflareZoneId)`/.test(line));
        assert.equal(rows.length, 2, "one config-table row per key");
        for (const row of rows) {
            assert.match(row, /required for a rebuild/, row);
            assert.doesNotMatch(row, /not managed \(warning\)|unset = DNS not managed/, row);
        }
        assert.deepEqual(
            problems({ cloudflareAccountId: undefined }).map((p) => p.key),
            ["cloudflareAccountId"],
        );
        assert.deepEqual(
            problems({ cloudflareZoneId: undefined }).map((p) => p.key),
            ["cloudflareZoneId"],
        );
    });

    it("a rehearsal stands in valid-shaped IDs for them and lists them as placeholders", () => {
        const result = validateConfig({
            ...validProdRaw({ cloudflareAccountId: undefined, cloudflareZoneId: undefined }),
            rehearsal: true,
        });
        assert.ok(result.ok);
        if (result.ok) {
            assert.equal(result.config.storage?.accountId, PLACEHOLDER_CLOUDFLARE_ID);
            assert.equal(result.config.dns?.zoneId, PLACEHOLDER_CLOUDFLARE_ID);
            assert.deepEqual(
                result.placeholders.filter((p) => !p.secret).map((p) => p.key),
                ["cloudflareAccountId", "cloudflareZoneId"],
            );
        }
    });

    it("a rehearsal shows the CI credentials with a placeholder token, saying a real run would skip them", () => {
        const result = validateConfig({ ...validProdRaw(), rehearsal: true });
        assert.ok(result.ok);
        if (result.ok) {
            assert.ok(result.config.ci?.githubToken);
            const token = result.placeholders.find((p) => p.key === "github:token");
            assert.match(token?.withoutIt ?? "", /does not refresh KUBE_CONFIG and TALOS_CONFIG/);
        }
        const real = validateConfig(validProdRaw());
        assert.ok(real.ok && real.config.ci && real.config.ci.githubToken === undefined);
    });

    it("Scenario 5 needs no DNS, CI or Cloudflare IDs unless a database is recovered", () => {
        const existing = {
            clusterMode: "existing",
            existingClusterKubeconfig: "apiVersion: v1",
            veleroIncludedNamespaces: ["umami"],
            cloudflareAccountId: undefined,
            cloudflareZoneId: undefined,
            "cloudflare:apiToken": undefined,
        };
        const withoutDb = validateConfig(validProdRaw({ ...existing, cnpgDatabases: [] }, ["existingClusterKubeconfig"]));
        assert.ok(withoutDb.ok, withoutDb.ok ? "" : JSON.stringify(withoutDb.problems));
        if (withoutDb.ok) {
            assert.equal(withoutDb.config.storage, undefined);
            assert.equal(withoutDb.config.dns, undefined);
            assert.equal(withoutDb.config.ci, undefined);
        }
        const withDb = validateConfig(
            validProdRaw({ ...existing, cnpgDatabases: ["umami/umami-db store=umami-db"] }, ["existingClusterKubeconfig"]),
        );
        assert.ok(!withDb.ok);
        if (!withDb.ok) {
            assert.deepEqual(withDb.problems.map((p) => p.key).sort(), ["cloudflare:apiToken", "cloudflareAccountId"]);
        }
    });

    const bad: [string, Record<string, unknown>, string, RegExp][] = [
        ["a malformed account ID", { cloudflareAccountId: "acct-123" }, "cloudflareAccountId", /32 lower-case hex/],
        ["a malformed zone ID", { cloudflareZoneId: "ZONE" }, "cloudflareZoneId", /32 lower-case hex/],
        ["a bad domain", { domain: "Platform_Devantler" }, "domain", /DNS name/],
        ["a bad API label", { apiDnsLabel: "api.k8s" }, "apiDnsLabel", /single DNS label/],
        ["a bad repository", { githubRepository: "platform" }, "githubRepository", /owner\/name/],
        ["an environment name GitHub refuses", { githubEnvironment: "prod/eu" }, "githubEnvironment", /GitHub environment name/],
        ["a bad bucket name", { r2Bucket: "Platform_Backups" }, "r2Bucket", /R2 bucket name/],
        ["an unknown jurisdiction", { r2Jurisdiction: "us" }, "r2Jurisdiction", /default, eu, fedramp/],
        [
            "a credential target without a format",
            { r2CredentialTargets: ["velero/velero-r2-credentials"] },
            "r2CredentialTargets[0]",
            /format=velero\|cnpg\|env\|keys/,
        ],
        [
            "a credential target with an unknown owner",
            { r2CredentialTargets: ["velero/velero-r2-credentials format=velero owner=flux"] },
            "r2CredentialTargets[0]",
            /owner=flux; use program .* or gitops/,
        ],
        [
            "a credential target that is not namespace/name",
            { r2CredentialTargets: ["velero format=velero"] },
            "r2CredentialTargets[0]",
            /namespace\/name/,
        ],
        [
            "a credential target listed twice",
            { r2CredentialTargets: ["a/b format=cnpg", "a/b format=env"] },
            "r2CredentialTargets[1]",
            /twice/,
        ],
        ["a TTL Cloudflare refuses", { dnsTtl: "10" }, "dnsTtl", /30 to 86400/],
        ["an unknown gateway owner", { gatewayDnsOwner: "me" }, "gatewayDnsOwner", /external-dns, program/],
        ["a rotation generation of zero", { r2TokenGeneration: "0" }, "r2TokenGeneration", />= 1/],
        ["a Cloudflare token that is not one", { "cloudflare:apiToken": "short" }, "cloudflare:apiToken", /Cloudflare API token/],
    ];
    for (const [what, overrides, key, message] of bad) {
        it(`rejects ${what}, naming ${key}`, () => {
            const found = problems(overrides).filter((p) => p.key === key);
            assert.ok(
                found.some((p) => message.test(p.message)),
                `${key}: ${JSON.stringify(problems(overrides))}`,
            );
        });
    }

    it("lists the shared Cloudflare token once among a rehearsal's placeholders", () => {
        const result = validateConfig({ ...validProdRaw({ ...CF, "cloudflare:apiToken": undefined }), rehearsal: true });
        assert.ok(result.ok);
        if (result.ok) {
            assert.deepEqual(
                result.placeholders.filter((p) => p.key === "cloudflare:apiToken"),
                [{ key: "cloudflare:apiToken", secret: true, withoutIt: undefined }],
            );
        }
    });

    it("reports a missing shared Cloudflare token once", () => {
        const result = validateConfig(validProdRaw({ ...CF, "cloudflare:apiToken": undefined }));
        assert.ok(!result.ok);
        if (!result.ok) {
            assert.equal(result.problems.filter((p) => p.key === "cloudflare:apiToken").length, 1);
        }
    });
});
