/**
 * The tool pre-flight: the command-line tools the program's scripts run on the operator's machine
 * are checked when `pulumi up` or `preview` starts, before any resource is registered, instead of
 * failing inside the first script that needs one (a missing kubectl would otherwise show up after
 * servers, etcd, Cilium and Flux are up). talosctl must be the release of `talosVersion`: its
 * `gen config` writes configs for its own version, and a client older or newer than the nodes is
 * not what Sidero tests.
 */
import { spawnSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { PlatformConfig } from "../config";

/** A tool the program runs, and the version it must be (when it matters). */
export interface RequiredTool {
    /** The executable's name on PATH. */
    readonly name: "talosctl" | "kubectl" | "curl" | "ssh" | "ssh-keygen";
    /** What the program uses it for, for the message. */
    readonly purpose: string;
    /** The exact client version required (`v1.13.8`), or undefined when any version does. */
    readonly version?: string;
    /** The command that installs it (the right version, for this machine). */
    readonly install: string;
}

/** One thing wrong with the tools on this machine. */
export interface ToolProblem {
    /** The tool. */
    readonly tool: RequiredTool["name"];
    /** What is wrong: not on PATH, or the wrong version. */
    readonly message: string;
    /** The command that fixes it. */
    readonly install: string;
}

/** What running `<tool> <args>` gave; `found: false` when the executable is not on PATH. */
type ProbeResult = { readonly found: false } | { readonly found: true; readonly status: number | null; readonly output: string };

/** Runs a tool with arguments: the real PATH in a real run, fake binaries in tests. */
export type ToolProbe = (tool: string, args: readonly string[]) => ProbeResult;

/** Answers from this process's own PATH, by PATH, tool and arguments: a tool on PATH does not change while the program runs. */
const ownPathAnswers = new Map<string, ProbeResult>();

/**
 * A probe that runs the tool from `searchPath`. Without one it searches this process's PATH and
 * remembers each answer (a rehearsal or a test process simulates the program many times).
 */
export function pathProbe(searchPath?: string): ToolProbe {
    if (searchPath === undefined) {
        return (tool, args) => {
            const key = [process.env.PATH, tool, ...args].join("\0");
            const known = ownPathAnswers.get(key) ?? runFrom(process.env.PATH)(tool, args);
            ownPathAnswers.set(key, known);
            return known;
        };
    }
    return runFrom(searchPath);
}

function runFrom(searchPath: string | undefined): ToolProbe {
    return (tool, args) => {
        const r = spawnSync(tool, [...args], { env: { ...process.env, PATH: searchPath ?? "" }, encoding: "utf8", timeout: 10_000 });
        if ((r.error as NodeJS.ErrnoException | undefined)?.code === "ENOENT") {
            return { found: false };
        }
        return { found: true, status: r.status, output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    };
}

/** Release asset names: Go's OS and architecture names for this machine. */
function goPlatform(): { os: string; arch: string } {
    const arch = ({ x64: "amd64", arm64: "arm64", arm: "arm" } as Record<string, string>)[process.arch] ?? process.arch;
    return { os: process.platform === "win32" ? "windows" : process.platform, arch };
}

/**
 * The tools this configuration's scripts run. A rebuild runs talosctl (machine configs, bootstrap,
 * kubeconfig), curl (the API wait, the stale-DNS cleanup) and kubectl (Flux holds, waits, restores);
 * Scenario 5 (a running cluster) runs only kubectl.
 */
export function requiredTools(config: PlatformConfig): RequiredTool[] {
    const { os, arch } = goPlatform();
    const kubectl: RequiredTool = {
        name: "kubectl",
        purpose: "the Flux holds, the waits and the restores",
        install: `curl -fsSLo /usr/local/bin/kubectl https://dl.k8s.io/release/${config.cluster.kubernetesVersion}/bin/${os}/${arch}/kubectl && chmod +x /usr/local/bin/kubectl`,
    };
    if (config.restore.existingClusterKubeconfig) {
        return [kubectl];
    }
    const talosVersion = config.cluster.talosVersion;
    return [
        {
            name: "talosctl",
            purpose: "the machine configs, the etcd bootstrap and the kubeconfig",
            version: talosVersion,
            install: `curl -fsSLo /usr/local/bin/talosctl https://github.com/siderolabs/talos/releases/download/${talosVersion}/talosctl-${os}-${arch} && chmod +x /usr/local/bin/talosctl`,
        },
        kubectl,
        {
            name: "curl",
            purpose: "the Kubernetes API wait and the stale DNS record cleanup",
            install:
                process.platform === "darwin"
                    ? "brew install curl"
                    : "apt-get install -y curl (Debian/Ubuntu), or your system's package manager",
        },
        // The Talos snapshot for autoscaled nodes is written through SSH into Hetzner's rescue system.
        ...(config.autoscaler.pools.length
            ? (["ssh", "ssh-keygen"] as const).map((name) => ({
                  name,
                  purpose: "building the Talos snapshot for autoscaled nodes (autoscalerPools)",
                  install:
                      process.platform === "darwin"
                          ? "it ships with macOS"
                          : "apt-get install -y openssh-client (Debian/Ubuntu), or your system's package manager",
              }))
            : []),
    ];
}

/** The client version talosctl reports (`talosctl version --client --short`: "Client:\nTalos v1.13.8"). */
export function talosctlClientVersion(output: string): string | undefined {
    const client = output.slice(Math.max(0, output.indexOf("Client:")));
    return /\bv\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?/.exec(client)?.[0];
}

/** How each tool reports its version, for the tools whose version is required. */
const VERSION_COMMAND: Readonly<Record<string, { args: readonly string[]; parse: (output: string) => string | undefined }>> = {
    talosctl: { args: ["version", "--client", "--short"], parse: talosctlClientVersion },
};

/** Checks every required tool with `probe`; returns every problem found (none: all good). */
export function checkTools(required: readonly RequiredTool[], probe: ToolProbe): ToolProblem[] {
    const problems: ToolProblem[] = [];
    for (const tool of required) {
        const how = VERSION_COMMAND[tool.name];
        const r = probe(tool.name, how?.args ?? ["--version"]);
        if (!r.found) {
            problems.push({ tool: tool.name, message: `${tool.name} is not on PATH (needed for ${tool.purpose})`, install: tool.install });
            continue;
        }
        if (tool.version === undefined || !how) {
            continue;
        }
        const version = r.status === 0 ? how.parse(r.output) : undefined;
        if (version !== tool.version) {
            const seen = version ? `is ${version}` : `did not report its version (${r.output.trim().split("\n")[0] || `exit ${r.status}`})`;
            problems.push({
                tool: tool.name,
                message: `${tool.name} on PATH ${seen}; this stack needs ${tool.version} (talosVersion)`,
                install: tool.install,
            });
        }
    }
    return problems;
}

/** One line per problem, with the command that fixes it. */
function formatToolProblems(problems: readonly ToolProblem[]): string {
    const noun = problems.length === 1 ? "tool is" : "tools are";
    return [
        `${problems.length} required ${noun} missing or the wrong version; nothing was changed:`,
        ...problems.map((p) => `  - ${p.message}. Install: ${p.install}`),
    ].join("\n");
}

/** The tool pre-flight failed: a user error, printed by the Pulumi CLI without a stack trace. */
export class ToolError extends pulumi.RunError {
    constructor(readonly problems: readonly ToolProblem[]) {
        super(formatToolProblems(problems));
        this.name = "ToolError";
    }
}

/**
 * The pre-flight of a real `pulumi up`/`preview`: throws a ToolError naming every missing or
 * wrong tool and its install command. The rehearsal and the tests run the program under mocks,
 * where no script runs: they skip it here, and the rehearsal reports the same check instead
 * (rehearsal/simulate.ts), without stopping.
 */
export function preflightTools(config: PlatformConfig, underMocks: boolean, probe: ToolProbe = pathProbe()): void {
    if (underMocks) {
        return;
    }
    const problems = checkTools(requiredTools(config), probe);
    if (problems.length) {
        throw new ToolError(problems);
    }
}
