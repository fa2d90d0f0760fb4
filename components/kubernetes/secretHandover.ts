import * as pulumi from "@pulumi/pulumi";
import { KubeWaiter } from "../waiters/kubeWaiter";

/** A Secret the program wrote before Flux and the GitOps tree's ExternalSecret of the same name takes over. */
interface HandedOverSecret {
    readonly namespace: string;
    readonly name: string;
}

/** Arguments of the hand-over check. */
export interface SecretHandoverArgs {
    /** The Secrets handed over (`r2CredentialTargets` entries with `owner=gitops`). */
    readonly secrets: readonly HandedOverSecret[];
    /** Admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** When the tree's ExternalSecrets exist and can sync: the last Kustomization is Ready. */
    readonly after: pulumi.Resource[];
    /** Deadline per Secret. */
    readonly timeoutSeconds: number;
}

/**
 * Makes the hand-over of a shared Secret explicit: waits until the tree's ExternalSecret of the same
 * name is Ready (it has read OpenBao and written the Secret). Until then the program's credentials
 * are what the workloads use; once it passes, the Secret is the tree's, and rotating the program's
 * own token (r2TokenGeneration) no longer touches it. A failure names the ExternalSecret and its
 * message (OpenBao not restored, a missing key), so a broken hand-over is never silent.
 */
export class SecretHandover extends pulumi.ComponentResource {
    /** Done when every Secret is the tree's. */
    public readonly done: pulumi.Resource[];

    constructor(name: string, args: SecretHandoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:kubernetes:SecretHandover", name, {}, opts);
        this.done = args.secrets.map(
            (s) =>
                new KubeWaiter(
                    `${name}-${s.namespace}-${s.name}`,
                    {
                        kubeconfig: args.kubeconfig,
                        kind: "externalsecrets.external-secrets.io",
                        namespace: s.namespace,
                        name: s.name,
                        condition: { ready: true },
                        timeoutSeconds: args.timeoutSeconds,
                        after: args.after,
                    },
                    { parent: this },
                ).done,
        );
        this.registerOutputs({});
    }
}
