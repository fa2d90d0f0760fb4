import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { UNDECLARABLE_KEYS, knownConfigKeys, validateConfig } from "../../config";
import { validProdRaw } from "../support/config";

const root = path.resolve(__dirname, "../..");
const project = parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
const declared: Record<string, { type?: string; secret?: boolean; default?: unknown; description?: string }> = project.config;

describe("config: Pulumi.yaml declarations", () => {
    it("declares every key the program reads, and nothing else", () => {
        const read = knownConfigKeys().filter((k) => !k.includes(":") && !UNDECLARABLE_KEYS.includes(k));
        assert.deepEqual(Object.keys(declared).sort(), read);
    });

    it("gives every key a type and a description; secrets have no real default", () => {
        for (const [key, decl] of Object.entries(declared)) {
            assert.ok(decl.type && decl.description, `${key} lacks a type or a description`);
            if (decl.type === "array") {
                assert.ok((decl as { items?: unknown }).items, `${key}: arrays need items`);
            }
            if (decl.secret || /^SECRET/.test(decl.description ?? "")) {
                assert.ok(decl.default === undefined || decl.default === "", `${key} is a secret with a default`);
            }
        }
    });

    it("keeps secrets out of the stack files in plain text", () => {
        const secretKeys = Object.entries(declared)
            .filter(([, d]) => d.secret || /^SECRET/.test(d.description ?? ""))
            .map(([k]) => `platform-dr:${k}`);
        for (const file of fs.readdirSync(root).filter((f) => /^Pulumi\..+\.yaml$/.test(f))) {
            const stack = parse(fs.readFileSync(path.join(root, file), "utf8"))?.config ?? {};
            for (const key of [...secretKeys, "hcloud:token", "cloudflare:apiToken", "github:token"]) {
                const value = stack[key];
                assert.ok(value === undefined || (typeof value === "object" && "secure" in value), `${file}: ${key} is in plain text`);
            }
        }
    });

    it("names each restore setting after its config key (what the README and pulumi config call it)", () => {
        const result = validateConfig(validProdRaw());
        assert.ok(result.ok);
        const unnamed = Object.keys(result.config.restore).filter((k) => !(k in declared));
        assert.deepEqual(unnamed, [], "RestoreConfig fields without a config key of that name");
    });
});
