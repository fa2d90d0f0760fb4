import * as fs from "fs";
import * as path from "path";

/** Where the shell scripts live: `scripts/<area>/<name>.sh`, shared pieces in `scripts/lib/`. */
export const SCRIPTS_DIR = path.join(__dirname, "..", "scripts");

/** A line that sources a shared piece: `. "${SCRIPTS_LIB:?}/<file>.sh"` (ShellCheck follows it). */
const SOURCE_LIB = /^\.\s+"\$\{SCRIPTS_LIB:\?\}\/([A-Za-z0-9._-]+\.sh)"\s*$/;

/**
 * The text of `scripts/<relative>`, read at run time, with each `. "${SCRIPTS_LIB:?}/x.sh"` line
 * replaced by `scripts/lib/x.sh` (recursively, each piece once): the command Pulumi stores is
 * self-contained, so a real run never depends on where the project is checked out.
 */
export function loadScript(relative: string): string {
    return inline(path.join(SCRIPTS_DIR, relative), new Set());
}

function inline(file: string, seen: Set<string>): string {
    const text = fs.readFileSync(file, "utf8");
    return text
        .split("\n")
        .map((line) => {
            const m = SOURCE_LIB.exec(line);
            if (!m) {
                return line;
            }
            const lib = path.join(SCRIPTS_DIR, "lib", m[1]);
            if (seen.has(lib)) {
                return "";
            }
            seen.add(lib);
            return inline(lib, seen).replace(/\n$/, "");
        })
        .join("\n");
}
