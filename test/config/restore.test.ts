import { strict as assert } from "assert";
import { restoreCredentialName, validateConfig } from "../../config";
import { validProdRaw } from "../support/config";

function problemsFor(overrides: Record<string, unknown>, key: string) {
    const result = validateConfig(
        validProdRaw({ cloudflareAccountId: "0123456789abcdef0123456789abcdef", "cloudflare:apiToken": "t".repeat(40), ...overrides }, [
            "cloudflare:apiToken",
            "sopsAgeKey",
        ]),
    );
    return result.ok ? [] : result.problems.filter((p) => p.key === key);
}

describe("config: GitOps and restores", () => {
    const bad: [string, Record<string, unknown>, string, RegExp][] = [
        [
            "an unknown backup name format",
            { veleroBackup: "Daily_Full" },
            "veleroBackup",
            /latest, none \(no Velero restore\), or a Velero backup name/,
        ],
        ["a bad target time", { cnpgDatabases: ["umami/umami-db store=umami-db targetTime=yesterday"] }, "cnpgDatabases[0]", /RFC 3339/],
        [
            "a target time without an offset",
            { cnpgDatabases: ["umami/umami-db store=umami-db targetTime=2026-11-23T02:00:00"] },
            "cnpgDatabases[0]",
            /RFC 3339/,
        ],
        ["a database without object store", { cnpgDatabases: ["umami/umami-db instances=3"] }, "cnpgDatabases[0]", /no object store/],
        [
            "a database without R2 credentials in its namespace",
            { cnpgDatabases: ["shop/shop-db store=shop-db"] },
            "cnpgDatabases[0]",
            /no R2 credentials/,
        ],
        [
            "a Kustomization timeout that is not a duration",
            { fluxKustomizations: ["apps timeout=soon"] },
            "fluxKustomizations[0]",
            /duration/,
        ],
        [
            "a restore ordered after an unknown Kustomization",
            { veleroAfterKustomization: "infra" },
            "veleroAfterKustomization",
            /one of the fluxKustomizations/,
        ],
        ["a malformed age key", { sopsAgeKey: "age1notaprivatekey" }, "sopsAgeKey", /must be an age identity file or key/],
        ["a storage-class mapping without '='", { veleroStorageClassMapping: ["longhorn"] }, "veleroStorageClassMapping[0]", /old=new/],
        ["an unknown OpenBao path", { openbaoRecovery: "auto" }, "openbaoRecovery", /snapshot, manual, none/],
        ["the manual OpenBao path without seed secrets", { openbaoRecovery: "manual" }, "openbaoSeedSecrets", /required/],
        [
            "a recovery over the running cluster in Scenario 5",
            {
                clusterMode: "existing",
                existingClusterKubeconfig: "kind: Config",
                cnpgDatabases: ["umami/umami-db store=umami-db as=umami-db"],
            },
            "cnpgDatabases[0]",
            /would overwrite the running umami\/umami-db/,
        ],
        [
            "a recovered cluster name that is not a name",
            { cnpgDatabases: ["umami/umami-db store=umami-db as=Umami_DB"] },
            "cnpgDatabases[0]",
            /Cluster name/,
        ],
        [
            "a database volume size that is not a quantity",
            { cnpgDatabases: ["umami/umami-db store=umami-db size=10GB"] },
            "cnpgDatabases[0]",
            /quantity such as 10Gi/,
        ],
        ["an unknown cluster mode", { clusterMode: "restore" }, "clusterMode", /rebuild, existing/],
        ["existing mode without a kubeconfig", { clusterMode: "existing" }, "existingClusterKubeconfig", /required/],
        ["a Git URL for an OCI source", { fluxSourceUrl: "https://github.com/devantler-tech/platform" }, "fluxSourceUrl", /oci:\/\//],
    ];
    for (const [what, overrides, key, message] of bad) {
        it(`rejects ${what}, naming ${key}`, () => {
            const found = problemsFor(overrides, key);
            assert.ok(
                found.some((p) => message.test(p.message)),
                JSON.stringify(found),
            );
        });
    }

    it("Scenario 5 needs no build-only secrets (Hetzner token, age key)", () => {
        const raw = validProdRaw(
            {
                clusterMode: "existing",
                existingClusterKubeconfig: "kind: Config",
                veleroIncludedNamespaces: ["umami"],
                "hcloud:token": undefined,
                sopsAgeKey: undefined,
            },
            ["existingClusterKubeconfig"],
        );
        const result = validateConfig(raw);
        assert.ok(result.ok, JSON.stringify(result.ok ? [] : result.problems));
    });

    it("Scenario 5 refuses a Kopia password: the running Velero has its own, and replacing it would cut Velero off", () => {
        const raw = validProdRaw(
            { clusterMode: "existing", existingClusterKubeconfig: "kind: Config", veleroRepoPassword: "kopia-password-of-old" },
            ["existingClusterKubeconfig", "veleroRepoPassword"],
        );
        const result = validateConfig(raw);
        assert.ok(!result.ok);
        if (!result.ok) {
            const found = result.problems.filter((p) => p.key === "veleroRepoPassword");
            assert.equal(found.length, 1);
            assert.match(found[0].message, /only written by a rebuild/);
            assert.equal(found[0].value, "[secret]");
        }
    });

    describe("Scenario 5 never restores more into production than asked, nor touches what runs there", () => {
        const existing = (extra: Record<string, unknown>) =>
            validProdRaw({ clusterMode: "existing", existingClusterKubeconfig: "kind: Config", ...extra }, ["existingClusterKubeconfig"]);

        it("wants the namespaces named: * would restore everything into the running cluster", () => {
            const result = validateConfig(existing({}));
            assert.ok(
                !result.ok &&
                    result.problems.some((p) => p.key === "veleroIncludedNamespaces" && /must name the namespaces/.test(p.message)),
            );
            assert.ok(validateConfig(existing({ veleroBackup: "none", cnpgDatabases: [] })).ok, "no Velero restore: nothing to name");
        });

        it("leaves OpenBao alone unless asked, and refuses the snapshot path (the running vault-config would restore nothing)", () => {
            const quiet = validateConfig(existing({ veleroIncludedNamespaces: ["umami"] }));
            assert.ok(quiet.ok && quiet.config.restore.openbaoRecovery === "none");
            const snapshot = validateConfig(existing({ veleroIncludedNamespaces: ["umami"], openbaoRecovery: "snapshot" }));
            assert.ok(!snapshot.ok && snapshot.problems.some((p) => p.key === "openbaoRecovery" && /is for a rebuild/.test(p.message)));
        });

        it("writes only the recovered databases' cnpg credentials, each as <name>-restore beside the cluster's own", () => {
            const result = validateConfig(
                existing({ veleroIncludedNamespaces: ["umami"], cnpgDatabases: ["umami/umami-db store=umami-db"] }),
            );
            assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.problems));
            if (result.ok) {
                assert.deepEqual(result.config.storage?.credentialTargets, [
                    { namespace: "umami", name: "umami-db-r2-credentials-restore", format: "cnpg", owner: "program" },
                ]);
            }
            assert.equal(restoreCredentialName("x".repeat(70)).length, 63);
        });
    });

    it("refuses the snapshot path for OpenBao without a Velero backup, or with its Job before Velero runs", () => {
        const noBackup = validateConfig(validProdRaw({ veleroBackup: "none" }));
        assert.ok(!noBackup.ok && noBackup.problems.some((p) => p.key === "openbaoRecovery" && /veleroBackup is none/.test(p.message)));
        const early = validateConfig(validProdRaw({ veleroAfterKustomization: "infrastructure" }));
        assert.ok(
            !early.ok &&
                early.problems.some(
                    (p) =>
                        p.key === "openbaoKustomization" && /must come after veleroAfterKustomization \(infrastructure\)/.test(p.message),
                ),
        );
        assert.ok(validateConfig(validProdRaw({ veleroAfterKustomization: "infrastructure", openbaoRecovery: "none" })).ok);
    });

    it("pins each recovered cluster's PostgreSQL image and StorageClass: the platform's by default, per database by image=/storageClass=", () => {
        const result = validateConfig(
            validProdRaw({
                cnpgDatabases: [
                    "umami/umami-db store=umami-db",
                    "observability/coroot-db store=coroot-db image=ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie storageClass=hcloud-volumes",
                ],
            }),
        );
        assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.problems));
        if (result.ok) {
            const [umami, coroot] = result.config.restore.cnpgDatabases;
            assert.deepEqual([umami.image, umami.storageClass], ["ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie", "longhorn-wffc"]);
            assert.deepEqual(
                [coroot.image, coroot.storageClass],
                ["ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie", "hcloud-volumes"],
            );
        }
        const floating = validateConfig(validProdRaw({ cnpgDatabases: ["umami/umami-db store=umami-db image=postgres"] }));
        assert.ok(
            !floating.ok &&
                floating.problems.some(
                    (p) =>
                        p.key === "cnpgDatabases[0]" && /has image=postgres; use an image reference with a tag or digest/.test(p.message),
                ),
        );
        const badDefault = validateConfig(validProdRaw({ cnpgImage: "postgresql" }));
        assert.ok(!badDefault.ok && badDefault.problems.some((p) => p.key === "cnpgImage"));
    });

    it("takes a docker config set from a file (Pulumi hands it over parsed, as JSON) and refuses one without auths", async () => {
        const parsed = validateConfig(validProdRaw({ ghcrDockerConfig: { auths: { "ghcr.io": { auth: "eDp5" } } } }, ["ghcrDockerConfig"]));
        assert.ok(parsed.ok, parsed.ok ? "" : JSON.stringify(parsed.problems));
        if (parsed.ok) {
            const text = await (parsed.config.gitops.ghcrDockerConfig as unknown as { promise(): Promise<string> }).promise();
            assert.deepEqual(JSON.parse(text), { auths: { "ghcr.io": { auth: "eDp5" } } });
        }
        const wrong = validateConfig(validProdRaw({ ghcrDockerConfig: { credHelpers: {} } }, ["ghcrDockerConfig"]));
        assert.ok(
            !wrong.ok && wrong.problems.some((p) => p.key === "ghcrDockerConfig" && /auths map/.test(p.message) && p.value === "[secret]"),
        );
    });

    it("takes the age identity file age-keygen writes (comments included), and refuses one with anything else in it", () => {
        const key = "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".repeat(2).slice(0, 58);
        const file = `# created: 2026-11-25T10:00:00Z\n# public key: age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq\n${key}\n`;
        assert.ok(validateConfig(validProdRaw({ sopsAgeKey: file })).ok);
        const mixed = validateConfig(validProdRaw({ sopsAgeKey: `${file}age1publickeyonly\n` }));
        assert.ok(!mixed.ok && mixed.problems.some((p) => p.key === "sopsAgeKey" && p.value === "[secret]"));
    });

    it("in a running cluster recovers no database unless named, and needs no firewall settings", () => {
        const result = validateConfig(
            validProdRaw(
                {
                    clusterMode: "existing",
                    existingClusterKubeconfig: "kind: Config",
                    veleroIncludedNamespaces: ["umami"],
                    cnpgDatabases: undefined,
                    firewallSources: undefined,
                    firewallOpenToWorld: undefined,
                },
                ["existingClusterKubeconfig"],
            ),
        );
        assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.problems));
        if (result.ok) {
            assert.deepEqual(result.config.restore.cnpgDatabases, []);
        }
        const rebuild = validateConfig(validProdRaw({ cnpgDatabases: undefined }));
        assert.ok(rebuild.ok && rebuild.config.restore.cnpgDatabases.map((d) => d.name).join() === "umami-db,coroot-db,wedding-db");
    });

    it("refuses a kubeconfig for an existing cluster while in rebuild mode", () => {
        const result = validateConfig(validProdRaw({ existingClusterKubeconfig: "kind: Config" }, ["existingClusterKubeconfig"]));
        assert.ok(!result.ok && result.problems.some((p) => p.key === "existingClusterKubeconfig" && /clusterMode/.test(p.message)));
    });

    it("never echoes the age key", () => {
        const found = problemsFor({ sopsAgeKey: "age1notaprivatekey" }, "sopsAgeKey");
        assert.equal(found[0].value, "[secret]");
    });
});
