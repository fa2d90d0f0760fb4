import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig, validateConfig } from "../../config";
import { main } from "../../rehearsal/cli";
import { ToolError, checkTools, pathProbe, preflightTools, requiredTools, talosctlClientVersion } from "../../preflight/tools";
import { validProdRaw } from "../support/config";
import { withFakeBin } from "../support/fakeBin";

function prodConfig(overrides: Record<string, unknown> = {}, secretKeys: string[] = []): PlatformConfig {
    const result = validateConfig(validProdRaw(overrides, secretKeys));
    if (!result.ok) {
        throw new Error(JSON.stringify(result.problems));
    }
    return result.config;
}

/** talosctl 1.13's `version --client --short` (pkg/version Short: "<Name> <Tag>"). */
const talosctl = (tag: string) => `case "$*" in "version --client --short") printf 'Client:\\nTalos %s\\n' "${tag}" ;; *) exit 64 ;; esac`;
const ANY = "exit 0";

describe("preflight: tools checked before anything is registered", () => {
    const config = prodConfig();

    it("reads talosctl's client version from its short and long output", () => {
        assert.equal(talosctlClientVersion("Client:\nTalos v1.13.8\n"), "v1.13.8");
        assert.equal(talosctlClientVersion("Client:\n\tTag:         v1.12.0-beta.1\n\tSHA:  abc\n"), "v1.12.0-beta.1");
        assert.equal(talosctlClientVersion("Client:\nTalos \n"), undefined);
    });

    it("passes with talosctl of talosVersion, kubectl and curl on PATH", () => {
        const problems = withFakeBin({ talosctl: talosctl("v1.13.8"), kubectl: ANY, curl: ANY }, (dir) =>
            checkTools(requiredTools(config), pathProbe(dir)),
        );
        assert.deepEqual(problems, []);
    });

    it("stops on a talosctl of another version, naming both and the install command of the right one", () => {
        const problems = withFakeBin({ talosctl: talosctl("v1.12.4"), kubectl: ANY, curl: ANY }, (dir) =>
            checkTools(requiredTools(config), pathProbe(dir)),
        );
        assert.equal(problems.length, 1);
        assert.equal(problems[0].tool, "talosctl");
        assert.match(problems[0].message, /talosctl on PATH is v1\.12\.4; this stack needs v1\.13\.8 \(talosVersion\)/);
        assert.match(
            problems[0].install,
            /https:\/\/github\.com\/siderolabs\/talos\/releases\/download\/v1\.13\.8\/talosctl-(linux|darwin)-(amd64|arm64)/,
        );
    });

    it("stops on a talosctl that does not say its version", () => {
        const problems = withFakeBin({ talosctl: "echo 'unknown flag: --short' >&2; exit 1", kubectl: ANY, curl: ANY }, (dir) =>
            checkTools(requiredTools(config), pathProbe(dir)),
        );
        assert.match(
            problems[0].message,
            /talosctl on PATH did not report its version \(unknown flag: --short\); this stack needs v1\.13\.8/,
        );
    });

    it("names every missing tool at once, with its install command (kubectl of kubernetesVersion)", () => {
        const problems = withFakeBin({ talosctl: talosctl("v1.13.8") }, (dir) => checkTools(requiredTools(config), pathProbe(dir)));
        assert.deepEqual(
            problems.map((p) => p.tool),
            ["kubectl", "curl"],
        );
        assert.match(problems[0].message, /kubectl is not on PATH \(needed for the Flux holds, the waits and the restores\)/);
        assert.match(problems[0].install, /https:\/\/dl\.k8s\.io\/release\/v1\.36\.3\/bin\/\w+\/\w+\/kubectl/);
        assert.match(problems[1].install, /curl/);
    });

    it("Scenario 5 (a running cluster) needs only kubectl", () => {
        const existing = prodConfig(
            { clusterMode: "existing", existingClusterKubeconfig: "kind: Config", veleroIncludedNamespaces: ["umami"] },
            ["existingClusterKubeconfig"],
        );
        assert.deepEqual(
            requiredTools(existing).map((t) => t.name),
            ["kubectl"],
        );
    });

    it("a real run throws a ToolError (a RunError: no stack trace) listing every problem; under mocks it does nothing", () => {
        withFakeBin({ talosctl: talosctl("v1.12.4") }, (dir) => {
            assert.throws(
                () => preflightTools(config, false, pathProbe(dir)),
                (e: unknown) =>
                    e instanceof ToolError &&
                    e instanceof pulumi.RunError &&
                    /^3 required tools are missing or the wrong version; nothing was changed:\n {2}- talosctl on PATH is v1\.12\.4.*Install: curl -fsSLo/.test(
                        e.message,
                    ) &&
                    e.problems.length === 3,
            );
            assert.doesNotThrow(() => preflightTools(config, true, pathProbe(dir)));
        });
    });

    it("the rehearsal reports a wrong talosctl without stopping", async () => {
        const saved = process.env.PATH;
        let stdout = "";
        let code: number;
        try {
            code = await withFakeBin({ talosctl: talosctl("v1.12.4") }, async (dir) => {
                process.env.PATH = `${dir}:${saved}`;
                return main([], { stdout: (t) => (stdout += t), stderr: () => undefined });
            });
        } finally {
            process.env.PATH = saved;
        }
        assert.equal(code, 0);
        assert.match(
            stdout,
            /Tools: a real pulumi up or preview would stop here, before registering anything:\n {2}! talosctl on PATH is v1\.12\.4; this stack needs v1\.13\.8 \(talosVersion\)\. Install: curl /,
        );
        assert.match(stdout, /Stack outputs:/);
    });
});
