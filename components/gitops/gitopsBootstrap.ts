import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { GitopsConfig } from "../../config/gitops";
import { FLUX_ADOPTED_RELEASE_OPTIONS } from "../kubernetes/fluxAdoptedRelease";
import { scriptCommand } from "../shell";
import { waitForKustomizations } from "./kustomizationWaits";
import { loadScript } from "../scripts";
import { PRE_FLUX_CHARTS, helmChartReference } from "./preFlux";
import { TREE_FLUX_INSTANCE_FIELDS, fluxInstance, fluxOperatorValues } from "./values";

/** Arguments of the GitOps bootstrap. */
export interface GitopsBootstrapArgs {
    /** Validated GitOps config. */
    readonly gitops: GitopsConfig;
    /** Cluster provider and admin kubeconfig (secret). */
    readonly provider: k8s.Provider;
    readonly kubeconfig: pulumi.Input<string>;
    /** Namespace resources by name (flux-system). */
    readonly namespaces: Readonly<Record<string, pulumi.Resource>>;
    /** Things Flux needs before it starts (e.g. backup credentials, the Kopia password). */
    readonly beforeFlux: pulumi.Resource[];
    /**
     * What must run before the Flux Operator: the components installed before Flux (PreFluxComponents;
     * among them the cloud controller, which lifts the `node.cloudprovider.kubernetes.io/uninitialized`
     * taint the operator's pods do not tolerate).
     */
    readonly beforeOperator: pulumi.Resource[];
    /**
     * Kustomizations to suspend as soon as Flux creates them, until the Velero restore is done
     * (`KustomizationResume` resumes them and waits for them). They get no waiter here.
     */
    readonly suspendUntilRestore: readonly string[];
}

/**
 * After the components installed before Flux: the age key and pull secret, the Flux Operator and the
 * FluxInstance, then a wait per Kustomization, in order. `kustomizationReady[name]` lets the
 * restores start as early as is safe.
 */
export class GitopsBootstrap extends pulumi.ComponentResource {
    /** The Flux Operator release. */
    public readonly operator: k8s.helm.v3.Release;
    /** The FluxInstance. */
    public readonly fluxInstance: k8s.apiextensions.CustomResource;
    /** Per Kustomization name not suspended: the wait after which it is Ready (each waits for the one before). */
    public readonly kustomizationReady: Readonly<Record<string, pulumi.Resource>>;
    /** Done when the Kustomizations of `suspendUntilRestore` are suspended (undefined when there are none). */
    public readonly suspended?: pulumi.Resource;

    constructor(name: string, args: GitopsBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:gitops:GitopsBootstrap", name, {}, opts);
        const { gitops, provider } = args;
        const fluxNs = args.namespaces["flux-system"] ? [args.namespaces["flux-system"]] : [];
        const sopsAge = new k8s.core.v1.Secret(
            `${name}-sops-age`,
            { metadata: { name: "sops-age", namespace: "flux-system" }, stringData: { "sops.agekey": gitops.sopsAgeKey } },
            { parent: this, provider, dependsOn: fluxNs },
        );
        const pull = gitops.ghcrDockerConfig
            ? new k8s.core.v1.Secret(
                  `${name}-ghcr-auth`,
                  {
                      metadata: { name: "ghcr-auth", namespace: "flux-system" },
                      type: "kubernetes.io/dockerconfigjson",
                      stringData: { ".dockerconfigjson": gitops.ghcrDockerConfig },
                  },
                  { parent: this, provider, dependsOn: fluxNs },
              )
            : undefined;
        // The platform's HelmRelease adopts it: its version (0.50.0) and values by default, ignored
        // after creation, kept on destroy (see FLUX_ADOPTED_RELEASE_OPTIONS).
        const spec = PRE_FLUX_CHARTS.fluxOperator;
        const operator = new k8s.helm.v3.Release(
            `${name}-flux-operator`,
            {
                name: spec.release,
                namespace: spec.namespace,
                ...helmChartReference(spec),
                version: gitops.versions.fluxOperator,
                values: fluxOperatorValues(),
                atomic: false,
                timeout: spec.timeoutSeconds,
            },
            { ...FLUX_ADOPTED_RELEASE_OPTIONS, parent: this, provider, dependsOn: [...fluxNs, ...args.beforeOperator] },
        );
        this.operator = operator;
        const instance = fluxInstance(gitops, pull ? "ghcr-auth" : undefined);
        this.fluxInstance = new k8s.apiextensions.CustomResource(
            `${name}-flux-instance`,
            {
                ...instance,
                metadata: { ...instance.metadata, annotations: { "pulumi.com/waitFor": "condition=Ready" } },
            } as k8s.apiextensions.CustomResourceArgs,
            {
                parent: this,
                provider,
                dependsOn: [operator, sopsAge, ...(pull ? [pull] : []), ...args.beforeFlux],
                retainOnDelete: true,
                // The platform's own FluxInstance (infrastructure-controllers) sets these fields with
                // server-side apply and force. The program starts with the same values, so both field
                // managers co-own them and nothing conflicts; afterwards they are Flux's: a change in
                // the tree is no drift. Pulumi applies them again only with another change (the sync
                // source), sending the values a refresh read back, so it co-owns instead of conflicting
                // (README, "Adoption without a fight").
                ignoreChanges: [...TREE_FLUX_INSTANCE_FIELDS],
            },
        );
        // Beside the FluxInstance, not after it: the Kustomizations must be suspended within
        // seconds of Flux creating them, long before the ones they depend on are Ready.
        this.suspended = args.suspendUntilRestore.length
            ? scriptCommand(
                  `${name}-hold`,
                  {
                      script: loadScript("flux/suspend-kustomizations.sh"),
                      environment: {
                          KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
                          KUSTOMIZATIONS: args.suspendUntilRestore.join(" "),
                          TIMEOUT_SECONDS: "900",
                      },
                      runOnce: true,
                  },
                  { parent: this, dependsOn: [operator] },
              )
            : undefined;
        const notSuspended = gitops.kustomizations.filter((x) => !args.suspendUntilRestore.includes(x.name));
        this.kustomizationReady = waitForKustomizations(name, notSuspended, args.kubeconfig, [this.fluxInstance], this);
        this.registerOutputs({});
    }
}
