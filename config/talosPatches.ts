/**
 * The platform's own Talos patches (`talosPatchDir`, the `talos/` directory of its GitOps repo),
 * read as ksail reads them and checked before anything is registered:
 * - layout and order: `cluster/` (every node), then `control-planes/` or `workers/`; only the
 *   `*.yaml`/`*.yml` files directly inside each, in lexical order;
 * - `${VAR}`, `${VAR:-default}`, `${VAR:=default}` expanded in the file text before parsing, from the
 *   secret config map `talosPatchVariables` (the project's one expander, gitops/variables.ts). Unlike
 *   ksail, a variable used outside comments with no value and no default is a config problem;
 * - every document parses, its kind is known to Talos, and every field exists (config/talosSchema.ts).
 * Expanded texts are secret when they use a variable.
 */
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { Document, LineCounter, parseAllDocuments, visit } from "yaml";
import { expandVariables } from "../gitops/variables";
import { ConfigReader, PLACEHOLDER_PREFIX } from "./reader";
import { V1ALPHA1, checkTalosDocument } from "./talosSchema";

/** The project root (where Pulumi.yaml lives): `talosPatchDir` is relative to it. */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** ksail's patch directories, in the order their files apply. */
const TALOS_PATCH_DIRECTORIES = ["cluster", "control-planes", "workers"] as const;
/** One of ksail's patch directories. */
type TalosPatchDirectory = (typeof TALOS_PATCH_DIRECTORIES)[number];

/** When all three exist, ksail adds no default ingress firewall (the patches bring their own). */
const KSAIL_FIREWALL_FILES = Object.freeze([
    "cluster/ingress-firewall-default-action.yaml",
    "control-planes/ingress-firewall-rules.yaml",
    "workers/ingress-firewall-rules.yaml",
]);
/** When both exist, ksail adds no kubelet serving-certificate rotation and approver. */
const KSAIL_CERT_ROTATION_FILES = Object.freeze(["cluster/kubelet-cert-rotation.yaml", "cluster/kubelet-csr-approver.yaml"]);

/** One document of a patch file. */
interface TalosPatchDocument {
    /** `v1alpha1` (a strategic-merge patch of the machine config) or the multi-document kind. */
    readonly kind: string;
    /** The document's name, for named kinds. */
    readonly name?: string;
    /** A kind Talos accepts but leaves out of its published schema (e.g. ImageVerificationConfig). */
    readonly unpublished?: boolean;
}

/** One patch file of the platform, checked and expanded. */
export interface TalosPatchFile {
    /** Which of ksail's directories it is in. */
    readonly directory: TalosPatchDirectory;
    /** Its path inside the patch directory, e.g. `cluster/enable-apparmor.yaml`. */
    readonly file: string;
    /** Its documents, in order. */
    readonly documents: readonly TalosPatchDocument[];
    /** Variables used outside comments, sorted (names only, never values). */
    readonly variables: readonly string[];
    /** Deprecated fields it sets that Talos still reads (e.g. `machine.network.interfaces`). */
    readonly deprecated: readonly string[];
    /** True when it sets `machine.install.extraKernelArgs`. */
    readonly setsKernelArgs: boolean;
    /** The file's text with variables expanded; secret when it uses any. */
    readonly text: pulumi.Output<string>;
}

/** The platform's patches. */
export interface TalosPatchSet {
    /** `talosPatchDir` as configured (relative to the project root). */
    readonly dir: string;
    /** Rehearsal only: the directory is missing and the plan shows no platform patches (listed as a placeholder). */
    readonly placeholder: boolean;
    /** Every patch file: `cluster/` first, then `control-planes/`, then `workers/`, each in lexical order. */
    readonly files: readonly TalosPatchFile[];
    /** All of KSAIL_FIREWALL_FILES exist: no default ingress firewall is added. */
    readonly ownIngressFirewall: boolean;
    /** Both of KSAIL_CERT_ROTATION_FILES exist: no kubelet serving-certificate rotation and approver are added. */
    readonly ownKubeletCertRotation: boolean;
}

/** The patch files a node of this role gets, in order: `cluster/`, then its own directory. */
export function patchFilesFor(set: TalosPatchSet, role: "control-plane" | "worker"): TalosPatchFile[] {
    const own: TalosPatchDirectory = role === "control-plane" ? "control-planes" : "workers";
    return [...set.files.filter((f) => f.directory === "cluster"), ...set.files.filter((f) => f.directory === own)];
}

/** One use of a variable that has no value and no default, outside comments. */
interface UnsetVariable {
    readonly name: string;
    readonly line: number;
}

/** The result of reading one patch file (pure; see `parsePatchFile`). */
interface ParsedPatchFile {
    readonly documents: TalosPatchDocument[];
    readonly variables: string[];
    readonly unset: UnsetVariable[];
    readonly deprecated: string[];
    readonly setsKernelArgs: boolean;
    /** `machine.install.grubUseUKICmdline` as the file sets it, if it does. */
    readonly grubUseUKICmdline?: boolean;
    readonly problems: string[];
    /** The expanded text (plain: the caller wraps it as a secret). */
    readonly expanded: string;
}

function lineOf(counter: LineCounter, offset: number | undefined): number {
    return offset === undefined ? 0 : counter.linePos(offset).line;
}

function firstLine(message: string): string {
    return message.split("\n")[0].replace(/:$/, "");
}

/** The line of the deepest node on an issue's path that the document has (the field, or the nearest parent). */
function lineOfPath(doc: Document, counter: LineCounter, segments: readonly (string | number)[]): number {
    for (let n = segments.length; n > 0; n--) {
        const node = doc.getIn(segments.slice(0, n), true) as { range?: [number, number, number] } | undefined;
        if (node?.range) {
            return lineOf(counter, node.range[0]);
        }
    }
    return lineOf(counter, doc.contents?.range?.[0]);
}

/**
 * Reads one patch file's text: parses it as written (syntax errors name the line), finds the
 * variables used outside comments (in keys and values; a comment is never part of the config),
 * expands them as ksail does, parses the result and checks each document against Talos's schema.
 * `values` are the plain variable values; nothing in a message ever echoes one.
 */
function parsePatchFile(text: string, values: Readonly<Record<string, string>>): ParsedPatchFile {
    const empty = { documents: [], variables: [], unset: [], deprecated: [], setsKernelArgs: false, expanded: text };
    const rawCounter = new LineCounter();
    const raw = parseAllDocuments(text, { lineCounter: rawCounter, prettyErrors: false });
    const rawDocs = Array.isArray(raw) ? raw : [];
    const syntax = rawDocs.flatMap((doc, i) =>
        doc.errors.map((err) => `document ${i + 1}, line ${lineOf(rawCounter, err.pos[0])}: invalid YAML: ${firstLine(err.message)}`),
    );
    if (syntax.length) {
        return { ...empty, problems: syntax };
    }
    const { used, unset, problems } = variablesInConfig(rawDocs, rawCounter, values);
    const expanded = expandAsKsail(text, values, unset);
    const counter = new LineCounter();
    const docs = parseAllDocuments(expanded, { lineCounter: counter, prettyErrors: false });
    const parsedDocs = Array.isArray(docs) ? docs : [];
    const variables = [...used].sort();
    for (const [i, doc] of parsedDocs.entries()) {
        if (doc.errors.length) {
            // Never the parser's message: it may quote the expanded (secret) value.
            problems.push(
                `document ${i + 1}, line ${lineOf(counter, doc.errors[0].pos[0])}: no longer parses once ${variables.join(", ")} ${variables.length === 1 ? "is" : "are"} expanded; quote the expression in the patch (e.g. "\${${variables[0] ?? "VAR"}}")`,
            );
        }
    }
    if (problems.length) {
        return { ...empty, variables, unset, problems };
    }
    return { ...checkDocuments(parsedDocs, counter), variables, unset, expanded };
}

/**
 * The variables a patch uses in its config (scalars: keys and values; those only in comments are
 * not in the config), the ones without a value, and expressions ksail would not expand.
 */
function variablesInConfig(
    rawDocs: readonly Document.Parsed[],
    rawCounter: LineCounter,
    values: Readonly<Record<string, string>>,
): { used: Set<string>; unset: UnsetVariable[]; problems: string[] } {
    const used = new Set<string>();
    const unset: UnsetVariable[] = [];
    const problems: string[] = [];
    for (const doc of rawDocs) {
        visit(doc, {
            Scalar(_key, node) {
                if (typeof node.value !== "string" || !node.value.includes("${")) {
                    return;
                }
                const line = lineOf(rawCounter, node.range?.[0]);
                const asked = new Set<string>();
                const expansion = expandVariables(node.value, (name) => {
                    asked.add(name);
                    return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : undefined;
                });
                asked.forEach((n) => used.add(n));
                for (const issue of expansion.issues) {
                    if (issue.kind === "unresolved") {
                        unset.push({ name: issue.name, line: line + issue.line - 1 });
                    } else {
                        problems.push(
                            `line ${line + issue.line - 1}: ${issue.expression} is not a variable expression ksail expands (only \${VAR}, \${VAR:-default}, \${VAR:=default})`,
                        );
                    }
                }
            },
        });
    }
    return { used, unset, problems };
}

/**
 * As ksail does: the whole text, before parsing. An unset variable only in comments becomes "";
 * one in the config stands in as a marked placeholder (reported as a problem in a real run, listed
 * in a rehearsal), so the document is still checked as it would be once the value is set.
 */
function expandAsKsail(text: string, values: Readonly<Record<string, string>>, unset: readonly UnsetVariable[]): string {
    const unsetNames = new Set(unset.map((u) => u.name));
    return expandVariables(
        text,
        (name) =>
            Object.prototype.hasOwnProperty.call(values, name)
                ? values[name]
                : unsetNames.has(name)
                  ? `${PLACEHOLDER_PREFIX}talosPatchVariables.${name}`
                  : undefined,
        { unresolved: "empty" },
    ).text;
}

/** Checks each expanded document against Talos's schema, and notes the install fields that matter for kernel arguments. */
function checkDocuments(
    parsedDocs: readonly Document.Parsed[],
    counter: LineCounter,
): Pick<ParsedPatchFile, "documents" | "deprecated" | "setsKernelArgs" | "grubUseUKICmdline" | "problems"> {
    const documents: TalosPatchDocument[] = [];
    const deprecated: string[] = [];
    const problems: string[] = [];
    let setsKernelArgs = false;
    let grubUseUKICmdline: boolean | undefined;
    parsedDocs.forEach((doc, i) => {
        const js: unknown = doc.toJS();
        if (js === null || js === undefined) {
            return; // an empty document (a trailing `---`) patches nothing
        }
        const check = checkTalosDocument(js);
        documents.push({
            kind: check.kind,
            ...(check.name ? { name: check.name } : {}),
            ...(check.unpublished ? { unpublished: true } : {}),
        });
        deprecated.push(...check.deprecated);
        const label = `document ${i + 1} (${check.kind === V1ALPHA1 ? "v1alpha1 patch" : check.kind}${check.name ? ` ${check.name}` : ""})`;
        for (const issue of check.issues) {
            problems.push(`${label}, line ${lineOfPath(doc, counter, issue.segments)}: ${issue.path || "the document"} ${issue.message}`);
        }
        if (check.kind === V1ALPHA1) {
            const install = (js as { machine?: { install?: Record<string, unknown> } }).machine?.install;
            setsKernelArgs ||= Array.isArray(install?.extraKernelArgs) && install.extraKernelArgs.length > 0;
            if (typeof install?.grubUseUKICmdline === "boolean") {
                grubUseUKICmdline = install.grubUseUKICmdline;
            }
        }
    });
    return { documents, deprecated, setsKernelArgs, grubUseUKICmdline, problems };
}

/** The files of one directory ksail reads: regular `*.yaml`/`*.yml` files directly inside, in lexical (byte) order. */
function listPatchFiles(dir: string): string[] {
    return fs
        .readdirSync(dir)
        .filter((name) => /\.ya?ml$/.test(name))
        .filter((name) => {
            try {
                return fs.statSync(path.join(dir, name)).isFile();
            } catch {
                return true; // a dangling symlink: reported as unreadable below
            }
        })
        .sort();
}

/** `talosPatchVariables` as plain values; a rehearsal lists the ones it could not decrypt. */
function readVariables(r: ConfigReader): Record<string, string> {
    return r.secretRecord("talosPatchVariables");
}

/**
 * Reads and checks `talosPatchDir` and `talosPatchVariables`. Problems go to the reader's collector,
 * each naming the file, the document and the field, or the variable and every file using it.
 */
export function readTalosPatches(r: ConfigReader, rebuild: boolean): TalosPatchSet {
    const dir = r.string("talosPatchDir");
    const none: TalosPatchSet = { dir, placeholder: false, files: [], ownIngressFirewall: false, ownKubeletCertRotation: false };
    if (!rebuild) {
        // Scenario 5 builds no node.
        r.declare("talosPatchVariables");
        return none;
    }
    const values = readVariables(r);
    const root = path.resolve(PROJECT_ROOT, dir);
    if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
        const hint = `check out the platform repository so that ${dir} is its talos/ directory (git clone <platform repo> ${path.dirname(dir) === "." ? "." : path.dirname(dir)}), or set talosPatchDir; a real run refuses to start without it`;
        if (r.standIn({ key: "talosPatchDir", secret: false, hint })) {
            return { ...none, placeholder: true };
        }
        r.problem(
            "talosPatchDir",
            dir,
            `is not a directory (${root}): rebuilt nodes would lack the platform's own Talos patches (disk encryption, ingress firewall, OIDC, WireGuard, ...). Check out the platform repository so that it is its talos/ directory, or set talosPatchDir (relative to the project root)`,
        );
        return none;
    }
    const present = TALOS_PATCH_DIRECTORIES.filter(
        (d) => fs.existsSync(path.join(root, d)) && fs.statSync(path.join(root, d)).isDirectory(),
    );
    if (!present.length) {
        r.problem(
            "talosPatchDir",
            dir,
            `has none of ${TALOS_PATCH_DIRECTORIES.map((d) => `${d}/`).join(", ")}: is it the platform's talos/ directory?`,
        );
        return none;
    }

    const { files, unsetUses, kernelArgs, grubByFile } = readPatchFiles(r, dir, root, present, values);
    reportUnsetVariables(r, unsetUses);
    checkKernelArgs(r, dir, files, kernelArgs, grubByFile);

    const names = new Set(files.map((f) => f.file));
    return {
        dir,
        placeholder: false,
        files,
        ownIngressFirewall: KSAIL_FIREWALL_FILES.every((f) => names.has(f)),
        ownKubeletCertRotation: KSAIL_CERT_ROTATION_FILES.every((f) => names.has(f)),
    };
}

/** Reads and checks every patch file of the present directories, in ksail's order; problems go to `r`. */
function readPatchFiles(
    r: ConfigReader,
    dir: string,
    root: string,
    present: readonly TalosPatchDirectory[],
    values: Readonly<Record<string, string>>,
): {
    files: TalosPatchFile[];
    /** Each unset variable and the files (and lines) that use it. */
    unsetUses: Map<string, string[]>;
    kernelArgs: { file: string; directory: TalosPatchDirectory }[];
    grubByFile: Map<string, boolean>;
} {
    const files: TalosPatchFile[] = [];
    const unsetUses = new Map<string, string[]>();
    const kernelArgs: { file: string; directory: TalosPatchDirectory }[] = [];
    const grubByFile = new Map<string, boolean>();
    for (const directory of present) {
        for (const name of listPatchFiles(path.join(root, directory))) {
            const file = `${directory}/${name}`;
            const where = path.join(dir, file);
            let text: string;
            try {
                text = fs.readFileSync(path.join(root, file), "utf8");
            } catch (e) {
                r.problem("talosPatchDir", where, `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
                continue;
            }
            const parsed = parsePatchFile(text, values);
            parsed.problems.forEach((p) => r.problem("talosPatchDir", where, p));
            for (const use of parsed.unset) {
                unsetUses.set(use.name, [...(unsetUses.get(use.name) ?? []), `${file} (line ${use.line})`]);
            }
            if (parsed.setsKernelArgs) {
                kernelArgs.push({ file, directory });
            }
            if (parsed.grubUseUKICmdline !== undefined) {
                grubByFile.set(file, parsed.grubUseUKICmdline);
            }
            files.push({
                directory,
                file,
                documents: parsed.documents,
                variables: parsed.variables,
                deprecated: parsed.deprecated,
                setsKernelArgs: parsed.setsKernelArgs,
                text: parsed.variables.length ? pulumi.secret(parsed.expanded) : pulumi.output(parsed.expanded),
            });
        }
    }

    return { files, unsetUses, kernelArgs, grubByFile };
}

/** A variable the patches use without a value or default: a problem naming every use (a placeholder in a rehearsal). */
function reportUnsetVariables(r: ConfigReader, unsetUses: ReadonlyMap<string, readonly string[]>): void {
    for (const [name, uses] of unsetUses) {
        const key = `talosPatchVariables.${name}`;
        if (r.standIn({ key, secret: true })) {
            continue;
        }
        r.problem(
            key,
            undefined,
            `is not set and has no default, but ${uses.join(", ")} ${uses.length === 1 ? "uses" : "use"} it: set it with \`pulumi config set --secret --path '${key}' <value>\``,
        );
    }
}

/**
 * `machine.install.extraKernelArgs` stays in the machine config; the program does not fold it into
 * the schematic as ksail does, because `talosSchematicId` is a fixed ID already registered at the
 * Image Factory (a new one would have to be posted first). The nodes boot GRUB on Hetzner, which
 * builds the kernel command line on the host only with `grubUseUKICmdline: false`; Talos >= 1.13.4
 * refuses extraKernelArgs with the default (true). So a patch setting extraKernelArgs needs
 * `grubUseUKICmdline: false` in effect after every patch a node gets (the platform's
 * enable-apparmor.yaml sets both).
 */
function checkKernelArgs(
    r: ConfigReader,
    dir: string,
    files: readonly TalosPatchFile[],
    kernelArgs: readonly { file: string; directory: TalosPatchDirectory }[],
    grubByFile: ReadonlyMap<string, boolean>,
): void {
    const refused = new Map<string, { roles: string[]; why: string }>();
    for (const role of ["control-plane", "worker"] as const) {
        const applied = patchFilesFor({ dir, placeholder: false, files, ownIngressFirewall: false, ownKubeletCertRotation: false }, role);
        const last = [...applied].reverse().find((f) => grubByFile.has(f.file));
        if (last && grubByFile.get(last.file) === false) {
            continue;
        }
        for (const k of kernelArgs.filter((k) => applied.some((f) => f.file === k.file))) {
            const why = last
                ? `${last.file} leaves machine.install.grubUseUKICmdline true`
                : "no patch sets machine.install.grubUseUKICmdline: false";
            refused.set(k.file, { roles: [...(refused.get(k.file)?.roles ?? []), role], why });
        }
    }
    for (const [file, { roles, why }] of refused) {
        r.problem(
            "talosPatchDir",
            path.join(dir, file),
            `sets machine.install.extraKernelArgs, but ${why} for ${roles.join(" and ")} nodes: Talos refuses extraKernelArgs with grubUseUKICmdline true, and the program keeps kernel arguments in the machine config (talosSchematicId is fixed). Add grubUseUKICmdline: false beside it`,
        );
    }
}
