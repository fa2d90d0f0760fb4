import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

/** Arguments of the namespace set. */
export interface ClusterNamespacesArgs {
    /** Every namespace the program writes into, from all areas' config. */
    readonly names: readonly string[];
    /** The cluster's Kubernetes provider. */
    readonly provider: k8s.Provider;
}

/** Namespaces Kubernetes creates itself; declaring them would fight the API server. */
const BUILT_IN = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** The distinct, sorted namespaces to create: sorted so the resource order never changes between runs. */
function namespacesToCreate(names: readonly string[]): string[] {
    return [...new Set(names)].filter((n) => !BUILT_IN.has(n)).sort();
}

/**
 * The namespaces the program writes Secrets and ConfigMaps into before Flux creates them.
 * Retained on delete: Flux co-owns them later, and deleting a namespace deletes everything in it.
 */
export class ClusterNamespaces extends pulumi.ComponentResource {
    /** Namespace resources by name (built-in namespaces map to the provider, which is ready then too). */
    public readonly byName: Readonly<Record<string, pulumi.Resource>>;

    constructor(name: string, args: ClusterNamespacesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:kubernetes:ClusterNamespaces", name, {}, opts);
        const created = namespacesToCreate(args.names).map(
            (ns) =>
                [
                    ns,
                    new k8s.core.v1.Namespace(
                        `${name}-${ns}`,
                        { metadata: { name: ns } },
                        { parent: this, provider: args.provider, retainOnDelete: true },
                    ),
                ] as const,
        );
        const builtIn = [...new Set(args.names)].filter((n) => BUILT_IN.has(n)).map((ns) => [ns, args.provider] as const);
        this.byName = Object.fromEntries([...created, ...builtIn]);
        this.registerOutputs({ names: created.map(([ns]) => ns) });
    }
}
