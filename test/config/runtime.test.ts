import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

const root = path.resolve(__dirname, "../..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));

/**
 * What `pulumi up` does before it runs a line of the program: the nodejs language host starts
 * node with the project's `nodeargs`, and with `typescript: true` registers ts-node itself, with
 * the options of @pulumi/pulumi's cmd/run/run.js (type-checking unless PULUMI_NODEJS_TRANSPILE_ONLY).
 */
function loadAsPulumiDoes(module: string) {
    const options = project.runtime?.options ?? {};
    const nodeargs = typeof options.nodeargs === "string" ? options.nodeargs.split(/\s+/).filter(Boolean) : [];
    const register =
        options.typescript === false
            ? ""
            : 'require("ts-node").register({ compiler: "typescript", transpileOnly: undefined, project: "tsconfig.json", skipProject: false, compilerOptions: {} });';
    return spawnSync(process.execPath, [...nodeargs, "-e", `${register} require(${JSON.stringify(module)}); console.log("loaded");`], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
    });
}

describe("project: how Pulumi runs the program", () => {
    it("loads under Pulumi's own ts-node registration, type-checked (a second ts-node in nodeargs breaks every pulumi up)", () => {
        const r = loadAsPulumiDoes("./config/load.ts");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stdout.trim(), "loaded");
    });

    it("refreshes before every update, so a server deleted in the cloud is recreated by a plain pulumi up (Scenario 1)", () => {
        assert.equal(project.options?.refresh, "always");
        assert.equal(project.main, "index.ts");
    });
});
