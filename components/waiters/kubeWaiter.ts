import * as pulumi from "@pulumi/pulumi";
import { scriptCommand } from "../shell";
import { loadScript } from "../scripts";

/**
 * Options of every kubectl wait: a new kubeconfig (rotated, or rebuilt with the cluster layer)
 * must not make a wait run again. (Waiting again would be harmless, only slow.)
 */
export const KUBE_COMMAND_OPTIONS: Pick<pulumi.CustomResourceOptions, "ignoreChanges"> = {
    ignoreChanges: ["environment.KUBECONFIG_CONTENT"],
};

/** What to wait for on an object the program does not own. */
type WaitCondition =
    /** The Ready condition is True (Flux Kustomizations, BackupStorageLocations use phase). */
    | { readonly ready: true }
    /** `.status.phase` reaches one of `accept`; any of `fail` ends the wait with the object's errors. */
    | { readonly phase: { readonly accept: readonly string[]; readonly fail: readonly string[] } }
    /** A kubectl JSONPath (e.g. `{.status.loadBalancer.ingress[0].ip}`) is non-empty. */
    | { readonly field: string };

/** Arguments of a waiter. */
export interface KubeWaiterArgs {
    /** Admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** kubectl resource name, e.g. `kustomizations.kustomize.toolkit.fluxcd.io`. */
    readonly kind: string;
    /** Namespace. */
    readonly namespace: string;
    /** Object name. */
    readonly name: pulumi.Input<string>;
    /** The condition. */
    readonly condition: WaitCondition;
    /** Deadline in seconds. */
    readonly timeoutSeconds: number;
    /** What must be done before the wait starts (a component's dependsOn does not reach its children). */
    readonly after?: pulumi.Resource[];
}

/**
 * Waits, once, for an object the program does not own. Its inputs never change between runs,
 * so a drift check does not wait again; a change of what is waited for waits anew.
 */
export class KubeWaiter extends pulumi.ComponentResource {
    /** Dependants wait for this. */
    public readonly done: pulumi.Resource;

    constructor(name: string, args: KubeWaiterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:waiters:KubeWaiter", name, {}, opts);
        const c = args.condition;
        const environment: Record<string, pulumi.Input<string>> = {
            KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
            KIND: args.kind,
            NAMESPACE: args.namespace,
            NAME: args.name,
            TIMEOUT_SECONDS: String(args.timeoutSeconds),
        };
        if ("phase" in c) {
            environment.ACCEPT = c.phase.accept.join(" ");
            environment.FAIL = c.phase.fail.join(" ");
        }
        if ("field" in c) {
            environment.JSONPATH = c.field;
        }
        const wait = scriptCommand(
            `${name}-wait`,
            {
                script:
                    "ready" in c
                        ? loadScript("kube/wait-ready.sh")
                        : "phase" in c
                          ? loadScript("kube/wait-phase.sh")
                          : loadScript("kube/wait-field.sh"),
                environment,
            },
            { ...KUBE_COMMAND_OPTIONS, parent: this, dependsOn: args.after ?? [] },
        );
        this.done = wait;
        this.registerOutputs({});
    }
}
