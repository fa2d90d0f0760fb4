import * as pulumi from "@pulumi/pulumi";
import { KustomizationWait } from "../../config/gitops";
import { KubeWaiter } from "../waiters/kubeWaiter";

/**
 * One waiter per Flux Kustomization, each after the one before (the first after all of `first`), named
 * `<prefix>-ks-<name>`. Returns, per name, the wait after which that Kustomization is Ready; a
 * timeout fails with the Kustomization's own Ready message.
 */
export function waitForKustomizations(
    prefix: string,
    kustomizations: readonly KustomizationWait[],
    kubeconfig: pulumi.Input<string>,
    first: pulumi.Resource[],
    parent: pulumi.Resource,
): Record<string, pulumi.Resource> {
    const ready: Record<string, pulumi.Resource> = {};
    let previous = first;
    for (const k of kustomizations) {
        const waiter = new KubeWaiter(
            `${prefix}-ks-${k.name}`,
            {
                kubeconfig,
                kind: "kustomizations.kustomize.toolkit.fluxcd.io",
                namespace: "flux-system",
                name: k.name,
                condition: { ready: true },
                timeoutSeconds: k.timeoutSeconds,
                after: previous,
            },
            { parent },
        );
        ready[k.name] = waiter.done;
        previous = [waiter.done];
    }
    return ready;
}
