import { strict as assert } from "assert";
import { SimulationResult, simulate } from "../../rehearsal/simulate";
import { find, ofType, simulateOk, waitsFor } from "../support/simulation";
import { FAKE_AGE_KEY, FAKE_HCLOUD_TOKEN, FIXTURE_TALOS_OVERRIDES, offClusterOverrides } from "../support/config";
import { at } from "../support/json";

const CMD = "command:local:Command";

describe("wiring: GitOps bootstrap and restores (simulated cloud)", () => {
    let r: SimulationResult;
    before(async () => {
        r = await simulateOk({
            overrides: offClusterOverrides([{ path: "veleroRepoPassword", value: "kopia-repo-password-1", secret: true }]),
        });
    });
    /** The wait for a Kustomization: GitopsBootstrap's, or KustomizationResume's for the suspended ones. */
    const ks = (name: string) =>
        r.resources.find((x) => x.type === CMD && (x.name === `gitops-ks-${name}-wait` || x.name === `gitops-release-ks-${name}-wait`)) ??
        find(r, CMD, `gitops-ks-${name}-wait`);
    /** The Restore manifest the run-once command creates. */
    const restoreManifest = (x: SimulationResult) =>
        JSON.parse(String(at(find(x, CMD, "velero-restore").rawInputs, "environment.MANIFEST")));

    it("installs Cilium before Flux, and the age key before the FluxInstance", () => {
        const cilium = find(r, "kubernetes:helm.sh/v3:Release", "pre-flux-cilium");
        const operator = find(r, "kubernetes:helm.sh/v3:Release", "gitops-flux-operator");
        const instance = find(r, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance");
        assert.ok(waitsFor(r, operator, cilium) && waitsFor(r, instance, cilium));
        const ccm = ofType(r, "kubernetes:helm.sh/v3:Release").find((x) => at(x.rawInputs, "name") === "hcloud-cloud-controller-manager");
        assert.ok(ccm && waitsFor(r, operator, ccm), "the Flux Operator's pods need the cloud controller to lift the uninitialized taint");
        const waiters = ofType(r, CMD).filter((x) => /-wait$|velero-|openbao-|gitops-(hold|release)/.test(x.name));
        assert.ok(waiters.length > 5);
        for (const w of waiters) {
            assert.match(
                String(at(w.rawInputs, "environment.KUBECONFIG_CONTENT")),
                /server: https:\/\/(\d+\.){3}\d+:6443/,
                `${w.name} must reach the API by IP, not the name the disaster may have left stale`,
            );
        }
        assert.ok(waitsFor(r, instance, find(r, "kubernetes:core/v1:Secret", "gitops-sops-age")));
        assert.deepEqual(at(cilium.rawInputs, "name"), "cilium");
        assert.equal(at(cilium.rawInputs, "namespace"), "kube-system");
        assert.ok(cilium.retainOnDelete && cilium.ignoreChanges.includes("values"));
    });

    it("writes the Kopia password and the R2 credentials before Flux starts Velero", () => {
        const instance = find(r, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance");
        assert.ok(waitsFor(r, instance, find(r, "kubernetes:core/v1:Secret", "velero-repo-credentials")));
        assert.ok(waitsFor(r, instance, find(r, "kubernetes:core/v1:Secret", "backups-velero-velero-r2-credentials")));
    });

    it("waits for the Kustomizations in order", () => {
        assert.ok(waitsFor(r, ks("infrastructure-controllers"), ks("bootstrap")));
        assert.ok(waitsFor(r, ks("infrastructure"), ks("infrastructure-controllers")));
        assert.ok(waitsFor(r, ks("apps"), ks("infrastructure")));
    });

    it("restores with Velero as soon as Velero can restore, with the later Kustomizations suspended until it is done, and OpenBao after Velero", () => {
        const restore = find(r, CMD, "velero-restore");
        const hold = find(r, CMD, "gitops-hold");
        assert.equal(at(hold.rawInputs, "environment.KUSTOMIZATIONS"), "infrastructure apps");
        // Velero's server and node agent run, and its backup location is Available: nothing more.
        const env = (name: string) => find(r, CMD, name).rawInputs.environment as Record<string, string>;
        assert.deepEqual(
            [env("velero-velero-wait").KIND, env("velero-velero-wait").NAMESPACE, env("velero-velero-wait").NAME],
            ["deployments.apps", "velero", "velero"],
        );
        assert.deepEqual([env("velero-node-agent-wait").KIND, env("velero-node-agent-wait").NAME], ["daemonsets.apps", "node-agent"]);
        assert.equal(env("velero-velero-wait").TIMEOUT_SECONDS, String(28 * 60), "bootstrap (3m) and infrastructure-controllers (25m)");
        const bsl = find(r, CMD, "velero-bsl-wait");
        for (const w of ["velero-velero-wait", "velero-node-agent-wait"]) {
            assert.ok(waitsFor(r, bsl, find(r, CMD, w)), `the backup location is read once ${w} is done`);
            assert.ok(waitsFor(r, find(r, CMD, w), find(r, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance")));
        }
        assert.ok(waitsFor(r, restore, bsl));
        // Not after the Kustomization that installs Velero: on the platform it holds Dex, which needs
        // a Secret only this restore brings back (OpenBao comes later). Waiting for it would deadlock.
        assert.ok(!waitsFor(r, restore, ks("infrastructure-controllers")), "the restore must not wait for infrastructure-controllers");
        assert.ok(!waitsFor(r, restore, ks("bootstrap")), "nor for any Kustomization");
        assert.ok(waitsFor(r, restore, hold), "the later Kustomizations are suspended before the restore");
        assert.ok(
            !waitsFor(r, hold, find(r, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance")),
            "the hold runs beside the FluxInstance's wait, not after it",
        );
        const resume = find(r, CMD, "gitops-release-resume");
        assert.equal(at(resume.rawInputs, "environment.KUSTOMIZATIONS"), "infrastructure apps");
        assert.ok(waitsFor(r, resume, find(r, CMD, "velero-restore")), "nothing suspended resumes before the restore is done");
        assert.ok(waitsFor(r, ks("infrastructure"), resume) && waitsFor(r, ks("apps"), ks("infrastructure")));
        assert.ok(!waitsFor(r, restore, ks("infrastructure")) && !waitsFor(r, restore, ks("apps")));
        const openbao = find(r, CMD, "openbao-vault-config");
        assert.ok(waitsFor(r, openbao, find(r, CMD, "velero-restore")));
        assert.ok(waitsFor(r, openbao, resume), "the vault-config Job runs in infrastructure, resumed after the restore");
        assert.ok(
            !waitsFor(r, openbao, ks("infrastructure")),
            "watched from its creation: the Job is gone 10 minutes after it finishes, maybe before infrastructure is Ready",
        );
        assert.equal(restoreManifest(r).metadata.name, "restore-velero-daily-full-20261123021700", "the newest Completed backup");
        const excluded: string[] = restoreManifest(r).spec.excludedResources;
        for (const kind of [
            "kustomizations.kustomize.toolkit.fluxcd.io",
            "helmreleases.helm.toolkit.fluxcd.io",
            "ocirepositories.source.toolkit.fluxcd.io",
        ]) {
            assert.ok(excluded.includes(kind), `${kind} from the backup would reconcile at once, past the hold`);
        }
        assert.ok(excluded.includes("clusters.postgresql.cnpg.io"), "the databases come back from their archives");
        assert.ok(excluded.includes("jobs.batch"), "a Job caught mid-run by the backup would run again, past the hold");
        assert.deepEqual(
            restoreManifest(r).spec.labelSelector,
            {
                matchExpressions: [
                    { key: "cnpg.io/pvcRole", operator: "DoesNotExist" },
                    { key: "cnpg.io/podRole", operator: "DoesNotExist" },
                ],
            },
            "no old instance volume or pod comes back to collide with them (their Secrets do: the credentials stay)",
        );
        // @pulumi/command re-runs create on any input change: nothing may re-run these.
        for (const once of [restore, hold, resume, find(r, CMD, "velero-latest-backup"), openbao]) {
            assert.deepEqual(once.ignoreChanges, ["create", "interpreter", "logging", "environment"], `${once.name} must never run twice`);
        }
    });

    it("recovers CNPG clusters after the operator's Kustomization and the R2 credentials, protected and retained", () => {
        for (const db of ["umami-umami-db", "observability-coroot-db", "wedding-app-wedding-db"]) {
            const cluster = find(r, "kubernetes:postgresql.cnpg.io/v1:Cluster", `cnpg-${db}-cluster`);
            assert.ok(waitsFor(r, cluster, ks("infrastructure-controllers")));
            assert.ok(waitsFor(r, cluster, find(r, "kubernetes:core/v1:Secret", `backups-${db}-r2-credentials`)));
            assert.ok(cluster.protect && cluster.retainOnDelete);
            assert.equal(
                (at(cluster.rawInputs, "metadata.annotations") as Record<string, unknown>)["pulumi.com/waitFor"],
                "condition=Ready",
            );
        }
    });

    it("nothing in the restore path waits on GitHub or DNS", () => {
        const outside = r.resources.filter(
            (x) => x.type.startsWith("github:") || x.type.startsWith("cloudflare:index/dnsRecord") || x.name.startsWith("dns-"),
        );
        assert.ok(outside.length > 0);
        const restorePath = [
            find(r, CMD, "velero-restore"),
            find(r, CMD, "openbao-vault-config"),
            ...ofType(r, "kubernetes:postgresql.cnpg.io/v1:Cluster"),
        ];
        for (const step of restorePath) {
            for (const o of outside) {
                assert.ok(!waitsFor(r, step, o), `${step.name} waits on ${o.name}`);
            }
        }
    });

    it("restore names are identical across two runs", async () => {
        const again = await simulateOk({
            overrides: offClusterOverrides([{ path: "veleroRepoPassword", value: "kopia-repo-password-1", secret: true }]),
        });
        const names = (x: SimulationResult) =>
            x.resources.filter((y) => /Cluster|ObjectStore/.test(y.type)).map((y) => JSON.stringify(y.rawInputs));
        assert.deepEqual(names(again), names(r));
        assert.deepEqual(restoreManifest(again), restoreManifest(r));
    });

    it("lists the GHCR pull secret in the rehearsal, and a real run without it warns (the platform's GHCR pulls need it)", async () => {
        assert.ok(r.placeholders.some((p) => p.key === "ghcrDockerConfig" && /bootstrap Kustomization fails/.test(p.withoutIt ?? "")));
        const real = await simulateOk({
            overrides: [
                ...offClusterOverrides([{ path: "veleroRepoPassword", value: "kopia-repo-password-1", secret: true }]),
                { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true },
                { path: "sopsAgeKey", value: FAKE_AGE_KEY, secret: true },
                ...FIXTURE_TALOS_OVERRIDES,
            ],
            placeholders: false,
        });
        assert.ok(
            real.messages.some((m) =>
                /ghcrDockerConfig is not set: Flux pulls oci:\/\/ghcr\.io\/devantler-tech\/platform\/manifests anonymously/.test(m),
            ),
            real.messages.join("\n"),
        );
        assert.equal(ofType(real, "kubernetes:core/v1:Secret").filter((x) => x.name === "gitops-ghcr-auth").length, 0);
        const withIt = await simulateOk({
            overrides: [
                ...offClusterOverrides([{ path: "veleroRepoPassword", value: "kopia-repo-password-1", secret: true }]),
                { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true },
                { path: "sopsAgeKey", value: FAKE_AGE_KEY, secret: true },
                { path: "ghcrDockerConfig", value: '{"auths":{"ghcr.io":{"auth":"eDp5"}}}', secret: true },
                ...FIXTURE_TALOS_OVERRIDES,
            ],
            placeholders: false,
        });
        assert.ok(!withIt.messages.some((m) => /ghcrDockerConfig/.test(m)));
        assert.ok(
            waitsFor(
                withIt,
                find(withIt, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance"),
                find(withIt, "kubernetes:core/v1:Secret", "gitops-ghcr-auth"),
            ),
        );
    });

    it("warns loudly when the Kopia password is not configured", async () => {
        const without = await simulateOk({ overrides: offClusterOverrides() });
        assert.ok(without.messages.some((m) => /veleroRepoPassword is NOT set/.test(m)));
    });

    describe("how the Velero restore ended", () => {
        const NEWEST = "velero-daily-full-20261123021700";
        const backupsWith = (restoreOutcome: { phase: string; errors?: number; warnings?: number }) => ({
            veleroBackups: [
                { name: "velero-daily-full-20261122021700", phase: "Completed", completionTimestamp: "2026-11-22T02:31:12Z" },
                { name: NEWEST, phase: "Completed", completionTimestamp: "2026-11-23T02:29:48Z", restoreOutcome },
            ],
        });
        const password = offClusterOverrides([{ path: "veleroRepoPassword", value: "kopia-repo-password-1", secret: true }]);

        it("a clean restore is a stack output and no warning", () => {
            assert.deepEqual(r.outputs.restoreOutcome, { restore: `restore-${NEWEST}`, phase: "Completed", errors: 0, warnings: 0 });
            assert.ok(!r.messages.some((m) => /Velero restore/.test(m)), r.messages.join("\n"));
        });

        it("an accepted PartiallyFailed is reported: a warning with the counts and the commands, and the output", async () => {
            const partial = await simulateOk({
                overrides: password,
                cloud: backupsWith({ phase: "PartiallyFailed", errors: 2, warnings: 41 }),
            });
            assert.deepEqual(partial.outputs.restoreOutcome, {
                restore: `restore-${NEWEST}`,
                phase: "PartiallyFailed",
                errors: 2,
                warnings: 41,
            });
            const warning = partial.messages.find((m) =>
                /Velero restore restore-velero-daily-full-20261123021700 ended PartiallyFailed/.test(m),
            );
            assert.ok(warning, partial.messages.join("\n"));
            assert.match(
                warning!,
                /2 error\(s\) and 41 warning\(s\).*velero restore describe restore-velero-daily-full-20261123021700 --details/,
            );
        });

        it("PartiallyFailed fails the update, with the restore's counts, when veleroAllowPartiallyFailed is false", async () => {
            const strict = await simulate({
                overrides: [...password, { path: "veleroAllowPartiallyFailed", value: "false", secret: false }],
                cloud: backupsWith({ phase: "PartiallyFailed", errors: 2, warnings: 41 }),
            });
            assert.ok(
                strict.errors.some((e) => /restore-velero-daily-full-20261123021700 ended PartiallyFailed: errors=2 warnings=41/.test(e)),
                strict.errors.join("\n"),
            );
        });

        it("a Failed restore fails the update whatever the config allows", async () => {
            const failed = await simulate({ overrides: password, cloud: backupsWith({ phase: "Failed", errors: 1 }) });
            assert.ok(
                failed.errors.some((e) => /ended Failed/.test(e)),
                failed.errors.join("\n"),
            );
        });
    });

    it("Scenario 5: an existing cluster gets only the restores", async () => {
        const s5 = await simulateOk({
            overrides: offClusterOverrides([
                { path: "clusterMode", value: "existing", secret: false },
                { path: "existingClusterKubeconfig", value: "apiVersion: v1\nkind: Config\nclusters: []\n", secret: true },
                { path: "veleroIncludedNamespaces[0]", value: "umami", secret: false },
                {
                    path: "cnpgDatabases",
                    value: '["umami/umami-db store=umami-db instances=3 targetTime=2026-11-23T02:00:00Z"]',
                    secret: false,
                },
            ]),
        });
        assert.equal(ofType(s5, "hcloud:index/server:Server").length, 0);
        assert.equal(ofType(s5, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").length, 0);
        assert.equal(ofType(s5, "kubernetes:helm.sh/v3:Release").length, 0);
        assert.deepEqual(restoreManifest(s5).spec.includedNamespaces, ["umami"]);
        assert.match(
            restoreManifest(s5).metadata.name,
            /^restore-velero-daily-full-20261123021700-prod-[0-9a-f]{6}$/,
            "named after the stack too in a running cluster",
        );
        assert.equal(ofType(s5, "kubernetes:core/v1:Namespace").length, 0, "a running cluster's namespaces are never created nor owned");
        assert.deepEqual(
            ofType(s5, "kubernetes:core/v1:Secret").map(
                (x) => `${at(x.rawInputs, "metadata.namespace")}/${at(x.rawInputs, "metadata.name")}`,
            ),
            ["umami/umami-db-r2-credentials-restore"],
            "only the recovered database's credentials, beside the cluster's own",
        );
        assert.equal(
            ofType(s5, CMD).filter((c) => /gitops-(hold|release)/.test(c.name)).length,
            0,
            "nothing is suspended in a running cluster",
        );
        const cluster = find(s5, "kubernetes:postgresql.cnpg.io/v1:Cluster", "cnpg-umami-umami-db-cluster");
        assert.equal(at(cluster.rawInputs, "spec.bootstrap.recovery.recoveryTarget.targetTime"), "2026-11-23T02:00:00Z");
        // Beside the running umami-db, never over it; Flux kept off; Pulumi waits for Ready.
        assert.equal(at(cluster.rawInputs, "metadata.name"), "umami-db-restored");
        assert.equal(
            (at(cluster.rawInputs, "metadata.annotations") as Record<string, unknown>)["kustomize.toolkit.fluxcd.io/reconcile"],
            "disabled",
        );
        assert.equal((at(cluster.rawInputs, "metadata.annotations") as Record<string, unknown>)["pulumi.com/waitFor"], "condition=Ready");
        assert.equal(s5.outputs.mode, "restore-into-existing-cluster");
    });
});
