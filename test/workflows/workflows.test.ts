import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { main as toolVersions } from "../../rehearsal/toolVersions";
import { runWithFakes } from "../support/fakeBin";
import { workflowParser } from "../support/workflowParser";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const ACTIONS = path.join(ROOT, ".github", "actions");

interface Step {
    readonly name?: string;
    readonly id?: string;
    readonly uses?: string;
    readonly run?: string;
    readonly if?: string;
    readonly with?: Record<string, unknown>;
    readonly env?: Record<string, string>;
    readonly shell?: string;
}
interface Job {
    readonly permissions?: Record<string, string> | string;
    readonly environment?: string | { name: string };
    readonly env?: Record<string, string>;
    readonly steps: Step[];
}
interface Workflow {
    readonly on: Record<string, unknown>;
    readonly permissions?: Record<string, string> | string;
    readonly concurrency?: { group: string; "cancel-in-progress"?: boolean };
    readonly jobs: Record<string, Job>;
}

const read = (file: string) => fs.readFileSync(file, "utf8");
const workflowFiles = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const actionFiles = fs.existsSync(ACTIONS) ? fs.readdirSync(ACTIONS).map((d) => path.join(ACTIONS, d, "action.yml")) : [];
const workflows: Record<string, Workflow> = Object.fromEntries(workflowFiles.map((f) => [f, parse(read(path.join(WORKFLOWS, f)))]));
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const compositeSteps = actionFiles.flatMap((f) => (parse(read(f)) as { runs: { steps: Step[] } }).runs.steps);
const stepNamed = (w: Workflow, pattern: RegExp) => {
    const s = steps(w).find((x) => pattern.test(x.name ?? ""));
    assert.ok(s, `no step named ${pattern}`);
    return s;
};

/** Runs one step's script as GitHub runs it (bash -eo pipefail), with fakes first on PATH. */
function runStep(step: Step, env: Record<string, string>, fakes: Record<string, string>) {
    assert.ok(step.run, `${step.name}: not a run step`);
    return runWithFakes('exec bash --noprofile --norc -eo pipefail -c "$STEP_SCRIPT"', {
        fakes,
        env: { ...env, STEP_SCRIPT: step.run, HOME: os.tmpdir() },
    });
}

describe("workflows: GitHub's parser and the invariants", () => {
    it("has the three workflows", () => {
        assert.deepEqual(workflowFiles.sort(), ["ci.yaml", "drift.yaml", "rebuild.yaml"]);
    });

    it("every workflow and composite action is valid for GitHub's own parser (@actions/workflow-parser)", async function () {
        this.timeout(20_000);
        const { workflow, action } = await workflowParser();
        for (const f of workflowFiles) {
            const parsed = workflow.parseWorkflow(
                { name: f, content: read(path.join(WORKFLOWS, f)) },
                new workflow.NoOperationTraceWriter(),
            );
            assert.deepEqual(
                parsed.context.errors.getErrors().map((e) => e.message),
                [],
                f,
            );
            const template = await workflow.convertWorkflowTemplate(parsed.context, parsed.value!);
            assert.deepEqual(template.errors ?? [], [], f);
            assert.ok(template.jobs.length > 0, f);
        }
        for (const f of actionFiles) {
            const parsed = action.parseAction({ name: f, content: read(f) }, new workflow.NoOperationTraceWriter());
            assert.deepEqual(
                parsed.context.errors.getErrors().map((e) => e.message),
                [],
                f,
            );
        }
        // The parser does find errors: a permission scope that does not exist is one.
        const bad = workflow.parseWorkflow(
            {
                name: "bad.yaml",
                content: "on: push\njobs:\n  a:\n    runs-on: x\n    permissions: { contents: maybe }\n    steps: [{ run: a }]\n",
            },
            new workflow.NoOperationTraceWriter(),
        );
        assert.ok(bad.context.errors.getErrors().length > 0);
    });

    it("grants nothing at the top and only read scopes per job (least privilege)", () => {
        for (const [f, w] of Object.entries(workflows)) {
            assert.deepEqual(w.permissions, {}, `${f}: top-level permissions must be {}`);
            for (const [id, job] of Object.entries(w.jobs)) {
                assert.ok(job.permissions && typeof job.permissions === "object", `${f} ${id}: no permissions of its own`);
                for (const [scope, level] of Object.entries(job.permissions)) {
                    assert.ok(level === "read" || level === "none", `${f} ${id}: ${scope}: ${level}`);
                }
            }
        }
    });

    it("pins every action by a full commit SHA, with its version in a comment", () => {
        for (const file of [...workflowFiles.map((f) => path.join(WORKFLOWS, f)), ...actionFiles]) {
            for (const line of read(file)
                .split("\n")
                .filter((l) => /^\s*(-\s+)?uses:/.test(l))) {
                const uses = line.replace(/^\s*(-\s+)?uses:\s*/, "");
                if (uses.startsWith("./")) {
                    continue; // an action of this repository, at this commit
                }
                assert.match(uses, /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@[0-9a-f]{40} # v\d+(\.\d+)*$/, `${path.basename(file)}: ${line.trim()}`);
            }
        }
    });

    it("passes secrets, inputs and event data only through env: never expanded into a script, never shown", () => {
        const all = [...workflowFiles.map((f) => read(path.join(WORKFLOWS, f))), ...actionFiles.map(read)].join("\n");
        assert.doesNotMatch(all, /--show-secrets/);
        for (const step of [...Object.values(workflows).flatMap(steps), ...compositeSteps]) {
            if (step.run) {
                assert.doesNotMatch(step.run, /\$\{\{/, `${step.name ?? step.run}: an expression inside a script`);
            }
        }
        for (const [f, w] of Object.entries(workflows)) {
            for (const job of Object.values(w.jobs)) {
                for (const s of job.steps) {
                    for (const v of Object.values(s.with ?? {})) {
                        assert.doesNotMatch(String(v), /secrets\./, `${f}: a secret handed to an action's input`);
                    }
                }
            }
        }
    });

    it("ShellCheck finds nothing in any step's script (bash, as GitHub runs it)", function () {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-steps-"));
        try {
            const scripts = [...Object.values(workflows).flatMap(steps), ...compositeSteps]
                .filter((s) => s.run)
                .map((s, i) => {
                    const file = path.join(dir, `step-${i}.sh`);
                    fs.writeFileSync(file, `#!/bin/bash\n${s.run}`);
                    return file;
                });
            const r = spawnSync("shellcheck", ["-s", "bash", "-f", "gcc", ...scripts], { encoding: "utf8" });
            if (r.error) {
                assert.fail("shellcheck is not on PATH: install it (apt-get install shellcheck); it is a prerequisite of npm test");
            }
            assert.equal(r.stdout + r.stderr, "", "ShellCheck findings");
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("workflows: ci", () => {
    const ci = workflows["ci.yaml"];

    it("runs on pull requests and pushes to main: npm ci, the README's test command, every stack's rehearsal, the pack's type-check", () => {
        assert.ok("pull_request" in ci.on);
        assert.deepEqual((ci.on.push as { branches: string[] }).branches, ["main"]);
        const runs = steps(ci).map((s) => s.run ?? "");
        const readme = read(path.join(ROOT, "README.md"));
        const testCommand = /^npm test\b/m.exec(readme.slice(readme.indexOf("```sh")))?.[0];
        assert.equal(testCommand, "npm test");
        assert.ok(runs.some((r) => /^npm ci\b/.test(r)));
        assert.ok(runs.includes(testCommand!));
        assert.ok(runs.some((r) => r.includes("Pulumi.*.yaml") && r.includes("npm run -s rehearse -- --stack")));
        assert.ok(runs.includes("npx tsc --noEmit -p policies"));
    });
});

describe("workflows: drift", () => {
    const drift = workflows["drift.yaml"];
    const rebuild = workflows["rebuild.yaml"];

    it("runs daily and by hand, in the rebuild's concurrency group, never cancelling a run", () => {
        assert.ok(Array.isArray(drift.on.schedule) && "workflow_dispatch" in drift.on);
        assert.equal(drift.concurrency?.group, rebuild.concurrency?.group);
        assert.equal(drift.concurrency?.["cancel-in-progress"], false);
    });

    it("previews prod through pulumi/actions with --refresh --expect-no-changes --policy-pack ./policies", () => {
        const preview = steps(drift).find((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.command === "preview");
        assert.ok(preview);
        assert.equal(preview.with?.["stack-name"], "prod");
        assert.equal(preview.with?.refresh, true);
        assert.equal(preview.with?.["expect-no-changes"], true);
        assert.equal(preview.with?.policyPacks, "./policies");
        assert.ok(fs.existsSync(path.join(ROOT, "policies", "PulumiPolicy.yaml")));
    });

    it("on drift, writes the diff (as Pulumi masks it) to the step summary and fails the job", () => {
        const step = stepNamed(drift, /^On drift/);
        const preview = steps(drift).find((s) => s.with?.command === "preview");
        assert.equal(step.if, `steps.${preview?.id}.outcome == 'failure'`);
        const summary = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-summary-")), "summary.md");
        const r = runStep(
            step,
            { GITHUB_STEP_SUMMARY: summary },
            {
                pulumi: "fake_log PULUMI \"$@\"; printf '  ~ hcloud:index/firewall:Firewall prod-hetzner-firewall update\\n      ~ rules: [secret] => [secret]\\n'; exit 255",
            },
        );
        const written = read(summary);
        fs.rmSync(path.dirname(summary), { recursive: true, force: true });
        assert.equal(r.status, 1, r.stderr);
        assert.match(written, /^## Drift on prod\n/);
        assert.match(
            written,
            /```diff\n {2}~ hcloud:index\/firewall:Firewall prod-hetzner-firewall update\n {6}~ rules: \[secret\] => \[secret\]\n```/,
        );
        assert.deepEqual(r.fields("PULUMI")[0]?.slice(0, 4), ["preview", "--stack", "prod", "--refresh"]);
        assert.ok(r.fields("PULUMI")[0].includes("./policies"));
    });
});

describe("workflows: rebuild", () => {
    const rebuild = workflows["rebuild.yaml"];
    const job = Object.values(rebuild.jobs)[0];

    it("is started by hand only, with a required confirmation, in environment prod and the shared group", () => {
        assert.deepEqual(Object.keys(rebuild.on), ["workflow_dispatch"]);
        const inputs = (rebuild.on.workflow_dispatch as { inputs: Record<string, { required: boolean }> }).inputs;
        assert.equal(inputs.confirm.required, true);
        assert.equal(job.environment, "prod");
        assert.equal(rebuild.concurrency?.group, "pulumi-prod");
        assert.equal(rebuild.concurrency?.["cancel-in-progress"], false);
    });

    it("checks the phrase first, exactly REBUILD-PROD, before anything else runs", () => {
        const check = job.steps[0];
        assert.match(check.name ?? "", /confirmation/);
        assert.equal(check.env?.CONFIRM, "${{ inputs.confirm }}");
        for (const [phrase, ok] of [
            ["REBUILD-PROD", true],
            ["rebuild-prod", false],
            ["REBUILD-PROD ", false],
            [" REBUILD-PROD", false],
            ["REBUILD", false],
            ["", false],
        ] as const) {
            const r = runStep(check, { CONFIRM: phrase }, {});
            assert.equal(r.status === 0, ok, `phrase ${JSON.stringify(phrase)}: ${r.stdout}`);
        }
    });

    it("runs pulumi up --yes --stack prod after the tools and the stack config", () => {
        const names = job.steps.map((s) => s.run ?? s.uses ?? "");
        // --refresh too: a lost server still in the state would otherwise not be recreated.
        const up = names.findIndex((n) => /^pulumi up --yes --stack prod --refresh\b/.test(n));
        assert.ok(up > 0);
        assert.ok(names.findIndex((n) => n.includes("talosctl-linux-amd64")) < up);
        assert.ok(names.findIndex((n) => n === "./.github/actions/stack-config") < up);
        const summary = job.steps[job.steps.length - 1];
        assert.equal(summary.if, "always()");
        assert.match(summary.run ?? "", /restoredBackup restoreOutcome/);
        assert.match(summary.run ?? "", /GITHUB_STEP_SUMMARY/);
    });

    it("installs talosctl and kubectl at the versions the config holds, hard-coded nowhere in the workflow", () => {
        let out = "";
        assert.equal(toolVersions(["--stack", "prod"], { stdout: (t) => (out += t), stderr: () => undefined }), 0);
        const project = parse(read(path.join(ROOT, "Pulumi.yaml"))).config;
        const stack = parse(read(path.join(ROOT, "Pulumi.prod.yaml"))).config;
        const value = (key: string) => stack[`platform-dr:${key}`] ?? project[key].default;
        assert.equal(out, `talos-version=${value("talosVersion")}\nkubernetes-version=${value("kubernetesVersion")}\n`);
        // Outside the action pins' version comments, no version of talosctl or kubectl is written down.
        const text = read(path.join(WORKFLOWS, "rebuild.yaml")).replace(/@[0-9a-f]{40} # v[\d.]+$/gm, "");
        assert.doesNotMatch(text, /\bv\d+\.\d+\.\d+\b/, "a version literal in the workflow");
        const versions = job.steps.find((s) => s.id === "versions");
        assert.equal(versions?.run, 'npm run -s tool-versions -- --stack prod >> "$GITHUB_OUTPUT"');
        const install = stepNamed(rebuild, /^Install talosctl and kubectl/);
        assert.equal(install.env?.TALOS_VERSION, "${{ steps.versions.outputs.talos-version }}");
        assert.equal(install.env?.KUBERNETES_VERSION, "${{ steps.versions.outputs.kubernetes-version }}");
        assert.match(install.run ?? "", /sha256sum -c/);
    });

    it("pins the Pulumi CLI to the SDK's version", () => {
        const sdk = JSON.parse(read(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"))).version;
        const pins = Object.values(workflows)
            .flatMap(steps)
            .filter((s) => s.uses?.startsWith("pulumi/actions@"))
            .map((s) => String(s.with?.["pulumi-version"]));
        assert.ok(pins.length >= 2);
        assert.deepEqual([...new Set(pins)], [sdk]);
    });
});

describe("workflows: the stack-config action", () => {
    it("hands every config secret to pulumi on stdin only, and prints none of them", () => {
        const step = compositeSteps[0];
        const secrets = {
            SOPS_AGE_KEY: "AGE-SECRET-KEY-1QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7LQPZRY9X8GF2TVDW0S3JN54KH",
            VELERO_REPO_PASSWORD: "kopia-Pa55word-0123456789",
            GHCR_DOCKER_CONFIG: '{"auths":{"ghcr.io":{"auth":"dXNlcjp0b2tlbg=="}}}',
            TALOS_SECRETS: "cluster:\n  id: abc123secretline\n",
        };
        const fakePulumi =
            'fake_log PULUMI "$@"; if [ "$1" = config ] && [ "$3" = --secret ]; then fake_log STDIN "$(cat | base64 -w0)"; fi';
        const env = {
            ...secrets,
            STACK: "prod",
            CREATE: "true",
            OPENBAO_SEED_SECRETS: "",
            CLOUDFLARE_ACCOUNT_ID: "0123456789abcdef0123456789abcdef",
        };
        const r = runStep(step, env, { pulumi: fakePulumi });
        assert.equal(r.status, 0, r.stderr);
        const calls = r.fields("PULUMI");
        const stdin = r.fields("STDIN").map(([b64]) => Buffer.from(b64, "base64").toString());
        assert.deepEqual(calls[0], ["login", "--non-interactive"]);
        assert.deepEqual(calls[1], ["stack", "select", "--create", "--non-interactive", "prod"]);
        // The drift check never creates the stack it checks.
        const drift = runStep(step, { ...env, CREATE: "false" }, { pulumi: fakePulumi });
        assert.deepEqual(drift.fields("PULUMI")[1], ["stack", "select", "--non-interactive", "prod"]);
        const uses = (f: string) => steps(workflows[f]).find((s) => s.uses === "./.github/actions/stack-config")?.with?.create;
        assert.deepEqual([uses("drift.yaml"), uses("rebuild.yaml")], [false, true]);
        assert.deepEqual(
            calls.filter((c) => c[2] === "--secret").map((c) => c[5]),
            ["sopsAgeKey", "veleroRepoPassword", "ghcrDockerConfig", "talosSecrets"],
        );
        assert.deepEqual(stdin, Object.values(secrets));
        assert.ok(calls.some((c) => c.join(" ") === "config set --stack prod cloudflareAccountId 0123456789abcdef0123456789abcdef"));
        for (const s of Object.values(secrets)) {
            assert.ok(!calls.flat().includes(s), "a secret on a command line");
            for (const line of s.split("\n").filter((l) => l.length > 6)) {
                assert.ok(!r.stdout.includes(line) && !r.stderr.includes(line), "a secret printed");
            }
        }
    });
});
