import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadScript } from "../../components/scripts";
import { runWithFakes } from "../support/fakeBin";

const APPLY_CONFIG_SCRIPT = loadScript("talos/apply-config.sh");
const BOOTSTRAP_SCRIPT = loadScript("talos/bootstrap.sh");
const KUBECONFIG_SCRIPT = loadScript("talos/kubeconfig.sh");

/** Runs a script with a fake `talosctl` whose behaviour the test chooses (test/support/fakeBin.ts). */
const run = (script: string, fakeTalosctl: string, env: Record<string, string>) =>
    runWithFakes(script, { fakes: { talosctl: fakeTalosctl }, env });

const bootstrapEnv = { NODE_NAME: "prod-control-plane-1", NODE_IP: "203.0.113.1", TALOSCONFIG: "context: prod", TIMEOUT_SECONDS: "0" };

describe("cluster: Talos scripts", () => {
    it("bootstrap succeeds on a fresh cluster", () => {
        const r = run(BOOTSTRAP_SCRIPT, "exit 0", bootstrapEnv);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /etcd bootstrapped on prod-control-plane-1/);
    });

    it("bootstrap is idempotent: AlreadyExists counts as success", () => {
        const r = run(
            BOOTSTRAP_SCRIPT,
            'echo "rpc error: code = AlreadyExists desc = etcd data directory is not empty" >&2; exit 1',
            bootstrapEnv,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /already bootstrapped/);
    });

    it("bootstrap fails with a clear message when apid never answers", () => {
        const r = run(BOOTSTRAP_SCRIPT, 'echo "connection refused" >&2; exit 1', bootstrapEnv);
        assert.equal(r.status, 1);
        assert.match(
            r.stderr,
            /etcd bootstrap on prod-control-plane-1 \(203\.0\.113\.1\) failed: Talos apid did not accept it within 0s.*connection refused/s,
        );
    });

    it("passes the talosconfig as a file, never on the command line", () => {
        const r = run(
            BOOTSTRAP_SCRIPT,
            'for a in "$@"; do case "$a" in *"context: prod"*) echo LEAK; exit 3;; esac; done; cat "$2"',
            bootstrapEnv,
        );
        assert.equal(r.status, 0, r.stderr);
        assert.ok(!r.stdout.includes("LEAK"));
    });

    it("removes the talosconfig's private directory when interrupted (SIGTERM)", () => {
        const seen = path.join(os.tmpdir(), `platform-dr-seen-${process.pid}`);
        try {
            const r = run(BOOTSTRAP_SCRIPT, `printf '%s' "$2" > "${seen}"; kill -TERM "$SCRIPT_PID"; exit 1`, {
                ...bootstrapEnv,
                TIMEOUT_SECONDS: "60",
            });
            assert.equal(r.status, 143, r.stderr);
            const file = fs.readFileSync(seen, "utf8");
            assert.match(file, /talosconfig$/);
            assert.ok(!fs.existsSync(path.dirname(file)), "the talosconfig was left behind");
        } finally {
            fs.rmSync(seen, { force: true });
        }
    });

    it("apply-config treats an already configured node as done", () => {
        const r = run(APPLY_CONFIG_SCRIPT, 'echo "tls: certificate required" >&2; exit 1', {
            NODE_NAME: "prod-worker-1",
            NODE_IP: "203.0.113.9",
            MACHINE_CONFIG: "version: v1alpha1",
            TIMEOUT_SECONDS: "0",
        });
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stdout, /already configured/);
    });

    describe("apply-config: only 'certificate required' means already configured", () => {
        const applyEnv = { NODE_NAME: "prod-worker-1", NODE_IP: "203.0.113.9", MACHINE_CONFIG: "version: v1alpha1" };
        // Fails with a TLS error on the first call, then succeeds; `sleep` returns at once.
        const tlsThenOk = (error: string) =>
            `if [ "$(count talosctl)" -eq 1 ]; then echo "rpc error: code = Unavailable desc = connection error: transport: authentication handshake failed: ${error}" >&2; exit 1; fi
echo applied`;

        for (const error of [
            "tls: handshake failure",
            "tls: first record does not look like a TLS handshake",
            "tls: failed to verify certificate: x509: certificate signed by unknown authority",
        ]) {
            it(`retries another TLS error until the node accepts the config (${error})`, () => {
                const r = run(APPLY_CONFIG_SCRIPT, tlsThenOk(error), { ...applyEnv, TIMEOUT_SECONDS: "60" });
                assert.equal(r.status, 0, r.stderr);
                assert.match(r.stdout, /machine config applied to prod-worker-1 \(203\.0\.113\.9\)/);
                assert.doesNotMatch(r.stdout, /already configured/);
            });
        }

        it("fails at the deadline on a TLS error that is not 'certificate required', naming it", () => {
            const r = run(APPLY_CONFIG_SCRIPT, 'echo "remote error: tls: handshake failure" >&2; exit 1', {
                ...applyEnv,
                TIMEOUT_SECONDS: "0",
            });
            assert.equal(r.status, 1);
            assert.match(
                r.stderr,
                /applying the machine config to prod-worker-1 \(203\.0\.113\.9\) failed: .*Last error: remote error: tls: handshake failure/s,
            );
        });

        it("a configured node's refusal of --insecure counts as done", () => {
            const r = run(
                APPLY_CONFIG_SCRIPT,
                'echo "rpc error: code = Unavailable desc = connection error: transport: authentication handshake failed: remote error: tls: certificate required" >&2; exit 1',
                { ...applyEnv, TIMEOUT_SECONDS: "0" },
            );
            assert.equal(r.status, 0, r.stderr);
            assert.match(r.stdout, /prod-worker-1 \(203\.0\.113\.9\) is already configured/);
        });
    });

    it("says when talosctl is missing", () => {
        const r = runWithFakes(KUBECONFIG_SCRIPT, { path: "/nonexistent" });
        assert.equal(r.status, 127);
        assert.match(r.stderr, /talosctl is not on PATH/);
    });
});
