/**
 * Runs policies the way the @pulumi/policy 1.21 server does (server.js: makeAnalyzeRpcFun and
 * makeAnalyzeStackRpcFun), without starting one:
 *  - props travel as a protobuf Struct and are deserialized by the package's own
 *    `deserializeProperties(struct, false)`, so secrets arrive unwrapped exactly as in production;
 *  - props are wrapped in `unknownCheckingProxy`, so reading a preview unknown throws
 *    `UnknownValueError`, which becomes an advisory;
 *  - `notApplicable` throws and is recorded; `getConfig` returns the policy's config without
 *    `enforcementLevel` and applies no schema defaults; `stackTags` is an empty map;
 *  - stack resources get `parent` and `dependencies` linked as objects;
 *  - a policy whose enforcement level is `disabled` does not run.
 * Policies are imported from their own modules, never through policies/index.ts, whose
 * PolicyPack constructor would start a gRPC server.
 */
import {
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as policyPackage from "@pulumi/policy";
import { isUnknownValueError } from "../../policies/support/unknowns";

// Internal modules of the SDKs, typed here because their published typings leave these out.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Struct } = require("google-protobuf/google/protobuf/struct_pb") as { Struct: { fromJavaScript(value: unknown): unknown } };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: unknown, keepSecrets: boolean): Record<string, unknown>;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyModule = require("@pulumi/policy/proxy") as Record<string, string>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc") as { specialSigKey: string; specialSecretSig: string };

const unknownCheckingProxy: (props: Record<string, unknown>) => Record<string, unknown> = policyPackage.unknownCheckingProxy;

/** The sentinels the engine sends for values unknown during preview, one per value type. */
export const UNKNOWN = {
    string: proxyModule.unknownStringValue,
    number: proxyModule.unknownNumberValue,
    boolean: proxyModule.unknownBooleanValue,
    array: proxyModule.unknownArrayValue,
    object: proxyModule.unknownObjectValue,
} as const;

/** A value marked secret on the wire, as the engine sends secret properties to policy packs. */
export function secret(value: unknown): Record<string, unknown> {
    return { [rpc.specialSigKey]: rpc.specialSecretSig, value };
}

/** A resource as a test describes it; everything but type and name has a default. */
export interface HarnessResource {
    /** Type token. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** URN (default: derived from type and name). */
    readonly urn?: string;
    /** Inputs for resource policies, outputs for stack policies (JSON values, unknown sentinels, `secret(...)`). */
    readonly props?: Record<string, unknown>;
    /** Resource options as the engine reports them; `retainOnDelete` is deliberately absent (the engine does not send it). */
    readonly opts?: Partial<PolicyResourceOptions>;
    /** Parent URN. */
    readonly parent?: string;
    /** URNs of dependencies. */
    readonly dependencies?: readonly string[];
    /** The provider, with its props. */
    readonly provider?: { readonly type: string; readonly name: string; readonly urn: string; readonly props?: Record<string, unknown> };
}

/** One `reportViolation` call. */
interface Violation {
    /** The message as the policy passed it. */
    readonly message: string;
    /** The URN (resource policies: always the validated resource's, as the engine fills it in). */
    readonly urn?: string;
}

/** What running a policy produced. */
export interface PolicyOutcome {
    /** `reportViolation` calls. */
    readonly violations: Violation[];
    /** "can't run policy during preview" messages from unknown values, as the server writes them. */
    readonly advisories: string[];
    /** Reasons passed to `notApplicable`. */
    readonly notApplicable: string[];
}

/** `urn:pulumi:prod::platform-dr::<type>::<name>`. */
export function urnOf(type: string, name: string): string {
    return `urn:pulumi:prod::platform-dr::${type}::${name}`;
}

class NotApplicableError extends Error {
    constructor(readonly reason: string | undefined) {
        super(reason ?? "Policy does not apply");
    }
}

function throwNotApplicable(reason?: string): never {
    throw new NotApplicableError(reason);
}

/** Props as the server hands them to policies: through a protobuf Struct, deserialized, proxied. */
function wireProps(props: Record<string, unknown> = {}): Record<string, unknown> {
    // Struct rejects `undefined`; the engine never sends it either (the server treats it as absent).
    const json = JSON.parse(JSON.stringify(props)) as Record<string, unknown>;
    return unknownCheckingProxy(deserializeProperties(Struct.fromJavaScript(json), false));
}

function fullOptions(opts: Partial<PolicyResourceOptions> = {}, parent?: string): PolicyResourceOptions {
    return {
        protect: false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [],
        ...(parent === undefined ? {} : { parent }),
        ...opts,
    };
}

function providerOf(resource: HarnessResource): PolicyProviderResource | undefined {
    const p = resource.provider;
    return p && { type: p.type, name: p.name, urn: p.urn, props: wireProps(p.props) };
}

/** isType/asType as the server implements them: by the class's Pulumi type token, else its isInstance. */
function isTypeOf(type: string, resourceClass: unknown): boolean {
    const pulumiType = (resourceClass as { __pulumiType?: unknown })?.__pulumiType;
    if (typeof pulumiType === "string" && pulumiType.length > 0) {
        return pulumiType === type;
    }
    const isInstance = (resourceClass as { isInstance?: (o: unknown) => boolean })?.isInstance;
    return typeof isInstance === "function" && isInstance({ __pulumiType: type }) === true;
}

function configFor(config: Record<string, unknown>): <T extends object>() => T {
    // The server strips enforcementLevel from what getConfig returns.
    const { enforcementLevel, ...properties } = config;
    return <T extends object>() => properties as T;
}

function enforcementOf(policy: { enforcementLevel?: EnforcementLevel }, config: Record<string, unknown>): EnforcementLevel {
    return (config.enforcementLevel as EnforcementLevel | undefined) ?? policy.enforcementLevel ?? "advisory";
}

function emptyOutcome(): PolicyOutcome {
    return { violations: [], advisories: [], notApplicable: [] };
}

/** Runs one validation, sorting its outcome into violations, advisories and not-applicable reasons. */
async function runValidation(policyName: string, outcome: PolicyOutcome, validate: () => Promise<void> | void): Promise<void> {
    try {
        await Promise.resolve(validate());
    } catch (error) {
        if (isUnknownValueError(error)) {
            outcome.advisories.push(`can't run policy '${policyName}' during preview: ${error.message}`);
        } else if (error instanceof NotApplicableError) {
            outcome.notApplicable.push(error.reason ?? "");
        } else {
            throw error;
        }
    }
}

/** Runs a resource policy against one resource's inputs. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: HarnessResource,
    config: Record<string, unknown> = {},
): Promise<PolicyOutcome> {
    const outcome = emptyOutcome();
    if (enforcementOf(policy, config) === "disabled" || policy.validateResource === undefined) {
        return outcome;
    }
    const urn = resource.urn ?? urnOf(resource.type, resource.name);
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validation of validations) {
        const props = wireProps(resource.props);
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn,
            name: resource.name,
            opts: fullOptions(resource.opts, resource.parent),
            stackTags: new Map(),
            isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
            asType: ((resourceClass: unknown) =>
                isTypeOf(resource.type, resourceClass) ? props : undefined) as ResourceValidationArgs["asType"],
            getConfig: configFor(config),
            notApplicable: throwNotApplicable,
        };
        const provider = providerOf(resource);
        if (provider) {
            args.provider = provider;
        }
        // The engine always attributes a resource policy's violations to the validated resource.
        const report: ReportViolation = (message) => outcome.violations.push({ message, urn });
        await runValidation(policy.name, outcome, () => validation(args, report));
    }
    return outcome;
}

/** The stack as a stack policy sees it: PolicyResources with parent and dependencies linked. */
function stackResources(resources: readonly HarnessResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const built = resources.map((resource) => {
        const props = wireProps(resource.props);
        const policyResource: PolicyResource = {
            type: resource.type,
            props,
            urn: resource.urn ?? urnOf(resource.type, resource.name),
            name: resource.name,
            opts: fullOptions(resource.opts, resource.parent),
            dependencies: [],
            propertyDependencies: {},
            isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
            asType: ((resourceClass: unknown) => (isTypeOf(resource.type, resourceClass) ? props : undefined)) as PolicyResource["asType"],
        };
        const provider = providerOf(resource);
        if (provider) {
            policyResource.provider = provider;
        }
        byUrn.set(policyResource.urn, policyResource);
        return { resource, policyResource };
    });
    for (const { resource, policyResource } of built) {
        const parent = resource.parent === undefined ? undefined : byUrn.get(resource.parent);
        if (parent) {
            policyResource.parent = parent;
        }
        policyResource.dependencies = (resource.dependencies ?? [])
            .map((urn) => byUrn.get(urn))
            .filter((r): r is PolicyResource => r !== undefined);
    }
    return built.map((b) => b.policyResource);
}

/** Runs a stack policy against the whole stack. */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: readonly HarnessResource[],
    config: Record<string, unknown> = {},
): Promise<PolicyOutcome> {
    const outcome = emptyOutcome();
    if (enforcementOf(policy, config) === "disabled") {
        return outcome;
    }
    const args: StackValidationArgs = {
        resources: stackResources(resources),
        stackTags: new Map(),
        getConfig: configFor(config),
        notApplicable: throwNotApplicable,
    };
    const report: ReportViolation = (message, urn) => outcome.violations.push({ message, urn });
    await runValidation(policy.name, outcome, () => policy.validateStack(args, report));
    return outcome;
}
