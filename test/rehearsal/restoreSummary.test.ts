import { strict as assert } from "assert";
import { validateConfig } from "../../config";
import { describeRestores } from "../../rehearsal/restoreSummary";
import { validProdRaw } from "../support/config";

function linesFor(overrides: Record<string, unknown> = {}, secretKeys: string[] = []): string[] {
    const result = validateConfig(validProdRaw(overrides, secretKeys));
    assert.ok(result.ok, result.ok ? "" : JSON.stringify(result.problems));
    return result.ok ? describeRestores(result.config) : [];
}

describe("rehearsal: the restores in words", () => {
    it("says which backup, what is suspended, which OpenBao path and each database's point in time, in order", () => {
        const lines = linesFor({ cnpgDatabases: ["umami/umami-db store=umami-db instances=3 targetTime=2026-11-23T02:00:00Z"] });
        assert.match(
            lines[0],
            /^Velero: restores every namespace except kube-system, velero from the newest Completed backup of schedule velero-daily-full made before this rebuild \(looked up once, then kept\), as soon as Velero can restore \(deployment velero\/velero and daemonset velero\/node-agent available, BackupStorageLocation default Available\), not once Kustomization infrastructure-controllers is Ready; PartiallyFailed is accepted and reported\.$/,
        );
        assert.match(
            lines[1],
            /^Why that is safe: Velero restores the CRDs .* Waiting for infrastructure-controllers instead could deadlock: .*dex\/dex-github-connector/,
        );
        assert.match(lines[2], /^Suspended until the Velero restore is done: Kustomizations infrastructure, apps /);
        assert.match(lines[3], /^OpenBao: snapshot\. The vault-config Job in Kustomization infrastructure restores/);
        assert.match(
            lines[4],
            /^CloudNativePG: umami\/umami-db recovered as umami\/umami-db from archive cnpg\/umami-db, to 2026-11-23T02:00:00Z, archiving as umami-db-r1 /,
        );
        assert.equal(lines.length, 5);
    });

    it("names the manual OpenBao path without a single seed value", () => {
        const seed = "secret/infrastructure/dns/cloudflare api_token=cf-SECRET-value";
        const lines = linesFor({ openbaoRecovery: "manual", openbaoSeedSecrets: [seed] }, ["openbaoSeedSecrets"]);
        const openbao = lines.find((l) => l.startsWith("OpenBao:")) ?? "";
        assert.match(openbao, /^OpenBao: manual\./);
        assert.ok(!lines.join("\n").includes("cf-SECRET-value"));
    });

    it("shows a pinned backup, no hold and no Velero at all when asked", () => {
        assert.match(linesFor({ veleroBackup: "velero-daily-full-20261123021700" })[0], /from backup velero-daily-full-20261123021700,/);
        const none = linesFor({ veleroBackup: "none", openbaoRecovery: "none", cnpgDatabases: [] });
        assert.deepEqual(none, ["Velero: no restore (veleroBackup none).", "OpenBao: not restored by the program (openbaoRecovery none)."]);
    });
});
