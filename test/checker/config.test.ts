import { strict as assert } from "assert";
import * as path from "path";
import { loadConfig, parseConfig } from "../../checker/config";
import { tempTree } from "./support";

describe("checker: --config file", () => {
    it("accepts YAML with patterns and exemption objects", () => {
        const text = `replicaThreshold: 3
defaultNamespace: apps
exemptions:
  - kube-system/*
  - name: coredns
  - namespace: flux-system
    name: "*-controller"
rules:
  workload-has-pdb: error
  pdb-allows-disruption: warning
  rolling-update-max-unavailable-zero: off
`;
        assert.deepEqual(parseConfig(text, "c.yaml"), {
            options: {
                replicaThreshold: 3,
                defaultNamespace: "apps",
                exemptions: [
                    { namespace: "kube-system", name: "*" },
                    { name: "coredns" },
                    { namespace: "flux-system", name: "*-controller" },
                ],
                rules: { "workload-has-pdb": "error", "pdb-allows-disruption": "warning", "rolling-update-max-unavailable-zero": "off" },
            },
        });
    });

    it("accepts JSON, and an empty file means defaults", () => {
        assert.deepEqual(parseConfig('{"replicaThreshold": 2}', "c.json"), {
            options: { replicaThreshold: 2, defaultNamespace: undefined, exemptions: undefined, rules: undefined },
        });
        assert.deepEqual(parseConfig("", "c.yaml"), {
            options: { replicaThreshold: undefined, defaultNamespace: undefined, exemptions: undefined, rules: undefined },
        });
    });

    it("names the file, the line and the field of every mistake", () => {
        const text = `replicaThreshold: 0
defaultNamespace: ""
rules:
  workload-has-pdb: fatal
  no-such-rule: off
exemptions:
  - kube-system
  - {}
  - {namespace: a, nme: b}
  - 5
replicaTreshold: 2
`;
        assert.deepEqual((parseConfig(text, "cfg.yaml") as { errors: string[] }).errors, [
            "cfg.yaml:1: replicaThreshold must be >= 1",
            "cfg.yaml:2: defaultNamespace must NOT have fewer than 1 characters",
            "cfg.yaml:4: rules.workload-has-pdb must be one of error, warning, off",
            "cfg.yaml:5: rules.no-such-rule is not a known setting (known rules: workload-has-pdb, pdb-allows-disruption, rolling-update-max-unavailable-zero)",
            'cfg.yaml:7: exemptions[0] must look like "namespace/name" (globs allowed, e.g. "kube-system/*")',
            "cfg.yaml:8: exemptions[1] must give a namespace, a name, or both",
            "cfg.yaml:9: exemptions[2].nme is not a known setting",
            'cfg.yaml:10: exemptions[3] must be a "namespace/name" pattern or a mapping with namespace and/or name',
            "cfg.yaml:11: replicaTreshold is not a known setting",
        ]);
    });

    it("wrong types and invalid YAML are reported, not thrown", () => {
        assert.deepEqual(parseConfig("- 1\n", "c.yaml"), { errors: ["c.yaml:1: (the top level) must be a mapping"] });
        assert.deepEqual(parseConfig("replicaThreshold: two\n", "c.yaml"), {
            errors: ["c.yaml:1: replicaThreshold must be a whole number"],
        });
        assert.deepEqual(parseConfig("rules: [1\n", "c.yaml"), {
            errors: ["c.yaml:2: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]"],
        });
    });

    it("a missing file is named", () => {
        const tree = tempTree({});
        try {
            const missing = path.join(tree.root, "nope.yaml");
            assert.deepEqual(loadConfig(missing), { errors: [`cannot read config ${missing}: no such file or directory`] });
        } finally {
            tree.cleanup();
        }
    });
});
