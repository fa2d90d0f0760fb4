import { strict as assert } from "assert";
import { createHash } from "crypto";
import { SimulationResult, simulate } from "../../rehearsal/simulate";
import { ENVIRONMENT_PROTECTION_INPUTS } from "../../components/ci/githubCiCredentials";
import { HANDED_OVER_SECRET_OPTIONS } from "../../components/kubernetes/fluxAdoptedRelease";
import { find, ofType, simulateOk, waitsFor } from "../support/simulation";
import {
    ACCOUNT,
    CF_TOKEN,
    FAKE_AGE_KEY,
    FAKE_HCLOUD_TOKEN,
    FIXTURE_TALOS_OVERRIDES,
    GH_TOKEN,
    offClusterOverrides,
} from "../support/config";

const BUCKET = "cloudflare:index/r2Bucket:R2Bucket";
const TOKEN = "cloudflare:index/apiToken:ApiToken";
const RECORD = "cloudflare:index/dnsRecord:DnsRecord";
const SECRET = "kubernetes:core/v1:Secret";
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const ENV_SECRET = "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret";

describe("wiring: off-cluster artifacts (simulated cloud)", () => {
    let r: SimulationResult;
    before(async () => {
        r = await simulateOk({ overrides: offClusterOverrides() });
    });

    it("adopts the surviving bucket, protected and retained, and never creates or deletes one", () => {
        const buckets = ofType(r, BUCKET);
        assert.equal(buckets.length, 1);
        const [bucket] = buckets;
        assert.equal(bucket.import, `${ACCOUNT}/platform-backups/default`);
        assert.equal(bucket.protect, true);
        assert.equal(bucket.retainOnDelete, true);
        assert.deepEqual(Object.keys(bucket.rawInputs).sort(), ["accountId", "jurisdiction", "name"]);
    });

    it("creates the bucket only when config says this is a first install, still undeletable", async () => {
        const first = await simulateOk({ overrides: offClusterOverrides([{ path: "r2CreateBucket", value: "true", secret: false }]) });
        const bucket = ofType(first, BUCKET)[0];
        assert.equal(bucket.import, null);
        assert.ok(bucket.protect && bucket.retainOnDelete);
    });

    it("scopes the token to exactly one bucket, object read and write only", () => {
        const token = ofType(r, TOKEN)[0];
        const [policy, ...others] = token.rawInputs.policies as { effect: string; resources: string; permissionGroups: { id: string }[] }[];
        assert.equal(others.length, 0);
        assert.equal(policy.effect, "allow");
        assert.deepEqual(JSON.parse(policy.resources), { [`com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_platform-backups`]: "*" });
        assert.deepEqual(policy.permissionGroups.map((g) => g.id).sort(), [
            "2efd5506f9c8494dacb1fa10a3e7d5b6",
            "6a018a9f2fc74eb6b293b0c548f38b39",
        ]);
    });

    it("delivers the credentials in each consumer's shape, as secrets", () => {
        const velero = find(r, SECRET, "backups-velero-velero-r2-credentials");
        const token = ofType(r, TOKEN)[0];
        const data = velero.rawInputs.stringData as Record<string, string>;
        assert.match(data.cloud, new RegExp(`^\\[default\\]\\naws_access_key_id=${token.id}\\naws_secret_access_key=[0-9a-f]{64}\\n$`));
        assert.equal(velero.inputs.stringData, "[secret]");
        const cnpg = find(r, SECRET, "backups-umami-umami-db-r2-credentials").rawInputs.stringData as Record<string, string>;
        assert.deepEqual(Object.keys(cnpg).sort(), ["ACCESS_KEY_ID", "REGION", "SECRET_ACCESS_KEY"]);
        assert.equal(cnpg.REGION, "auto");
        assert.ok(waitsFor(r, velero, token), "the Secret must wait for the token");
        assert.ok(
            waitsFor(r, velero, find(r, "kubernetes:core/v1:Namespace", "namespaces-velero")),
            "the Secret must wait for its namespace",
        );
    });

    it("one owner per credential Secret: the program's own are kept from Flux, the tree's are handed over and the hand-over checked", () => {
        const secrets = ofType(r, SECRET).filter((x) => x.parent?.endsWith("R2BackupStorage::backups"));
        assert.equal(secrets.length, 5);
        const handedOver = ["backups-openbao-vault-snapshot-r2", "backups-velero-velero-r2-credentials"];
        for (const secret of secrets) {
            const metadata = secret.rawInputs.metadata as { labels: Record<string, string>; annotations?: Record<string, string> };
            assert.equal(metadata.labels["app.kubernetes.io/managed-by"], "platform-dr");
            if (handedOver.includes(secret.name)) {
                // The platform's ExternalSecret (OpenBao infrastructure/backup/r2) owns it once OpenBao is back.
                assert.deepEqual(metadata.annotations, {}, secret.name);
                assert.deepEqual([...secret.ignoreChanges].sort(), [...HANDED_OVER_SECRET_OPTIONS.ignoreChanges!].sort(), secret.name);
                assert.equal(secret.retainOnDelete, true, secret.name);
            } else {
                assert.equal(metadata.annotations?.["kustomize.toolkit.fluxcd.io/reconcile"], "disabled", secret.name);
                assert.deepEqual(secret.ignoreChanges, [], `${secret.name} follows every rotation`);
            }
        }
        const snapshot = find(r, SECRET, "backups-openbao-vault-snapshot-r2").rawInputs.stringData as Record<string, string>;
        assert.deepEqual(Object.keys(snapshot).sort(), ["access_key_id", "secret_access_key"], "the files the vault-config Job reads");
        // The hand-over is checked after the last Kustomization: the tree's ExternalSecret of that name is Ready.
        const apps = find(r, "command:local:Command", "gitops-release-ks-apps-wait");
        for (const [ns, name] of [
            ["velero", "velero-r2-credentials"],
            ["openbao", "vault-snapshot-r2"],
        ]) {
            const wait = find(r, "command:local:Command", `secret-handover-${ns}-${name}-wait`);
            const env = wait.rawInputs.environment as Record<string, string>;
            assert.deepEqual([env.KIND, env.NAMESPACE, env.NAME], ["externalsecrets.external-secrets.io", ns, name]);
            assert.ok(waitsFor(r, wait, apps), `${name}: checked once the tree has applied its ExternalSecret`);
        }
    });

    it("rotation is create-before-delete: a new generation is a new token, the Secrets follow it", async () => {
        // What the mocks can show is the registration graph the engine plans from; the engine's own
        // ordering is not simulated. The engine creates a resource whose URN is new, updates what
        // depends on it, and deletes a resource the program no longer registers only after every
        // create and update of the run. So: a new URN (not a replacement of the old token, where
        // deleteBeforeReplace could delete first), the Secrets updated in place with the new
        // token's values and depending on it, and nothing registered that depends on the old one.
        const rotated = await simulateOk({ overrides: offClusterOverrides([{ path: "r2TokenGeneration", value: "2", secret: false }]) });
        const [oldToken, newToken] = [ofType(r, TOKEN)[0], ofType(rotated, TOKEN)[0]];
        assert.equal(ofType(rotated, TOKEN).length, 1);
        assert.notEqual(oldToken.urn, newToken.urn, "a new generation must be a new resource, not a replacement of the old one");
        assert.notEqual(oldToken.rawInputs.name, newToken.rawInputs.name, "a new token at Cloudflare, beside the old one");
        assert.ok(
            !rotated.resources.some((x) => x.urn === oldToken.urn),
            "the old token is deleted only as a leftover, after the run's updates",
        );
        assert.ok(
            !rotated.resources.some((x) => x.dependencies.includes(oldToken.urn)),
            "nothing may tie the old token's deletion to a step of this run",
        );
        assert.equal(oldToken.deleteBeforeReplace, false);
        assert.equal(newToken.deleteBeforeReplace, false);
        assert.notEqual(newToken.id, oldToken.id);
        const accessKey = String(newToken.id);
        const secretKey = createHash("sha256").update(String(newToken.outputs.value)).digest("hex");
        const before = ofType(r, SECRET).filter((x) => x.parent?.endsWith("R2BackupStorage::backups"));
        assert.equal(before.length, 5);
        for (const old of before) {
            const secret = find(rotated, SECRET, old.name);
            // Same URN and metadata: an update in place, never a delete and re-create of the Secret.
            assert.equal(secret.urn, old.urn);
            assert.deepEqual(secret.rawInputs.metadata, old.rawInputs.metadata);
            assert.equal(secret.deleteBeforeReplace, false);
            assert.ok(secret.dependencies.includes(newToken.urn), `${secret.name} must wait for the new token`);
            const data = Object.values(secret.rawInputs.stringData as Record<string, string>).join("\n");
            const oldData = Object.values(old.rawInputs.stringData as Record<string, string>).join("\n");
            assert.ok(data.includes(accessKey) && data.includes(secretKey), `${secret.name} must carry the new token's credentials`);
            assert.ok(!data.includes(String(oldToken.id)) && data !== oldData, `${secret.name} still carries the old credentials`);
            // A handed-over Secret is the tree's (checked Ready before the first run ended): the engine
            // does not write the new inputs there, and nothing there still uses the old token.
            assert.equal(
                secret.ignoreChanges.includes("stringData"),
                /vault-snapshot-r2|velero-r2-credentials/.test(secret.name),
                secret.name,
            );
        }
    });

    it("points api.<domain> at the endpoint, with full names and a TTL, and removes stale records first", () => {
        const api = find(r, RECORD, "dns-api");
        assert.deepEqual(
            [api.rawInputs.name, api.rawInputs.type, api.rawInputs.content, api.rawInputs.ttl],
            ["api.platform.devantler.tech", "A", r.outputs.apiEndpointIp, 60],
        );
        const cleanup = find(r, "command:local:Command", "dns-api-stale");
        assert.ok(api.dependencies.includes(cleanup.urn));
        // Every input is ignored: a re-run (create runs again on any change) would delete the
        // record the program now owns.
        for (const input of Object.keys(cleanup.rawInputs)) {
            assert.ok(cleanup.ignoreChanges?.includes(input), `a change of ${input} would re-run the stale-record removal`);
        }
        assert.equal(r.outputs.apiUrl, "https://api.platform.devantler.tech:6443");
    });

    it("converges with stale records present: exactly one A record per name, at the new address", () => {
        const apiRecords = r.cloud.dnsRecords.filter((x) => x.name === "api.platform.devantler.tech" && x.type === "A");
        assert.deepEqual(
            apiRecords.map((x) => x.content),
            [r.outputs.apiEndpointIp],
        );
        // Gateway records stay external-dns's by default, and its TXT ownership records are untouched.
        assert.equal(r.cloud.dnsRecords.filter((x) => x.name === "platform.devantler.tech").length, 1);
        assert.equal(r.cloud.dnsRecords.filter((x) => x.type === "TXT").length, 1);
    });

    it("owns the gateway records when configured, at the gateway Service's IP, without duplicates", async () => {
        const owned = await simulateOk({ overrides: offClusterOverrides([{ path: "gatewayDnsOwner", value: "program", secret: false }]) });
        const apex = find(owned, RECORD, "dns-apex");
        const ip = String(apex.rawInputs.content);
        assert.match(ip, /^198\.51\.100\./, "the gateway Service's load-balancer IP");
        assert.equal(find(owned, RECORD, "dns-wildcard").rawInputs.content, ip);
        // The address is read only after the waiter saw it, which starts after Flux converged.
        const wait = find(owned, "command:local:Command", "dns-gateway-ip-wait");
        assert.equal(
            wait.rawInputs.environment && (wait.rawInputs.environment as Record<string, string>).JSONPATH,
            "{.status.loadBalancer.ingress[0].ip}",
        );
        assert.equal((wait.inputs.environment as Record<string, string>).KUBECONFIG_CONTENT, "[secret]");
        const service = find(owned, "kubernetes:core/v1:Service", "dns-gateway-service");
        assert.equal(service.read, true, "the gateway Service is Flux's: read, never created or deleted");
        assert.equal(service.id, "kube-system/cilium-gateway-platform");
        assert.ok(waitsFor(owned, service, wait));
        assert.ok(waitsFor(owned, wait, find(owned, "command:local:Command", "gitops-release-ks-apps-wait")));
        for (const name of ["platform.devantler.tech", "*.platform.devantler.tech"]) {
            const records = owned.cloud.dnsRecords.filter((x) => x.name === name && x.type === "A");
            assert.deepEqual(
                records.map((x) => x.content),
                [ip],
                name,
            );
        }
    });

    it("a second run, against the cloud the first one left, registers identical inputs (no-op drift check)", async () => {
        const overrides = offClusterOverrides([{ path: "gatewayDnsOwner", value: "program", secret: false }]);
        const first = await simulateOk({ overrides });
        // Nothing the program registers depends on which records exist: the stale ones are gone now.
        const second = await simulateOk({ overrides, cloud: first.cloud });
        assert.ok(!first.cloud.dnsRecords.some((x) => x.content.startsWith("192.0.2.")), "the second run starts without the stale records");
        const shape = (x: SimulationResult) =>
            x.resources
                .map((res) => ({
                    urn: res.urn,
                    inputs: res.rawInputs,
                    deps: [...res.dependencies].sort(),
                    import: res.import,
                    ignore: res.ignoreChanges,
                }))
                .sort((a, b) => a.urn.localeCompare(b.urn));
        assert.deepEqual(shape(second), shape(first));
    });

    it("a preview (unknown outputs everywhere) registers the same off-cluster resources without failing", async () => {
        const overrides = offClusterOverrides([{ path: "gatewayDnsOwner", value: "program", secret: false }]);
        const [up, preview] = [await simulateOk({ overrides }), await simulateOk({ overrides, preview: true })];
        const urns = (x: SimulationResult) => x.resources.map((res) => res.urn).sort();
        assert.deepEqual(urns(preview), urns(up));
    });

    it("sets KUBE_CONFIG and TALOS_CONFIG on the environment from the new cluster, as environment secrets", () => {
        const secrets = ofType(r, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
        assert.deepEqual(secrets.map((s) => s.rawInputs.secretName).sort(), ["KUBE_CONFIG", "TALOS_CONFIG"]);
        assert.equal(ofType(r, "github:index/actionsSecret:ActionsSecret").length, 0, "never repository-wide secrets");
        for (const s of secrets) {
            assert.equal(s.rawInputs.environment, "prod");
            assert.equal(s.rawInputs.repository, "platform");
            assert.equal(s.inputs.value, "[secret]");
            assert.equal(s.rawInputs.plaintextValue, undefined);
        }
        const kube = secrets.find((s) => s.rawInputs.secretName === "KUBE_CONFIG")!;
        // As soon as the API answers, and not before: the talosconfig exists before any server.
        const apiReady = find(r, "command:local:Command", "prod-bootstrap-wait-api");
        for (const s of secrets) {
            assert.ok(s.dependencies.includes(apiReady.urn), `${s.rawInputs.secretName} must wait for the Kubernetes API`);
        }
        assert.match(String(kube.rawInputs.value), /server: https:\/\/api\.platform\.devantler\.tech:6443/);
        assert.ok(waitsFor(r, kube, find(r, "command:local:Command", "prod-bootstrap-kubeconfig")));
        const talos = secrets.find((s) => s.rawInputs.secretName === "TALOS_CONFIG")!;
        assert.ok(waitsFor(r, talos, find(r, "command:local:Command", "prod-talos-secrets-talosconfig")));
        // As soon as the API answers: never behind Flux, the restores or DNS.
        const later = [
            find(r, "kubernetes:fluxcd.controlplane.io/v1:FluxInstance", "gitops-flux-instance"),
            find(r, "command:local:Command", "velero-restore"),
            find(r, "command:local:Command", "velero-restore"),
            find(r, "command:local:Command", "openbao-vault-config"),
            ...ofType(r, "kubernetes:postgresql.cnpg.io/v1:Cluster"),
            ...ofType(r, RECORD),
        ];
        for (const s of secrets) {
            for (const other of later) {
                assert.ok(!waitsFor(r, s, other), `${s.name} must not wait for ${other.name}`);
            }
        }
    });

    it("adopts an existing environment by import, never sending it protection settings, and keeps it", () => {
        // The simulated GitHub models the provider's create (GitHub's create-or-update PUT, which
        // resets every protection setting it is not sent): had the program created the surviving
        // environment, its reviewers and branch policy would be gone now.
        const prod = r.cloud.githubEnvironments.find((e) => e.name === "prod")!;
        assert.deepEqual(
            {
                reviewers: prod.reviewers,
                branchPolicy: prod.deploymentBranchPolicy,
                selfReview: prod.preventSelfReview,
                adminsBypass: prod.canAdminsBypass,
            },
            {
                reviewers: [1_234_567],
                branchPolicy: { protectedBranches: true, customBranchPolicies: false },
                selfReview: true,
                adminsBypass: false,
            },
            "the environment's protection must survive the rebuild",
        );
        const environment = find(r, ENVIRONMENT, "ci-environment");
        assert.equal(environment.import, "platform:prod", "an existing environment is imported: an import only reads");
        assert.deepEqual(Object.keys(environment.rawInputs).sort(), ["environment", "repository"]);
        assert.deepEqual(
            [...environment.ignoreChanges].sort(),
            [...ENVIRONMENT_PROTECTION_INPUTS].sort(),
            "every protection input ignored: no update ever sends them",
        );
        assert.equal(environment.retainOnDelete, true);
        for (const s of ofType(r, ENV_SECRET)) {
            assert.ok(s.dependencies.includes(environment.urn), "a secret needs its environment (GitHub answers 404 otherwise)");
        }
    });

    it("creates a missing environment once; the next run finds it and adopts the same resource, with no change", async () => {
        const overrides = offClusterOverrides();
        const first = await simulateOk({ overrides, cloud: { githubEnvironments: [] } });
        const created = find(first, ENVIRONMENT, "ci-environment");
        assert.equal(created.import, null);
        assert.equal(created.retainOnDelete, true);
        assert.deepEqual(
            [...created.ignoreChanges].sort(),
            [...ENVIRONMENT_PROTECTION_INPUTS].sort(),
            "protection added by hand later is kept",
        );
        assert.deepEqual(
            first.cloud.githubEnvironments.map((e) => [e.name, [...e.secrets].sort()]),
            [["prod", ["KUBE_CONFIG", "TALOS_CONFIG"]]],
        );
        // The second run: the lookup now finds the environment the first run created. The resource
        // stays registered under the same URN (it neither disappears nor is deleted), with the
        // same inputs; its import ID is the ID already in state, and the engine imports only when
        // a resource is not in state or its ID differs, so this is an ordinary no-op.
        const second = await simulateOk({ overrides, cloud: first.cloud });
        const adopted = find(second, ENVIRONMENT, "ci-environment");
        assert.equal(adopted.urn, created.urn);
        assert.equal(adopted.import, created.id, "the import ID must equal the ID the created resource has in state");
        assert.deepEqual(adopted.rawInputs, created.rawInputs);
        assert.deepEqual(
            [adopted.retainOnDelete, [...adopted.ignoreChanges].sort()],
            [created.retainOnDelete, [...created.ignoreChanges].sort()],
        );
        const urns = (x: SimulationResult) => x.resources.map((res) => res.urn).sort();
        assert.deepEqual(urns(second), urns(first), "no resource appears or disappears between the runs");
        // A preview against that state registers the same.
        const preview = await simulateOk({ overrides, cloud: first.cloud, preview: true });
        assert.equal(find(preview, ENVIRONMENT, "ci-environment").import, created.id);
    });

    it("fails clearly, naming the keys, when the repository's environments cannot be listed", async () => {
        const failed = await simulate({ overrides: offClusterOverrides(), cloud: { githubRepositories: [] } });
        assert.ok(
            failed.errors.some((e) => /devantler-tech\/platform \(githubRepository\).*github:token/.test(e)),
            failed.errors.join("\n"),
        );
        assert.equal(ofType(failed, ENV_SECRET).length, 0);
    });

    it("keeps every credential out of the plan", () => {
        const everything = JSON.stringify({ inputs: r.resources.map((x) => x.inputs), outputs: r.outputs });
        for (const secret of [CF_TOKEN, GH_TOKEN]) {
            assert.ok(!everything.includes(secret));
        }
        const token = ofType(r, TOKEN)[0];
        assert.ok(!everything.includes(String(token.outputs.value)), "the R2 token value leaked");
    });

    it("skips the CI credentials with a notice when no GitHub token is configured (a real run)", async () => {
        const without = await simulateOk({
            overrides: [
                ...offClusterOverrides().filter((o) => o.path !== "github:token"),
                { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true },
                { path: "sopsAgeKey", value: FAKE_AGE_KEY, secret: true },
                ...FIXTURE_TALOS_OVERRIDES,
            ],
            placeholders: false,
        });
        assert.equal(ofType(without, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").length, 0);
        assert.ok(without.messages.some((m) => /github:token is not set/.test(m)));
    });
});
