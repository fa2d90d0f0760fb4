/**
 * Engine settings with their defaults applied, exemption globs and the `namespace/name` pattern
 * form used on command lines and in config files.
 */
import { Enforcement, Exemption, ObjectRef, RULE_IDS, RuleEngineOptions, RuleId } from "./types";

/** Default replica count from which a workload needs a PDB and a zero-downtime rollout. */
export const DEFAULT_REPLICA_THRESHOLD = 2;

/** Namespace of objects without one, as kubectl and the Pulumi Kubernetes provider assume. */
export const DEFAULT_NAMESPACE = "default";

/** Options with every default filled in and globs compiled. */
export interface ResolvedOptions {
    /** See `RuleEngineOptions.replicaThreshold`. */
    readonly replicaThreshold: number;
    /** See `RuleEngineOptions.defaultNamespace`. */
    readonly defaultNamespace: string;
    /** Compiled exemptions. */
    readonly exemptions: readonly { readonly namespace: RegExp; readonly name: RegExp }[];
    /** Enforcement of every rule. */
    readonly rules: Readonly<Record<RuleId, Enforcement>>;
}

/** Compiles a glob where `*` is any run of characters and `?` one character; everything else is literal. */
function globToRegExp(glob: string): RegExp {
    const body = glob
        .replace(/[.+^${}()|[\]\\]/g, "\\$&")
        .replace(/\*/g, ".*")
        .replace(/\?/g, ".");
    return new RegExp(`^${body}$`);
}

/**
 * Reads an exemption written as `namespace/name` (each part a glob, e.g. `kube-system/*` or
 * `*\/coredns`). Returns a reason string when the pattern has not exactly one `/`.
 */
export function parseExemptionPattern(pattern: string): Exemption | string {
    const parts = pattern.split("/");
    if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
        return `exemption ${JSON.stringify(pattern)} must look like "namespace/name" (globs allowed, e.g. "kube-system/*" or "*/coredns")`;
    }
    return { namespace: parts[0], name: parts[1] };
}

/** Fills defaults and checks the options; throws on values no caller should pass (config files are validated before this). */
export function resolveOptions(options: RuleEngineOptions = {}): ResolvedOptions {
    const replicaThreshold = options.replicaThreshold ?? DEFAULT_REPLICA_THRESHOLD;
    if (!Number.isInteger(replicaThreshold) || replicaThreshold < 1) {
        throw new RangeError(`replicaThreshold must be an integer of at least 1, got ${replicaThreshold}`);
    }
    const defaultNamespace = options.defaultNamespace ?? DEFAULT_NAMESPACE;
    if (defaultNamespace === "") {
        throw new RangeError("defaultNamespace must not be empty");
    }
    const rules = Object.fromEntries(RULE_IDS.map((id) => [id, options.rules?.[id] ?? "error"])) as Record<RuleId, Enforcement>;
    const exemptions = (options.exemptions ?? []).map((e) => ({
        namespace: globToRegExp(e.namespace ?? "*"),
        name: globToRegExp(e.name ?? "*"),
    }));
    return { replicaThreshold, defaultNamespace, exemptions, rules };
}

/** True when an exemption covers `ref`. */
export function isExempt(ref: ObjectRef, options: ResolvedOptions): boolean {
    return options.exemptions.some((e) => e.namespace.test(ref.namespace) && e.name.test(ref.name));
}
