import { strict as assert } from "assert";
import { expandVariables, lookupFrom } from "../../gitops/variables";

const vars = lookupFrom({ domain: "example.org", empty: "", replicas: "2" });

describe("gitops/variables: ${var} expansion", () => {
    it("expands ${var}, and defaults with := and :- when unset or empty", () => {
        const text = "host: ${domain}\nr: ${replicas:=1}\nn: ${missing:=3}\nm: ${missing:-4}\ne: ${empty:-5}\nf: ${empty:=6}";
        const result = expandVariables(text, vars);
        assert.equal(result.text, "host: example.org\nr: 2\nn: 3\nm: 4\ne: 5\nf: 6");
        assert.deepEqual(result.issues, []);
        assert.deepEqual(result.used, ["domain", "replicas", "empty"]);
    });

    it("without a colon, a default applies only when the variable is unset, not when it is empty", () => {
        assert.equal(expandVariables("[${empty-x}][${missing-y}][${empty=z}]", vars).text, "[][y][]");
    });

    it("leaves a bare $var alone (scripts in manifests use it)", () => {
        const result = expandVariables("echo $domain $HOME ${domain}", vars);
        assert.equal(result.text, "echo $domain $HOME example.org");
        assert.deepEqual(result.issues, []);
    });

    it("reports an unresolved variable with its line and column, keeping it or emptying it as asked", () => {
        const text = "a: 1\nb: x-${nope}\nc: ${domain}";
        const kept = expandVariables(text, vars);
        assert.equal(kept.text, "a: 1\nb: x-${nope}\nc: example.org");
        assert.deepEqual(kept.issues, [{ kind: "unresolved", name: "nope", expression: "${nope}", line: 2, column: 6 }]);
        assert.equal(expandVariables(text, vars, { unresolved: "empty" }).text, "a: 1\nb: x-\nc: example.org");
    });

    it("expands ${...} inside a default, and reports lines of problems inside it", () => {
        assert.equal(expandVariables("u: ${missing:=https://${domain}/x}", vars).text, "u: https://example.org/x");
        const nested = expandVariables("\n  u: ${missing:=${also_missing}}", vars);
        assert.deepEqual(nested.issues, [{ kind: "unresolved", name: "also_missing", expression: "${also_missing}", line: 2, column: 17 }]);
    });

    it("reports forms it does not evaluate (non-identifiers, substrings, replacements) and leaves them as written", () => {
        const text = "n: ${schema.spec.name}\np: ${domain:1:2}\nr: ${domain/a/b}\nl: ${#domain}\nu: ${open";
        const result = expandVariables(text, vars);
        assert.equal(result.text, text);
        assert.deepEqual(
            result.issues.map((i) => [i.kind, i.name, i.line]),
            [
                ["unsupported", "schema.spec.name", 1],
                ["unsupported", "domain", 2],
                ["unsupported", "domain", 3],
                ["unsupported", "#domain", 4],
                ["unsupported", "open", 5],
            ],
        );
    });

    it("writes Flux's $${var} escape as a literal ${var} only when asked", () => {
        assert.equal(expandVariables("a: $${domain} b: ${domain}", vars, { dollarEscape: true }).text, "a: ${domain} b: example.org");
        assert.equal(expandVariables("a: $${domain}", vars).text, "a: $example.org");
    });

    it("never treats inherited object properties as variables", () => {
        const result = expandVariables("${constructor} ${toString:-d}", vars);
        assert.equal(result.text, "${constructor} d");
        assert.equal(result.issues.length, 1);
    });
});
