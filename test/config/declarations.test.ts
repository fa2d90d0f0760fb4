import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { UNDECLARABLE_KEYS, knownConfigKeys, validateConfig } from "../../config";
import { projectDefaults } from "../../config/declarations";
import { ProblemCollector } from "../../config/problems";
import { ConfigReader } from "../../config/reader";
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
            const d = decl.default;
            const typed =
                d === undefined ||
                (decl.type === "string" && typeof d === "string") ||
                (decl.type === "integer" && Number.isInteger(d)) ||
                (decl.type === "boolean" && typeof d === "boolean") ||
                (decl.type === "array" && Array.isArray(d) && d.every((e) => typeof e === "string"));
            assert.ok(typed, `${key}: the default ${JSON.stringify(d)} is not a ${decl.type}`);
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

/** The rows of the README's "Config reference" table: the keys of each row and its default cell. */
function readmeConfigRows(): { keys: string[]; cell: string; line: number }[] {
    const lines = fs.readFileSync(path.join(root, "README.md"), "utf8").split("\n");
    const start = lines.indexOf("## Config reference");
    assert.ok(start >= 0, 'README.md has no "## Config reference" section');
    const rows: { keys: string[]; cell: string; line: number }[] = [];
    for (let i = start + 1; i < lines.length && !lines[i].startsWith("## "); i++) {
        // Cells split at pipes that are not escaped (`\|` is a pipe inside a cell).
        const cells = lines[i].split(/(?<!\\)\|/).map((c) => c.trim());
        if (!lines[i].startsWith("| `") || cells.length < 4) {
            continue;
        }
        rows.push({ keys: [...cells[1].matchAll(/`([^`]+)`/g)].map((m) => m[1]), cell: cells[2].replace(/\\\|/g, "|"), line: i + 1 });
    }
    return rows;
}

/** Splits a default cell into one part per key: at ", " outside code spans and parentheses. */
function splitParts(cell: string): string[] {
    const parts: string[] = [];
    let depth = 0;
    let code = false;
    let current = "";
    for (let i = 0; i < cell.length; i++) {
        const c = cell[i];
        code = c === "`" ? !code : code;
        depth += !code && c === "(" ? 1 : !code && c === ")" ? -1 : 0;
        if (!code && depth === 0 && cell.startsWith(", ", i)) {
            parts.push(current);
            current = "";
            i++;
            continue;
        }
        current += c;
    }
    return [...parts, current].map((p) => p.trim());
}

/** The code spans of a default part before its first remark in parentheses: what it claims the default is. */
function claimed(part: string): string[] {
    const spans: string[] = [];
    for (const piece of part.split(/(`[^`]*`)/)) {
        if (piece.startsWith("`")) {
            spans.push(piece.slice(1, -1));
        } else if (piece.includes("(")) {
            break;
        }
    }
    return spans;
}

describe("config: the README's config reference", () => {
    const rows = readmeConfigRows();
    const documented = rows.flatMap((r) => r.keys);

    it("lists every declared key once", () => {
        const secrets = Object.entries(declared)
            .filter(([, d]) => /^SECRET/.test(d.description ?? ""))
            .map(([k]) => k);
        const missing = Object.keys(declared).filter((k) => !documented.includes(k) && !secrets.includes(k));
        assert.deepEqual(missing, [], "declared keys missing from README.md's config reference");
        assert.deepEqual(
            documented.filter((k, i) => documented.indexOf(k) !== i),
            [],
            "keys listed twice",
        );
        assert.deepEqual(
            documented.filter((k) => !(k in declared) && !UNDECLARABLE_KEYS.includes(k)),
            [],
            "README keys that Pulumi.yaml does not declare",
        );
    });

    it("shows each declared default by value, exactly as Pulumi.yaml has it", () => {
        const wrong: string[] = [];
        for (const row of rows) {
            const parts = row.keys.length === 1 ? [row.cell] : splitParts(row.cell);
            if (parts.length !== row.keys.length) {
                wrong.push(`README.md:${row.line}: ${parts.length} defaults for ${row.keys.length} keys (${row.keys.join(", ")})`);
                continue;
            }
            row.keys.forEach((key, i) => {
                const value = declared[key]?.default;
                const shown = claimed(parts[i]);
                if (value === undefined || value === "") {
                    // No declared default: unset, or derived from other keys (the cell says how).
                    return;
                }
                const expected = Array.isArray(value) ? value.map(String) : [String(value)];
                const matches =
                    (Array.isArray(value) && shown.length === 1 && JSON.stringify(parse(shown[0])) === JSON.stringify(value)) ||
                    JSON.stringify(shown) === JSON.stringify(expected);
                if (!matches) {
                    wrong.push(`README.md:${row.line}: ${key} shows ${JSON.stringify(shown)}, Pulumi.yaml has ${JSON.stringify(value)}`);
                }
            });
        }
        assert.deepEqual(wrong, []);
    });
});

describe("config: declared defaults (config/declarations.ts)", () => {
    it("reads a Pulumi.yaml's defaults as Pulumi hands them over: scalars as text, lists parsed, `value` too", () => {
        const defaults = projectDefaults(
            parse(
                "config:\n  a: {type: integer, default: 3}\n  b: {type: boolean, default: false}\n  c: {type: array, default: [x, y]}\n" +
                    "  d: {type: string}\n  e: short\n  f: {value: fixed}\n  g: {type: string, default: ''}\n",
            ),
        );
        assert.deepEqual(defaults, { a: "3", b: "false", c: ["x", "y"], e: "short", f: "fixed", g: "" });
    });

    it("gives an unset or empty key its declared default, and a bad value falls back to it with a problem", () => {
        const problems = new ProblemCollector();
        const reader = new ConfigReader({ values: { count: "", limit: "lots" }, secretKeys: new Set() }, problems, {
            count: "3",
            limit: "10",
            name: "prod",
        });
        assert.equal(reader.string("name"), "prod");
        assert.equal(reader.integer("count", { min: 1 }), 3);
        assert.equal(reader.integer("limit"), 10);
        assert.deepEqual(
            problems.problems.map((p) => [p.key, p.message]),
            [["limit", "must be an integer"]],
        );
        assert.equal(reader.string("undeclared"), "");
        assert.match(problems.problems[1].message, /is required/);
    });

    it("the project's own declarations are what validation uses: an empty stack gets Pulumi.yaml's values", () => {
        const result = validateConfig(validProdRaw({ dnsTtl: undefined, r2Bucket: undefined, fluxKustomizations: undefined }));
        assert.ok(result.ok);
        assert.equal(result.config.dns?.ttl, declared.dnsTtl.default);
        assert.equal(result.config.storage?.bucket, declared.r2Bucket.default);
        assert.deepEqual(
            result.config.gitops.kustomizations.map((k) => k.name),
            (declared.fluxKustomizations.default as string[]).map((k) => k.split(" ")[0]),
        );
        assert.equal(result.config.gitops.kustomizations[1].timeoutSeconds, 25 * 60, "infrastructure-controllers timeout=25m");
    });
});
