/**
 * Typed access to @pulumi/policy's unknown-value error. The package exports the class at run
 * time but marks it internal, so its typings omit it; the shape below is the one the policy
 * server relies on (it turns this error into an advisory "can't run policy during preview").
 */
import * as policy from "@pulumi/policy";

/** Thrown when a policy reads a value that is unknown during `pulumi preview`. */
export interface UnknownValueError extends Error {
    /** Which kind of unknown (string, number, ...), as the sentinel the engine sent. */
    readonly unknownTypeSentinel: string;
    /** Property path of the unknown value, e.g. `["spec", "replicas"]`. */
    readonly props: string[];
}

const UnknownValueErrorClass: new (sentinel: string, props: string[]) => UnknownValueError = policy.UnknownValueError;

/**
 * The same error with `context` appended to its message, so the advisory names the resource
 * (the proxy only knows the property path). Still an UnknownValueError for the server.
 */
export function withContext(error: UnknownValueError, context: string): UnknownValueError {
    const annotated = new UnknownValueErrorClass(error.unknownTypeSentinel, error.props);
    annotated.message = `${error.message} (${context})`;
    return annotated;
}

/** True for the error the unknown-checking proxy throws; the policy server matches it with `instanceof` too. */
export function isUnknownValueError(error: unknown): error is UnknownValueError {
    return error instanceof UnknownValueErrorClass;
}
