import * as fs from "fs";
import * as path from "path";

/** Where the shell scripts live: `scripts/<area>/<name>.sh`, shared pieces in `scripts/lib/`. */
export const SCRIPTS_DIR = path.join(__dirname, "..", "scripts");

/** A line that sources a shared piece: `. "${SCRIPTS_LIB:?}/<file>.sh"` (ShellCheck follows it). */
const SOURCE_LIB = /^\s*\.\s+"\$\{SCRIPTS_LIB:\?\}\/([A-Za-z0-9._-]+\.sh)"\s*$/;

/** A lib piece's dialect line (`# shellcheck shell=sh`) or shebang: for ShellCheck alone, dropped when inlined. */
const LIB_HEADER = /^(#!.*|# shellcheck shell=\w+)$/;

const loaded = new Map<string, string>();

/**
 * The text of `scripts/<relative>`, read at run time, with each `. "${SCRIPTS_LIB:?}/x.sh"` line
 * replaced by `scripts/lib/x.sh` (recursively, each piece once): the command Pulumi stores is
 * self-contained, so a real run never depends on where the project is checked out. Any other
 * mention of SCRIPTS_LIB is refused: it would be unset when the command runs.
 */
export function loadScript(relative: string): string {
    let text = loaded.get(relative);
    if (text === undefined) {
        text = inline(path.join(SCRIPTS_DIR, relative), new Set());
        const stray = text.split("\n").findIndex((line) => line.includes("SCRIPTS_LIB"));
        if (stray >= 0) {
            throw new Error(
                `scripts/${relative}: line ${stray + 1} of the inlined script uses SCRIPTS_LIB outside a '. "\${SCRIPTS_LIB:?}/x.sh"' line`,
            );
        }
        loaded.set(relative, text);
    }
    return text;
}

function inline(file: string, seen: Set<string>, isLib = false): string {
    const lines = fs.readFileSync(file, "utf8").replace(/\n$/, "").split("\n");
    return lines
        .filter((line, i) => !(isLib && i === 0 && LIB_HEADER.test(line)))
        .map((line) => {
            const m = SOURCE_LIB.exec(line);
            if (!m) {
                return line;
            }
            const lib = path.join(SCRIPTS_DIR, "lib", m[1]);
            if (seen.has(lib)) {
                return undefined;
            }
            seen.add(lib);
            return inline(lib, seen, true);
        })
        .filter((line): line is string => line !== undefined)
        .join("\n")
        .concat(isLib ? "" : "\n");
}
