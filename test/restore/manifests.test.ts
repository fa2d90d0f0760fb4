import { strict as assert } from "assert";
import Ajv from "ajv";
import { parse as parseYaml } from "yaml";
import { validateConfig } from "../../config";
import { DatabaseRecovery } from "../../config/gitops";
import { fluxInstance } from "../../components/gitops/values";
import {
    objectStore,
    recoveredCluster,
    recoveredServerName,
    recoveryStoreName,
    restoreName,
    storageClassConfigMap,
    veleroRestore,
} from "../../components/restore/manifests";
import { validProdRaw } from "../support/config";
import { CNPG_CLUSTER_SPEC, FLUX_INSTANCE_SPEC, OBJECT_STORE_SPEC, OCI_VERIFY_SPEC, RESTORE_SPEC } from "./fixtures/schemas";

const ajv = new Ajv({ allErrors: true, strict: false });
function valid(schema: object, spec: unknown): void {
    const check = ajv.compile(schema);
    assert.ok(check(spec), ajv.errorsText(check.errors));
}

const umami: DatabaseRecovery = {
    namespace: "umami",
    name: "umami-db",
    recoverAs: "umami-db",
    objectStore: "umami-db",
    instances: 3,
    size: "10Gi",
    image: "ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie",
    storageClass: "longhorn-wffc",
    targetTime: "2026-11-23T02:00:00Z",
};

describe("restore: manifests", () => {
    it("emits a Velero Restore valid for its CRD, named after the backup", () => {
        const r = veleroRestore({
            backup: "daily-full-20261123021700",
            includedNamespaces: ["*"],
            excludedNamespaces: ["kube-system", "velero"],
            excludedResources: ["clusters.postgresql.cnpg.io"],
        });
        valid(RESTORE_SPEC, r.spec);
        assert.equal(r.metadata.name, "restore-daily-full-20261123021700");
        assert.deepEqual(r.spec.excludedNamespaces, ["kube-system", "velero"]);
        assert.ok(restoreName("x".repeat(80)).length <= 63);
        assert.ok(!restoreName(`${"x".repeat(61)}-y`).endsWith("-"), "cut to a valid name, never ending in a dash");
    });

    it("leaves objects with a given label out of the restore, as a selector the CRD accepts", () => {
        const r = veleroRestore({
            backup: "b",
            includedNamespaces: ["*"],
            excludedNamespaces: [],
            excludedResources: [],
            excludedLabels: ["cnpg.io/pvcRole", "cnpg.io/podRole"],
        });
        valid(RESTORE_SPEC, r.spec);
        assert.deepEqual(r.spec.labelSelector, {
            matchExpressions: [
                { key: "cnpg.io/pvcRole", operator: "DoesNotExist" },
                { key: "cnpg.io/podRole", operator: "DoesNotExist" },
            ],
        });
        assert.equal(
            veleroRestore({ backup: "b", includedNamespaces: ["*"], excludedNamespaces: [], excludedResources: [] }).spec.labelSelector,
            undefined,
        );
    });

    it("names a restore into a running cluster after the stack too, so it never meets that cluster's own restore of the backup", () => {
        assert.match(
            restoreName("daily-full-20261123021700", "restore-example"),
            /^restore-daily-full-20261123021700-restore-example-[0-9a-f]{6}$/,
        );
        assert.match(
            restoreName("daily-1", "Umami_DB.restore"),
            /^restore-daily-1-umami-db-restore-[0-9a-f]{6}$/,
            "a stack name made a valid object name",
        );
        // Long or differently spelled stack names never meet: the whole name is hashed in.
        const names = ["restore-umami-2026-11-23", "restore-umami-2026-11-24", "Prod.A", "prod_a"].map((stack) =>
            restoreName("velero-daily-full-20261123021700", stack),
        );
        assert.equal(new Set(names).size, 4);
        for (const n of names) {
            assert.ok(n.length <= 63 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(n), n);
        }
        const r = veleroRestore({
            backup: "daily-full-20261123021700",
            includedNamespaces: ["umami"],
            excludedNamespaces: [],
            excludedResources: [],
            scope: "restore-example",
        });
        assert.equal(r.metadata.name, restoreName("daily-full-20261123021700", "restore-example"));
        assert.equal(r.spec.backupName, "daily-full-20261123021700");
    });

    it("the fixture schema catches a field the CRD would prune", () => {
        const check = ajv.compile(RESTORE_SPEC);
        assert.equal(check({ backupName: "b", includeNamespaces: ["umami"] }), false);
    });

    it("emits a CNPG recovery Cluster valid for its CRD, archiving under a new server name", () => {
        const c = recoveredCluster(umami, 2);
        valid(CNPG_CLUSTER_SPEC, c.spec);
        assert.deepEqual(c.spec.bootstrap.recovery, { source: "origin", recoveryTarget: { targetTime: "2026-11-23T02:00:00Z" } });
        assert.equal(c.spec.externalClusters[0].plugin.parameters.serverName, "umami-db");
        assert.equal(c.spec.plugins[0].parameters.serverName, "umami-db-r2");
        assert.equal(c.spec.plugins[0].isWALArchiver, true);
        assert.equal(
            c.spec.imageName,
            "ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie",
            "the archive's PostgreSQL major, not the operator's default",
        );
        assert.deepEqual(c.spec.storage, { size: "10Gi", storageClass: "longhorn-wffc" });
        assert.equal(recoveredServerName(umami, 1), "umami-db-r1");
        assert.equal(recoveredCluster({ ...umami, targetTime: undefined }, 1).spec.bootstrap.recovery.recoveryTarget, undefined);
    });

    it("keeps Flux off the recovered Cluster until it is handed over", () => {
        assert.equal(recoveredCluster(umami, 1).metadata.annotations["kustomize.toolkit.fluxcd.io/reconcile"], "disabled");
    });

    it("reads and archives through the program's own ObjectStore, never the one Flux declares", () => {
        const c = recoveredCluster(umami, 2);
        assert.equal(recoveryStoreName(umami), "umami-db-recovery");
        assert.equal(c.spec.externalClusters[0].plugin.parameters.barmanObjectName, "umami-db-recovery");
        assert.equal(c.spec.plugins[0].parameters.barmanObjectName, "umami-db-recovery");
        assert.equal(objectStore(umami, "b", "https://e", "s").metadata.name, "umami-db-recovery");
    });

    it("recovers beside a running cluster under its own name (Scenario 5), from the old server's archive", () => {
        const beside = { ...umami, recoverAs: "umami-db-restored" };
        const c = recoveredCluster(beside, 2);
        assert.equal(c.metadata.name, "umami-db-restored");
        assert.equal(c.spec.externalClusters[0].plugin.parameters.serverName, "umami-db");
        assert.equal(c.spec.plugins[0].parameters.serverName, "umami-db-restored-r2");
        assert.equal(objectStore(beside, "b", "https://e", "s").metadata.name, "umami-db-restored-recovery");
    });

    it("emits an ObjectStore valid for its CRD, on the platform store's cnpg/<store> path", () => {
        const o = objectStore(umami, "platform-backups", "https://acct.r2.cloudflarestorage.com", "umami-db-r2-credentials");
        valid(OBJECT_STORE_SPEC, o.spec);
        assert.equal(o.spec.configuration.destinationPath, "s3://platform-backups/cnpg/umami-db");
        assert.equal(
            objectStore({ ...umami, objectStore: "umami-archive" }, "b", "https://e", "s").spec.configuration.destinationPath,
            "s3://b/cnpg/umami-archive",
        );
    });

    it("emits a FluxInstance valid for its CRD with the platform's source", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        if (result.ok) {
            const f = fluxInstance(result.config.gitops, "ghcr-auth");
            valid(FLUX_INSTANCE_SPEC, f.spec);
            assert.deepEqual(f.spec.sync, {
                kind: "OCIRepository",
                url: "oci://ghcr.io/devantler-tech/platform/manifests",
                ref: "latest",
                path: "clusters/prod",
                pullSecret: "ghcr-auth",
            });
        }
    });

    it("verifies the platform's OCI artifact with cosign keyless through a patch of the generated OCIRepository", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        if (result.ok) {
            const f = fluxInstance(result.config.gitops, undefined);
            valid(FLUX_INSTANCE_SPEC, f.spec);
            const patch = f.spec.kustomize.patches[f.spec.kustomize.patches.length - 1];
            assert.deepEqual(patch.target, { kind: "OCIRepository", name: "flux-system", namespace: "flux-system" });
            const ops = parseYaml(patch.patch);
            assert.equal(ops.length, 1);
            assert.equal(ops[0].op, "add");
            assert.equal(ops[0].path, "/spec/verify");
            valid(OCI_VERIFY_SPEC, ops[0].value);
            const [identity] = ops[0].value.matchOIDCIdentity;
            assert.ok(new RegExp(identity.issuer).test("https://token.actions.githubusercontent.com"));
            assert.ok(!new RegExp(identity.issuer).test("https://token.actions.githubusercontent.com.evil.example"));
            // The platform's own trusted signers: ci.yaml on the merge queue, cd.yaml and dr-rebuild.yaml on main.
            for (const signer of [
                "ci.yaml@refs/heads/gh-readonly-queue/main/pr-12-abc",
                "cd.yaml@refs/heads/main",
                "dr-rebuild.yaml@refs/heads/main",
            ]) {
                assert.ok(
                    new RegExp(identity.subject).test(`https://github.com/devantler-tech/platform/.github/workflows/${signer}`),
                    signer,
                );
            }
            assert.ok(
                !new RegExp(identity.subject).test(
                    "https://github.com/devantler-tech/platform/.github/workflows/release.yaml@refs/heads/feature",
                ),
            );
            assert.ok(
                !new RegExp(identity.subject).test(
                    "https://github.com/someone-else/platform/.github/workflows/release.yaml@refs/heads/main",
                ),
            );
        }
    });

    it("leaves verification out only when config says none, and refuses it for a Git source", () => {
        const none = validateConfig(validProdRaw({ fluxSourceVerify: "none" }));
        assert.ok(none.ok);
        const patches = none.ok ? fluxInstance(none.config.gitops, undefined).spec.kustomize.patches : [];
        assert.ok(patches.length > 0 && patches.every((p) => p.target.kind === "Deployment"), "only the controller patches remain");
        const git = validateConfig(
            validProdRaw({
                fluxSourceKind: "GitRepository",
                fluxSourceUrl: "https://github.com/devantler-tech/platform",
                fluxSourceVerify: "cosign-keyless",
            }),
        );
        assert.ok(!git.ok && git.problems.some((p) => p.key === "fluxSourceVerify" && /OCIRepository sources only/.test(p.message)));
        const gitDefault = validateConfig(
            validProdRaw({ fluxSourceKind: "GitRepository", fluxSourceUrl: "https://github.com/devantler-tech/platform" }),
        );
        assert.ok(gitDefault.ok && gitDefault.config.gitops.source.verify === undefined);
        const badRegex = validateConfig(validProdRaw({ fluxSourceVerifySubject: "^https://github.com/(unclosed" }));
        assert.ok(
            !badRegex.ok && badRegex.problems.some((p) => p.key === "fluxSourceVerifySubject" && /regular expression/.test(p.message)),
        );
    });

    it("labels the storage-class mapping for Velero's plugin", () => {
        const cm = storageClassConfigMap({ longhorn: "hcloud" });
        assert.equal(cm.metadata.labels["velero.io/change-storage-class"], "RestoreItemAction");
        assert.deepEqual(cm.data, { longhorn: "hcloud" });
    });
});
