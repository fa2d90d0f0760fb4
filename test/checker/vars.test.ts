import { strict as assert } from "assert";
import * as path from "path";
import { collectVariables, parseVarArgument, parseVarsFile } from "../../checker/vars";
import { tempTree } from "./support";

describe("checker: --var and --vars-from", () => {
    it("--var takes name=value; the value may be empty or hold '='", () => {
        assert.deepEqual(parseVarArgument("replicas=3"), { name: "replicas", value: "3" });
        assert.deepEqual(parseVarArgument("empty="), { name: "empty", value: "" });
        assert.deepEqual(parseVarArgument("url=a=b"), { name: "url", value: "a=b" });
        assert.deepEqual(parseVarArgument("replicas"), { error: '--var "replicas" must be name=value' });
        assert.match((parseVarArgument("1st=x") as { error: string }).error, /"1st" is not a valid variable name/);
        assert.match((parseVarArgument("a.b=x") as { error: string }).error, /"a\.b" is not a valid variable name/);
    });

    it("a ConfigMap's data are variables", () => {
        const text = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: variables-cluster}\ndata:\n  cluster_name: prod\n  replicas: "2"\n';
        assert.deepEqual(parseVarsFile(text, "cm.yaml"), { variables: { cluster_name: "prod", replicas: "2" } });
    });

    it("a Secret's data are base64-decoded, stringData taken as written, and later documents win", () => {
        const text = [
            'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: base}\ndata: {domain: example.org, replicas: "1"}',
            `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: ${Buffer.from("s3cr3t").toString("base64")}\n  replicas: ${Buffer.from("3").toString("base64")}\nstringData:\n  plain: text`,
        ].join("\n---\n");
        assert.deepEqual(parseVarsFile(text, "v.yaml"), {
            variables: { domain: "example.org", replicas: "3", token: "s3cr3t", plain: "text" },
        });
    });

    it("bad files are refused with file, line and key, never with a secret value", () => {
        const text = "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n  token: not*base64\n  bad-name: eA==\n";
        const result = parseVarsFile(text, "s.yaml") as { errors: string[] };
        assert.deepEqual(result.errors, [
            "s.yaml:5: data.token is not base64 (Secret data is base64; put plain text under stringData)",
            "s.yaml:6: data.bad-name is not a valid variable name (letters, digits and _, not starting with a digit)",
        ]);
        assert.doesNotMatch(result.errors.join("\n"), /not\*base64/);
        const number = parseVarsFile("apiVersion: v1\nkind: ConfigMap\ndata:\n  replicas: 2\n", "n.yaml") as { errors: string[] };
        assert.deepEqual(number.errors, ["n.yaml:4: data.replicas must be a string (quote it), as the API server requires"]);
        const deployment = parseVarsFile("apiVersion: apps/v1\nkind: Deployment\n", "d.yaml") as { errors: string[] };
        assert.match(deployment.errors[0], /^d\.yaml:1: --vars-from takes ConfigMaps and Secrets/);
        assert.deepEqual((parseVarsFile("", "e.yaml") as { errors: string[] }).errors, [
            "e.yaml: no variables in it (a ConfigMap with data, or a Secret with data or stringData)",
        ]);
    });

    it("a SOPS-encrypted Secret (as the platform keeps them) is refused with the command that decrypts it", () => {
        const text =
            "apiVersion: v1\nkind: Secret\nmetadata: {name: variables-cluster}\nstringData:\n  token: ENC[AES256_GCM,data:x]\nsops:\n  version: 3.13.3\n";
        assert.deepEqual((parseVarsFile(text, "secret.enc.yaml") as { errors: string[] }).errors, [
            "secret.enc.yaml:1: the Secret is SOPS-encrypted; decrypt it first (sops -d secret.enc.yaml > plain.yaml) and pass that file",
        ]);
    });

    it("--var wins over every --vars-from file, later files over earlier ones; every problem is listed at once", () => {
        const tree = tempTree({
            "a.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: {x: a, y: a, z: a}\n",
            "b.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: {y: b, z: b}\n",
        });
        try {
            const files = [path.join(tree.root, "a.yaml"), path.join(tree.root, "b.yaml")];
            assert.deepEqual(collectVariables(["z=cli"], files), { variables: { x: "a", y: "b", z: "cli" } });
            const bad = collectVariables(["nope"], [path.join(tree.root, "missing.yaml")]) as { errors: string[] };
            assert.equal(bad.errors.length, 2);
            assert.match(bad.errors[0], /cannot read --vars-from .*missing\.yaml: no such file or directory/);
        } finally {
            tree.cleanup();
        }
    });
});
