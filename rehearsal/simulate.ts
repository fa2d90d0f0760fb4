/**
 * Runs the real program (index.ts) against the simulated cloud and records every resource
 * registration as the engine would see it: type, name, parent, dependencies (explicit and
 * implicit), inputs with secrets redacted, import ID, protect and retainOnDelete. The rehearsal
 * and the wiring tests both use it. It reaches into the SDK's internal monitor and RPC helpers;
 * that access is kept in this one module.
 */
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type {
    ReadResourceRequest,
    ReadResourceResponse,
    RegisterResourceRequest,
    RegisterResourceResponse,
} from "@pulumi/pulumi/proto/resource_pb";
import { Placeholder, validateConfig } from "../config";
import { EstimateOverride } from "../config/estimates";
import { REHEARSAL_ENV, CREDENTIAL_ENVIRONMENT, rawConfigFrom } from "../config/load";
import { ConfigError } from "../config/problems";
import { ToolProblem, checkTools, pathProbe, requiredTools } from "../preflight/tools";
import { PreflightOutcome, lastPreflight, rememberPreflight } from "../gitops/preflight";
import { CloudState, SimulatedCloud, unwrapSecrets } from "./cloud";
import { describeRestores } from "./restoreSummary";
import { describeTalosPatches } from "./talosPatchSummary";
import { ConfigOverride, loadStackConfig } from "./stackConfig";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as {
    specialSigKey: string;
    specialSecretSig: string;
    specialResourceSig: string;
    unknownValue: string;
    deserializeProperties(struct: unknown): Record<string, unknown>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { leakedPromises(): [ReadonlySet<Promise<unknown>>, string] };

/** What a secret value is replaced with everywhere a person or a file could see it. */
export const REDACTED = "[secret]";

/** One resource registration, as the engine would see it. */
export interface RecordedResource {
    /** The resource's URN. */
    readonly urn: string;
    /** The ID the simulated cloud assigned (null for components). */
    readonly id: string | null;
    /** Type token, e.g. `hcloud:index/server:Server`. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** Parent URN, or null for top-level resources. */
    readonly parent: string | null;
    /** URNs this resource depends on: explicit `dependsOn` and implicit (through outputs). */
    readonly dependencies: string[];
    /** Inputs, with every secret value replaced by "[secret]". */
    readonly inputs: Record<string, unknown>;
    /** Inputs in plain text; for assertions in tests only, never printed. */
    readonly rawInputs: Record<string, unknown>;
    /** Outputs the simulated cloud returned (plain; never printed). */
    readonly outputs: Record<string, unknown>;
    /** Import ID (adoption of an existing resource), or null. */
    readonly import: string | null;
    /** The `protect` option. */
    readonly protect: boolean;
    /** The `retainOnDelete` option. */
    readonly retainOnDelete: boolean;
    /** True for custom (provider) resources and remote components (run by their provider), false for components. */
    readonly custom: boolean;
    /** Provider reference (`urn::id`), if any. */
    readonly provider: string | null;
    /**
     * URN of the provider the resource is created with: the explicit one, or the engine's default
     * provider for its package and version. The engine orders a resource after its provider too.
     * Null for components and providers.
     */
    readonly providerUrn: string | null;
    /** `customTimeouts.create` (a Go duration such as `2h`), if set. */
    readonly createTimeout: string | null;
    /** Properties whose changes are ignored. */
    readonly ignoreChanges: string[];
    /** Outputs marked secret by the program. */
    readonly additionalSecretOutputs: string[];
    /** The `deleteBeforeReplace` option. */
    readonly deleteBeforeReplace: boolean;
    /** True for a read (`Resource.get`) of an object the program does not own: never created or deleted. */
    readonly read?: boolean;
}

/** Options of a simulated run. */
export interface SimulateOptions {
    /** Stack name (default `prod`): reads `Pulumi.<stack>.yaml`. */
    readonly stack?: string;
    /** `--set` / `--set-secret` overrides. */
    readonly overrides?: readonly ConfigOverride[];
    /** Replaces the stack files entirely: `namespace:key` -> text, plus secret keys. */
    readonly config?: { readonly values: Record<string, string>; readonly secretKeys: readonly string[] };
    /** What already exists in the cloud. */
    readonly cloud?: Partial<CloudState>;
    /** Simulate a preview (unknown outputs) instead of an update. */
    readonly preview?: boolean;
    /**
     * Stand in marked placeholders for unset secrets and account IDs (default true, the
     * rehearsal). False validates as a real run does: what is unset stays unset.
     */
    readonly placeholders?: boolean;
    /** PATH searched by the tool pre-flight (default: this process's PATH). */
    readonly toolPath?: string;
}

/** The outcome of a simulated run. */
export interface SimulationResult {
    /** Stack name. */
    readonly stack: string;
    /** Every registration, in registration order. */
    readonly resources: RecordedResource[];
    /** Stack outputs, secrets redacted. */
    readonly outputs: Record<string, unknown>;
    /** Names of stack outputs that are secret. */
    readonly secretOutputs: string[];
    /** Configuration problems or program failures; empty on success. */
    readonly errors: string[];
    /** True when `errors` holds configuration problems (the program registered nothing). */
    readonly configInvalid: boolean;
    /** Messages the program logged (warnings, notices). */
    readonly messages: string[];
    /** Config values a rehearsal made up: secrets it could not read or that are unset, missing account IDs. */
    readonly placeholders: Placeholder[];
    /** The restores in words (see `describeRestores`); empty when the config is invalid. */
    readonly restores: string[];
    /** The tool pre-flight a real run would stop on (talosctl version, kubectl, curl); reported, never fatal here. */
    readonly tools: ToolProblem[];
    /** The convergence pre-flight the program ran (gitops/preflight.ts); undefined when it stopped before it. */
    readonly preflight?: PreflightOutcome;
    /** Per node role, the Talos patches in order and the variables they use (see `describeTalosPatches`). */
    readonly talosPatches: string[];
    /** Measured step durations from `rehearsalEstimates`; empty when the config is invalid. */
    readonly estimateOverrides: readonly EstimateOverride[];
    /** The simulated cloud's state after the run (e.g. which DNS records exist). */
    readonly cloud: CloudState;
    /** Every secret string seen during the run, to prove none is printed. Never print this. */
    readonly secretValues: ReadonlySet<string>;
}

/** The repository root (where Pulumi.yaml lives). */
export const PROJECT_DIR = path.resolve(__dirname, "..");
/** The program a simulation runs. */
const PROGRAM = path.join(PROJECT_DIR, "index.ts");

function isSecretValue(v: unknown): v is { value: unknown } {
    return !!v && typeof v === "object" && (v as Record<string, unknown>)[rpc.specialSigKey] === rpc.specialSecretSig;
}

/** Replaces secrets in a serialized property value. */
function redact(value: unknown): unknown {
    if (isSecretValue(value)) {
        return REDACTED;
    }
    if (value === rpc.unknownValue) {
        return "[unknown]";
    }
    if (Array.isArray(value)) {
        return value.map((v) => redact(v));
    }
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (obj[rpc.specialSigKey] === rpc.specialResourceSig) {
            return { resource: obj.urn };
        }
        return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}

/** Key material: a long token of base64/hex-like characters mixing letters and digits. */
function looksLikeKeyMaterial(token: string): boolean {
    return /^[A-Za-z0-9+/=_.-]{16,}$/.test(token) && /[0-9]/.test(token) && /[A-Za-z]/.test(token);
}

/**
 * Collects what must never be printed. `whole` adds entire strings (config secrets, secret
 * stack outputs); otherwise, inside secret documents (kubeconfigs, credential Secrets) only the
 * tokens that look like key material are collected: names, URLs and bucket names inside a
 * secret are not secret on their own, and matching them would only raise false alarms.
 */
function collectStrings(value: unknown, into: Set<string>, whole = false): void {
    if (typeof value === "string") {
        if (whole && value.length >= 12) {
            into.add(value);
        }
        value
            .split(/[\s=]+/)
            .filter(looksLikeKeyMaterial)
            .forEach((t) => into.add(t));
    } else if (Array.isArray(value)) {
        value.forEach((v) => collectStrings(v, into, whole));
    } else if (value && typeof value === "object") {
        Object.values(value).forEach((v) => collectStrings(v, into, whole));
    }
}

/** The project name the simulated engine runs the program under (Pulumi.yaml's `name`). */
const PROJECT = "platform-dr";

/**
 * The URN of the provider a registration is created with: the `urn` part of its explicit provider
 * reference (`urn::id`), or the default provider the engine creates for the package and version
 * (`pulumi:providers:<pkg>::default_<version with . and - as _>`). Null for components and providers.
 */
export function providerUrnFor(
    registration: { readonly type: string; readonly custom: boolean; readonly provider: string; readonly version: string },
    stack: string,
): string | null {
    if (!registration.custom || registration.type.startsWith("pulumi:providers:")) {
        return null;
    }
    if (registration.provider) {
        const at = registration.provider.lastIndexOf("::");
        return at > 0 ? registration.provider.slice(0, at) : registration.provider;
    }
    const pkg = registration.type.split(":")[0];
    const name = registration.version ? `default_${registration.version.replace(/[.-]/g, "_")}` : "default";
    return `urn:pulumi:${stack}::${PROJECT}::pulumi:providers:${pkg}::${name}`;
}

function providerUrnOf(
    req: { getType(): string; getCustom(): boolean; getProvider(): string; getVersion(): string },
    stack: string,
): string | null {
    return providerUrnFor({ type: req.getType(), custom: req.getCustom(), provider: req.getProvider(), version: req.getVersion() }, stack);
}

/**
 * Forgets index.ts so the next run executes it afresh. The modules it imports stay loaded: they
 * hold no state of a run besides what is read from disk once (the scripts, Pulumi.yaml) and the
 * pre-flight's last outcome, which `simulate` resets; compiling them again for every run was most
 * of a run's cost.
 */
function unloadProgram(): void {
    delete require.cache[require.resolve(PROGRAM)];
}

async function settle<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
    // `promise()` (unlike a callback in apply) rejects when a resource behind the output failed,
    // so a failed step ends the simulation with its error instead of leaving it waiting forever.
    const value = await (output as unknown as { promise(): Promise<T> }).promise();
    return { value, secret: await pulumi.isSecret(output) };
}

const ABANDONED = Symbol("abandoned");

/**
 * Resolves once a step has failed and no further failure has come for a moment: what depends on
 * a failed step never runs in a real update, and under mocks it may never settle either.
 * `stop` ends the polling.
 */
function failureWatcher(errors: readonly string[]): { readonly abandoned: Promise<typeof ABANDONED>; stop(): void } {
    let poll: NodeJS.Timeout | undefined;
    const abandoned = new Promise<typeof ABANDONED>((resolve) => {
        let seen = -1;
        poll = setInterval(() => {
            if (errors.length > 0 && errors.length === seen) {
                clearInterval(poll);
                resolve(ABANDONED);
            }
            seen = errors.length;
        }, 100);
        // Never keeps a process alive on its own.
        poll.unref();
    });
    return { abandoned, stop: () => clearInterval(poll) };
}

/** The part of the SDK's mock monitor the recorder wraps. */
interface MockMonitor {
    registerResource(req: RegisterResourceRequest, cb: (err: unknown, resp?: RegisterResourceResponse) => void): void;
    readResource(req: ReadResourceRequest, cb: (err: unknown, resp?: ReadResourceResponse) => void): void;
}

/**
 * The recording: wraps the mock monitor so every registration and every read (`Resource.get`,
 * a step too: the plan shows it and what it waits for) lands in `resources` as the engine sees it.
 */
function recordRegistrations(monitor: MockMonitor, stack: string, resources: RecordedResource[]): void {
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const serialized = req.getObject()?.toJavaScript?.() ?? {};
        register(req, (err, resp) => {
            if (resp) {
                resources.push({
                    urn: resp.getUrn(),
                    id: resp.getId() || null,
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || null,
                    dependencies: [...req.getDependenciesList()],
                    inputs: redact(serialized) as Record<string, unknown>,
                    rawInputs: unwrapSecrets(rpc.deserializeProperties(req.getObject())),
                    outputs: unwrapSecrets(rpc.deserializeProperties(resp.getObject())),
                    import: req.getImportid() || null,
                    protect: !!req.getProtect(),
                    retainOnDelete: !!req.getRetainondelete(),
                    // A remote component (yaml.v2.ConfigFile, helm.v4.Chart) is one step run by its provider:
                    // under mocks it has no children, so the plan shows it as a resource.
                    custom: !!req.getCustom() || !!req.getRemote(),
                    provider: req.getProvider() || null,
                    providerUrn: providerUrnOf(req, stack),
                    createTimeout: req.getCustomtimeouts()?.getCreate() || null,
                    ignoreChanges: [...req.getIgnorechangesList()],
                    additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()],
                    deleteBeforeReplace: !!req.getDeletebeforereplace(),
                });
            }
            callback(err, resp);
        });
    };

    const read = monitor.readResource.bind(monitor);
    monitor.readResource = (req, callback) => {
        read(req, (err, resp) => {
            if (resp) {
                const properties = req.getProperties();
                resources.push({
                    urn: resp.getUrn(),
                    id: req.getId() || null,
                    type: req.getType(),
                    name: req.getName(),
                    parent: req.getParent() || null,
                    dependencies: [...req.getDependenciesList()],
                    inputs: redact(properties?.toJavaScript?.() ?? {}) as Record<string, unknown>,
                    rawInputs: unwrapSecrets(rpc.deserializeProperties(properties)),
                    outputs: unwrapSecrets(rpc.deserializeProperties(resp.getProperties())),
                    import: null,
                    protect: false,
                    retainOnDelete: false,
                    custom: true,
                    provider: req.getProvider() || null,
                    providerUrn: providerUrnFor(
                        { type: req.getType(), custom: true, provider: req.getProvider(), version: req.getVersion() },
                        stack,
                    ),
                    createTimeout: null,
                    ignoreChanges: [],
                    additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()],
                    deleteBeforeReplace: false,
                    read: true,
                });
            }
            callback(err, resp);
        });
    };
}

/**
 * The sandbox: the simulated run must not pick up the operator's real credentials, nor print to
 * stdout, nor pay for a stack trace per resource. Console output goes to `messages`, unhandled
 * rejections to `fail`. Returns what puts everything back.
 */
function isolateRun(placeholders: boolean, messages: string[], fail: (reason: unknown) => void): () => void {
    const savedEnv = Object.fromEntries([REHEARSAL_ENV, ...Object.values(CREDENTIAL_ENVIRONMENT)].map((k) => [k, process.env[k]]));
    for (const variable of Object.values(CREDENTIAL_ENVIRONMENT)) {
        delete process.env[variable];
    }
    if (placeholders) {
        process.env[REHEARSAL_ENV] = "1";
    } else {
        delete process.env[REHEARSAL_ENV];
    }
    const saved = { log: console.log, info: console.info, warn: console.warn, error: console.error };
    const capture = (...parts: unknown[]) =>
        messages.push(
            parts
                .map(String)
                .join(" ")
                .replace(/^(warning|info): \[runtime\] /, ""),
        );
    Object.assign(console, { log: capture, info: capture, warn: capture, error: capture });
    const onRejection = fail;
    process.on("unhandledRejection", onRejection);

    // The SDK captures a stack trace per resource for source positions; under ts-node's source
    // maps that dominates a simulated run, and a rehearsal reports messages, not stacks.
    const savedStackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    return () => {
        Error.stackTraceLimit = savedStackTraceLimit;
        process.off("unhandledRejection", onRejection);
        Object.assign(console, saved);
        for (const [k, v] of Object.entries(savedEnv)) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
    };
}

/** What the program run left behind: its stack outputs and whether it stopped on bad config. */
interface ProgramRun {
    readonly configInvalid: boolean;
    readonly outputs: Record<string, unknown>;
    readonly secretOutputs: string[];
}

/**
 * The program itself: loads index.ts afresh and settles its stack outputs (secret ones redacted,
 * their strings added to `secretValues`), then waits for the engine's outstanding steps. A failed
 * step stops the run the way the engine would stop the update.
 */
async function runProgram(
    errors: string[],
    fail: (reason: unknown) => void,
    watcher: ReturnType<typeof failureWatcher>,
    secretValues: Set<string>,
): Promise<ProgramRun> {
    let configInvalid = false;
    const outputs: Record<string, unknown> = {};
    const secretOutputs: string[] = [];
    unloadProgram();
    let program: Record<string, unknown> = {};
    try {
        // A require, not an import: index.ts runs again on every call (see unloadProgram).
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        program = require(PROGRAM);
    } catch (e) {
        configInvalid = e instanceof ConfigError;
        errors.push(configInvalid ? (e as Error).message : `the program failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    for (const [key, value] of Object.entries(program)) {
        if (pulumi.Output.isInstance(value)) {
            let settled: { value: unknown; secret: boolean };
            try {
                const result = await Promise.race([settle(value), watcher.abandoned]);
                if (result === ABANDONED) {
                    continue;
                }
                settled = result;
            } catch (e) {
                // A step behind this output failed: reported once, and the output is left out.
                fail(e);
                continue;
            }
            const { value: v, secret } = settled;
            if (secret) {
                collectStrings(v, secretValues, true);
                secretOutputs.push(key);
            }
            outputs[key] = secret ? REDACTED : v;
        } else {
            outputs[key] = value;
        }
    }
    // After a failed step the SDK under mocks can leave the steps behind it pending for ever; the
    // engine would have stopped the update there, so the simulation stops too.
    await Promise.race([settings.waitForRPCs(), watcher.abandoned]);
    await new Promise((resolve) => setImmediate(resolve));
    if (errors.length) {
        // The steps behind a failed one never run (the engine stops the update there), and their
        // promises never settle: not leaks of the program, so the SDK must not report them at exit.
        debuggable.leakedPromises();
    }
    return { configInvalid, outputs, secretOutputs };
}

/** The config-derived parts of the report; all empty when the config is invalid. */
type ConfigReport = Pick<SimulationResult, "placeholders" | "restores" | "tools" | "talosPatches" | "estimateOverrides">;

/**
 * The report beside the plan: the same validation the program ran, to list which values were
 * placeholders, the restores in words, the tool pre-flight and the Talos patches.
 */
function describeConfig(
    stackConfig: { values: Record<string, string>; secretKeys: string[] },
    placeholders: boolean,
    toolPath?: string,
): ConfigReport {
    const secretSet = new Set(stackConfig.secretKeys);
    const raw = rawConfigFrom(stackConfig.values, "platform-dr", (k) => secretSet.has(k), {});
    const validation = validateConfig({ ...raw, rehearsal: placeholders });
    const madeUp = validation.ok ? [...validation.placeholders].sort((a, b) => a.key.localeCompare(b.key)) : [];
    const restores = validation.ok ? describeRestores(validation.config) : [];
    const tools = validation.ok ? checkTools(requiredTools(validation.config), pathProbe(toolPath)) : [];
    const talosPatches = validation.ok
        ? describeTalosPatches(validation.config.cluster, !validation.config.restore.existingClusterKubeconfig)
        : [];
    return {
        placeholders: madeUp,
        restores,
        tools,
        talosPatches,
        estimateOverrides: validation.ok ? validation.config.rehearsal.estimates : [],
    };
}

/**
 * Runs index.ts under the simulated cloud. Never throws for user errors: configuration problems
 * and program failures come back in `errors`.
 */
export async function simulate(options: SimulateOptions = {}): Promise<SimulationResult> {
    const stack = options.stack ?? "prod";
    const stackConfig = options.config
        ? { values: options.config.values, secretKeys: [...options.config.secretKeys], encryptedPlaceholders: [] as string[] }
        : loadStackConfig(PROJECT_DIR, stack, options.overrides);

    const cloud = new SimulatedCloud(options.cloud);
    await pulumi.runtime.setMocks(cloud, PROJECT, stack, options.preview ?? false);
    pulumi.runtime.setAllConfig(stackConfig.values, stackConfig.secretKeys);

    const secretValues = new Set<string>();
    const resources: RecordedResource[] = [];
    recordRegistrations(pulumi.runtime.getMonitor() as unknown as MockMonitor, stack, resources);

    const placeholders = options.placeholders ?? true;
    const messages: string[] = [];
    const errors: string[] = [];
    // One failed step rejects every output that depends on it, each wrapped once more by the
    // component that registered it: report the step's own error, once.
    const fail = (reason: unknown) => {
        const message = (reason instanceof Error ? reason.message : String(reason)).replace(/^(error serializing property "[^"]*": )+/, "");
        if (!errors.includes(message)) {
            errors.push(message);
        }
    };
    const restore = isolateRun(placeholders, messages, fail);
    const watcher = failureWatcher(errors);
    rememberPreflight(undefined);
    let run: ProgramRun;
    try {
        run = await runProgram(errors, fail, watcher, secretValues);
    } finally {
        watcher.stop();
        restore();
    }
    for (const key of stackConfig.secretKeys) {
        collectStrings(stackConfig.values[key], secretValues, true);
    }
    for (const r of resources) {
        for (const output of r.additionalSecretOutputs) {
            collectStrings(r.outputs[output], secretValues);
        }
    }
    const report = describeConfig(stackConfig, placeholders, options.toolPath);
    return {
        stack,
        resources,
        outputs: run.outputs,
        secretOutputs: run.secretOutputs.sort(),
        errors,
        configInvalid: run.configInvalid,
        messages,
        placeholders: report.placeholders,
        restores: report.restores,
        tools: report.tools,
        preflight: lastPreflight(),
        talosPatches: report.talosPatches,
        estimateOverrides: report.estimateOverrides,
        cloud: cloud.state,
        secretValues,
    };
}
