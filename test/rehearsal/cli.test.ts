import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as path from "path";
import { ESTIMATE_TABLE } from "../../config/estimates";
import { assertNoSecrets } from "../../rehearsal/cli";
import { planPhases } from "../../rehearsal/plan";
import { rehearse } from "../support/rehearse";
import { recordedResource } from "../support/simulation";

/** One resource of the --json document (README, "The rehearsal"). */
interface JsonResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string | null;
    readonly provider: string | null;
    readonly inputs: Record<string, unknown>;
    readonly estimate: unknown;
}

const SECRET_TOKEN = "Zz9".repeat(21) + "x";

describe("rehearsal: CLI", () => {
    it("as a process, prints the whole --json object into a shell pipe (no cut at the pipe buffer)", function () {
        this.timeout(30_000);
        // A real pipe, as in `npm run -s rehearse -- --json | jq`: Node writes to it asynchronously
        // once it is full (64 KiB), so exiting before stdout drains would cut the JSON.
        const cli = [
            process.execPath,
            require.resolve("ts-node/dist/bin.js"),
            "--transpile-only",
            path.join(__dirname, "../../rehearsal/cli.ts"),
            "--json",
        ];
        const r = spawnSync("/bin/sh", ["-c", `${cli.map((a) => `'${a}'`).join(" ")} 2>/dev/null | cat`], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
        });
        assert.equal(r.status, 0, r.stderr);
        assert.ok(
            r.stdout.length > 65536,
            `the plan (${r.stdout.length} characters) must be larger than a pipe buffer, or a cut would not show`,
        );
        const plan = JSON.parse(r.stdout);
        assert.ok(plan.resources.some((x: { type: string }) => x.type === "kubernetes:postgresql.cnpg.io/v1:Cluster"));
    });

    it("prints the plan phase by phase, with placeholders marked", async () => {
        const r = await rehearse();
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^Rebuild plan for stack 'prod': \d+ resources in \d+ phases/);
        assert.match(r.stdout, /Phase 1 \(/);
        assert.match(r.stdout, /hcloud:Server\s+prod-control-plane-1/);
        assert.match(r.stdout, /waits for: .*prod-hetzner-subnet/);
        // test/support/hermetic.ts points gitopsPath where no checkout ever is (test/rehearsal/preflight.test.ts runs one).
        assert.match(
            r.stdout,
            /\nConvergence pre-flight skipped: there is no checkout at gitopsPath \S+\/k8s \(.*\); clone the platform repository there/,
        );
        assert.match(r.stdout, /! hcloud:token\s+required: pulumi config set --secret hcloud:token\n/);
        assert.match(r.stdout, /! cloudflareAccountId\s+required: pulumi config set cloudflareAccountId <value>\n/);
        assert.match(
            r.stdout,
            /! github:token\s+optional \(pulumi config set --secret github:token\): a real run without it does not refresh KUBE_CONFIG/,
        );
    });

    it("shows the whole rebuild of the production stack, from servers to restored databases", async () => {
        const r = await rehearse();
        assert.equal(r.code, 0, r.stderr);
        const phaseOf = (pattern: RegExp): number => {
            let phase = 0;
            for (const line of r.stdout.split("\n")) {
                const m = /^Phase (\d+) /.exec(line);
                if (m) {
                    phase = Number(m[1]);
                } else if (pattern.test(line)) {
                    return phase;
                }
            }
            assert.fail(`${pattern} is not in the plan`);
        };
        const server = phaseOf(/hcloud:Server\s+prod-control-plane-1/);
        const bucket = phaseOf(/cloudflare:R2Bucket\s+backups-bucket/);
        assert.match(
            r.stdout,
            /\nRestores:\n {2}Velero: restores every namespace except kube-system, velero from the newest Completed backup/,
        );
        assert.match(r.stdout, /\n {2}Suspended until the Velero restore is done: Kustomizations infrastructure, apps/);
        assert.match(r.stdout, /\n {2}OpenBao: snapshot\./);
        const restore = phaseOf(/command:Command\s+velero-restore$/);
        const database = phaseOf(/postgresql\.cnpg\.io\/v1:Cluster\s+cnpg-umami-umami-db-cluster/);
        const ciSecret = phaseOf(/ActionsEnvironmentSecret\s+ci-kube-config/);
        const apiRecord = phaseOf(/cloudflare:DnsRecord\s+dns-api/);
        assert.ok(server < restore && server < database && server < ciSecret, r.stdout);
        assert.ok(bucket < database, "the databases recover from the adopted bucket's archive");
        assert.ok(apiRecord > 0 && ciSecret < restore, "CI credentials do not wait for the restores");
    });

    it("--json prints exactly one JSON object with the documented fields", async () => {
        const r = await rehearse("--json", "--set-secret", `hcloud:token=${SECRET_TOKEN}`);
        assert.equal(r.code, 0, r.stderr);
        const doc = JSON.parse(r.stdout);
        assert.deepEqual(Object.keys(doc).sort(), ["errors", "estimate", "preflight", "resources", "stack"]);
        // "skipped" without the platform checkout beside this one (../platform), "done" with it.
        assert.ok(["skipped", "done"].includes(doc.preflight.status), doc.preflight.status);
        assert.equal(doc.stack, "prod");
        const resources = doc.resources as JsonResource[];
        const server = resources.find((x) => x.name === "prod-worker-1" && x.type === "hcloud:index/server:Server")!;
        assert.deepEqual(Object.keys(server).sort(), [
            "dependencies",
            "estimate",
            "import",
            "inputs",
            "name",
            "parent",
            "protect",
            "provider",
            "retainOnDelete",
            "type",
            "urn",
        ]);
        assert.match(String(server.parent), /TalosNode::prod-worker-1$/);
        // Created with the engine's default hcloud provider; Kubernetes objects with the program's own.
        assert.match(String(server.provider), /^urn:pulumi:prod::platform-dr::pulumi:providers:hcloud::default_\d+_\d+_\d+$/);
        const k8s = resources.find((x) => x.name === "prod-k8s")!;
        assert.equal(resources.find((x) => x.name === "gitops-sops-age")!.provider, k8s.urn);
        assert.equal(resources.find((x) => x.type === "platform-dr:cluster:TalosCluster")!.provider, null);
        const { typicalSeconds, worstSeconds } = ESTIMATE_TABLE.server;
        assert.deepEqual(server.estimate, { kind: "server", typicalSeconds, worstSeconds });
        const secret = resources.find((x) => x.name === "prod-hcloud-secret")!;
        assert.equal(secret.inputs.stringData, "[secret]");
    });

    it("never prints a secret value, in either mode", async () => {
        for (const mode of [[], ["--json"]]) {
            const r = await rehearse(...mode, "--set-secret", `hcloud:token=${SECRET_TOKEN}`);
            assert.equal(r.code, 0, r.stderr);
            assert.ok(
                !r.stdout.includes(SECRET_TOKEN) && !r.stderr.includes(SECRET_TOKEN),
                `token leaked in mode ${mode.join(" ") || "text"}`,
            );
            assert.ok(!r.stdout.includes("simulated-admin-key"), "talosconfig content leaked");
        }
    });

    it("exits 2 with the problem list on bad config, naming the keys", async () => {
        const r = await rehearse("--set", "controlPlaneCount=2", "--set", "location=mars");
        assert.equal(r.code, 2);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /controlPlaneCount.*must be odd/);
        assert.match(r.stderr, /location = "mars"/);
        assert.ok(!/\n\s+at /.test(r.stderr), "no stack trace for a user error");
    });

    it("--json on bad config still prints one object, with the errors", async () => {
        const r = await rehearse("--json", "--set", "workerCount=x");
        assert.equal(r.code, 2);
        const doc = JSON.parse(r.stdout);
        assert.deepEqual(doc.resources, []);
        assert.match(doc.errors[0], /workerCount = "x": must be an integer/);
    });

    it("exits 2 on bad flags and unknown stacks", async () => {
        assert.equal((await rehearse("--bogus")).code, 2);
        const missing = await rehearse("--stack", "nope");
        assert.equal(missing.code, 2);
        assert.match(missing.stderr, /no stack file .*Pulumi\.nope\.yaml/);
        assert.equal((await rehearse("--set", "novalue")).code, 2);
    });
});

describe("rehearsal: secret guard", () => {
    it("refuses to print text that contains a secret", () => {
        assert.throws(() => assertNoSecrets("token: abcdefghijklmnop", new Set(["abcdefghijklmnop"])), /refusing to print/);
        assert.doesNotThrow(() => assertNoSecrets("token: [secret]", new Set(["abcdefghijklmnop"])));
    });
});

describe("rehearsal: phases", () => {
    const res = recordedResource;

    it("groups by dependency depth and folds components into their children", () => {
        const phases = planPhases([
            res("a", []),
            res("comp", [], { custom: false }),
            res("b", ["a"], { parent: "urn:comp" }),
            res("c", ["comp"]),
            res("d", [], { provider: "urn:b::id", providerUrn: "urn:b" }),
        ]);
        assert.deepEqual(
            phases.map((p) => p.steps.map((s) => s.resource.name)),
            [["a"], ["b"], ["c", "d"]],
        );
        assert.deepEqual(phases[2].steps[0].waitsFor, ["b"]);
    });
});
