import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StackConfigError, loadStackConfig, parseConfigPath, parseOverride } from "../../rehearsal/stackConfig";

const made: string[] = [];

function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "platform-dr-stack-"));
    made.push(dir);
    for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
}

const PROJECT =
    "name: platform-dr\nruntime: nodejs\nconfig:\n  workerCount:\n    type: integer\n    default: 3\n  firewallSources:\n    type: array\n    items: {type: string}\n    default: []\n";

describe("rehearsal: stack config", () => {
    after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    it("parses pulumi config --path syntax", () => {
        assert.deepEqual(parseConfigPath("a"), ["a"]);
        assert.deepEqual(parseConfigPath("hcloud:token"), ["hcloud:token"]);
        assert.deepEqual(parseConfigPath("a.b[2].c"), ["a", "b", 2, "c"]);
        assert.deepEqual(parseConfigPath('a["x.y"]'), ["a", "x.y"]);
        for (const bad of ["", ".a", "a.", "a[x]", "a..b", "[0]"]) {
            assert.throws(() => parseConfigPath(bad), StackConfigError, bad);
        }
    });

    it("rejects an override without '=' and never echoes a secret value", () => {
        assert.throws(() => parseOverride("workerCount", false), /--set "workerCount": expected PATH=VALUE/);
        assert.equal(parseOverride("a=b=c", false).value, "b=c");
    });

    it("layers Pulumi.yaml defaults, the stack file and overrides like the CLI", () => {
        const dir = project({
            "Pulumi.yaml": PROJECT,
            "Pulumi.dev.yaml": 'config:\n  platform-dr:workerCount: "5"\n  hcloud:token:\n    secure: v1:abc\n',
        });
        const c = loadStackConfig(dir, "dev", [
            { path: "firewallSources[0]", value: "203.0.113.7/32", secret: false },
            { path: "sopsAgeKey", value: "AGE-SECRET-KEY-1X", secret: true },
        ]);
        assert.equal(c.values["platform-dr:workerCount"], "5");
        assert.equal(c.values["platform-dr:firewallSources"], '["203.0.113.7/32"]');
        assert.equal(c.values["hcloud:token"], "rehearsal-placeholder:hcloud:token");
        assert.deepEqual(c.secretKeys, ["hcloud:token", "platform-dr:sopsAgeKey"]);
        assert.deepEqual(c.encryptedPlaceholders, ["hcloud:token"]);
    });

    it("names the file and line of invalid YAML", () => {
        const dir = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config:\n  a: [1,\n  b: 2\n" });
        assert.throws(() => loadStackConfig(dir, "dev"), /Pulumi\.dev\.yaml:\d+: invalid YAML/);
    });

    it("says which stack file is missing", () => {
        const dir = project({ "Pulumi.yaml": PROJECT });
        assert.throws(() => loadStackConfig(dir, "nope"), /no stack file .*Pulumi\.nope\.yaml/);
        assert.throws(() => loadStackConfig(dir, "../etc"), /stack name/);
    });

    it("refuses to index into something that is not a list", () => {
        const dir = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config: {}\n" });
        assert.throws(
            () => loadStackConfig(dir, "dev", [{ path: "workerCount[0]", value: "1", secret: false }]),
            /plain value, not a map or list/,
        );
    });
});
