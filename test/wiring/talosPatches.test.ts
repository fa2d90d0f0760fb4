import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { main } from "../../rehearsal/cli";
import { SimulationResult, simulate } from "../../rehearsal/simulate";
import * as pulumi from "@pulumi/pulumi";
import { validateConfig } from "../../config";
import { planNodes } from "../../components/cluster/naming";
import { nodePatches } from "../../components/cluster/talosPatches";
import { rawConfigFrom } from "../../config/load";
import { loadStackConfig } from "../../rehearsal/stackConfig";
import { FAKE_HCLOUD_TOKEN, FIXTURE_TALOS_OVERRIDES, FIXTURE_TALOS_VARIABLES } from "../support/config";
import { find, simulateOk } from "../support/simulation";

const COMMAND = "command:local:Command";
const ROOT = path.resolve(__dirname, "../..");
const BAD = path.join(ROOT, "test/cluster/fixtures/talos-bad");
const PLATFORM_TALOS = path.resolve(ROOT, "../shared/reference/platform/talos");
const token = { path: "hcloud:token", value: FAKE_HCLOUD_TOKEN, secret: true };

async function rehearse(...args: string[]) {
    let stdout = "";
    let stderr = "";
    const code = await main(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
}

function textOf(input: pulumi.Input<string>): Promise<string> {
    return new Promise((resolve) => pulumi.output(input).apply(resolve));
}

/** The API certificate names the program put in the control planes' config (the endpoint IP and the API name). */
function certSansOf(r: SimulationResult): string[] {
    const machine = parseAllDocuments(patchTexts(r, "prod-control-plane-1")[4])[0].toJS().machine;
    return machine.certSANs;
}

/** The patch files a node's config command received, in order, as text. */
function patchTexts(r: SimulationResult, node: string): string[] {
    const env = find(r, COMMAND, `${node}-config`).rawInputs.environment as Record<string, string>;
    return Array.from({ length: Number(env.CONFIG_PATCH_COUNT) }, (_, i) => env[`CONFIG_PATCH_${i + 1}`]);
}

describe("wiring: the platform's Talos patches on rebuilt nodes (simulated cloud)", () => {
    let r: SimulationResult;
    before(async () => {
        r = await simulateOk({ overrides: [token, ...FIXTURE_TALOS_OVERRIDES] });
    });

    it("every node's config gets cluster/, then its role's files, then the program's own, in order", () => {
        const cp = patchTexts(r, "prod-control-plane-1");
        const worker = patchTexts(r, "prod-worker-1");
        assert.equal(cp.length, 4 + 4);
        assert.equal(worker.length, 4 + 4);
        assert.match(cp[0], /extraKernelArgs/, "cluster/a-sysctls.yml first");
        assert.match(cp[3], /interface: wg0/, "then control-planes/listener.yaml");
        assert.match(worker[3], /node-labels/, "workers/labels.yaml for workers");
        assert.ok(!worker.some((t) => /wg0/.test(t)), "workers never get control-planes/ files");
        assert.ok(parseAllDocuments(cp[4])[0].toJS().machine.install, "the program's machine patch after the platform's");
    });

    it("the config is validated in the mode the node boots as, before it is applied", () => {
        const env = find(r, COMMAND, "prod-worker-1-config").rawInputs.environment as Record<string, string>;
        assert.equal(env.VALIDATE_MODE, "metal", "prod boots the ISO: Talos runs as metal");
        assert.equal(env.NODE_NAME, "prod-worker-1");
    });

    it("node loss: a replaced node gets the same patches again (they do not depend on the server), and apply-config re-runs on the new server", async () => {
        const config = find(r, COMMAND, "prod-worker-2-config");
        const server = find(r, "hcloud:index/server:Server", "prod-worker-2");
        assert.ok(!config.dependencies.includes(server.urn), "the config is not regenerated from the server");
        const apply = find(r, COMMAND, "prod-worker-2-apply-config");
        assert.ok(apply.dependencies.includes(config.urn));
        assert.deepEqual(apply.rawInputs.triggers, [server.id], "a new server (a replacement) applies the config again");
        // The list is a function of config and the node's identity alone: recomputed here from config, it is what the command got.
        const stack = loadStackConfig(ROOT, "prod", [token, ...FIXTURE_TALOS_OVERRIDES]);
        const raw = rawConfigFrom(stack.values, "platform-dr", (k) => stack.secretKeys.includes(k), {});
        const checked = validateConfig({ ...raw, rehearsal: true });
        assert.ok(checked.ok);
        const worker2 = planNodes(checked.config.cluster).find((n) => n.name === "prod-worker-2")!;
        const fromConfig = nodePatches({ cluster: checked.config.cluster, node: worker2, certSans: certSansOf(r) });
        assert.deepEqual(await Promise.all(fromConfig.map((p) => textOf(p.text))), patchTexts(r, "prod-worker-2"));
        // And a worker's platform patches are every worker's.
        assert.deepEqual(patchTexts(r, "prod-worker-2").slice(0, 4), patchTexts(r, "prod-worker-3").slice(0, 4));
    });

    it("expanded values stay secret: every patch input is secret, and no value appears in inputs or outputs", () => {
        const env = find(r, COMMAND, "prod-control-plane-1-config").inputs.environment as Record<string, string>;
        for (const [k, v] of Object.entries(env).filter(([k]) => /^CONFIG_PATCH_\d+$/.test(k))) {
            assert.equal(v, "[secret]", k);
        }
        const visible = JSON.stringify({ inputs: r.resources.map((x) => x.inputs), outputs: r.outputs, messages: r.messages });
        for (const value of Object.values(FIXTURE_TALOS_VARIABLES)) {
            assert.ok(!visible.includes(value), "a talosPatchVariables value leaked");
        }
    });
});

describe("rehearsal: the Talos patches per node role", function () {
    it("lists each role's patch files in order and the variables they use, never their values", async function () {
        if (!fs.existsSync(PLATFORM_TALOS)) {
            this.skip(); // ../shared/reference/platform/talos (the platform's patches) is not on this machine
        }
        const secret = "wg-Pr1vate-" + "k".repeat(30);
        const { code, stdout, stderr } = await rehearse(
            "--set",
            `talosPatchDir=${path.relative(ROOT, PLATFORM_TALOS)}`,
            "--set-secret",
            `talosPatchVariables.WG_SERVER_PRIVATE_KEY=${secret}`,
        );
        assert.equal(code, 0, stderr);
        const section = stdout.slice(stdout.indexOf("Talos patches"), stdout.indexOf("\n\n", stdout.indexOf("Talos patches")));
        assert.match(section, /34 platform patch files, then the program's own/);
        assert.match(
            section,
            /control planes, in order:\n\s+1\. cluster\/authenticate-ghcr-pulls\.yaml \(RegistryAuthConfig ghcr\.io; uses GHCR_TOKEN, GHCR_USERNAME\)/,
        );
        assert.match(
            section,
            /22\. control-planes\/wireguard\.yaml \(v1alpha1; uses WG_SERVER_PRIVATE_KEY; deprecated machine\.network\)\n\s+23\. program: machine/,
        );
        assert.match(section, /workers, in order:[\s\S]*28\. workers\/mount-longhorn-data\.yaml[\s\S]*32\. program: kubelet-cert-rotation/);
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret), "a variable's value was printed");
        // The variables the stack does not set are listed with the command that sets them.
        assert.match(
            stdout,
            /! talosPatchVariables\.GHCR_TOKEN +required: pulumi config set --secret --path 'talosPatchVariables\.GHCR_TOKEN' <value>/,
        );
        assert.doesNotMatch(stdout, /talosPatchVariables\.WG_SERVER_PRIVATE_KEY +required/);
    });
});

describe("rehearsal: bad Talos patches exit 2, naming the file or key, with nothing registered", () => {
    // Each kind of bad input is covered in test/cluster/talosPatches.test.ts; here, what the CLI does with one.
    it("an unknown field: exit 2, the file, the document, the line and the field", async () => {
        const { code, stdout, stderr } = await rehearse("--set", `talosPatchDir=${path.join(BAD, "unknown-field")}`);
        assert.equal(code, 2, stdout);
        assert.match(stderr, /typo-field\.yaml": document 2 \(v1alpha1 patch\), line 9: machine\.kubelet\.extraMount is an unknown field/);
        assert.equal(stdout, "");
    });

    it("an unset variable and a missing directory stop a real run before any resource is registered", async () => {
        for (const overrides of [
            [token, { path: "talosPatchDir", value: path.join(BAD, "unset-variable"), secret: false }],
            [token, ...FIXTURE_TALOS_OVERRIDES, { path: "talosPatchDir", value: "../no-platform-checkout/talos", secret: false }],
        ]) {
            const result = await simulate({ overrides, placeholders: false });
            assert.equal(result.configInvalid, true);
            assert.equal(result.resources.length, 0);
            assert.match(
                result.errors[0],
                /talosPatchVariables\.MISSING_TOKEN = \(unset\)|talosPatchDir = "\.\.\/no-platform-checkout\/talos": is not a directory/,
            );
        }
    });
});
