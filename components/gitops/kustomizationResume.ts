import * as pulumi from "@pulumi/pulumi";
import { KustomizationWait } from "../../config/gitops";
import { scriptCommand } from "../shell";
import { waitForKustomizations } from "./kustomizationWaits";
import { loadScript } from "../scripts";

/** Arguments of the resume of the Kustomizations suspended until the restore. */
export interface KustomizationResumeArgs {
    /** The suspended Kustomizations, in the order they must become Ready. */
    readonly kustomizations: readonly KustomizationWait[];
    /** Admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** What must be done first: the hold itself and the restores the Kustomizations must not race. */
    readonly after: pulumi.Resource[];
    /**
     * The wait for the Kustomization before the suspended ones (Flux's dependsOn makes them wait for it):
     * their waits start after it, so each timeout counts its own Kustomization's time.
     */
    readonly readyBefore: pulumi.Resource[];
}

/**
 * Resumes the Kustomizations `GitopsBootstrap` suspended, once the Velero restore is done, then waits
 * until each is Ready, in order, failing with the Kustomization's own message.
 */
export class KustomizationResume extends pulumi.ComponentResource {
    /** Per Kustomization name: the wait after which it is Ready. */
    public readonly kustomizationReady: Readonly<Record<string, pulumi.Resource>>;
    /** Done when the suspended Kustomizations are resumed (before they are Ready): what runs in them can be watched from here. */
    public readonly resumed: pulumi.Resource;

    constructor(name: string, args: KustomizationResumeArgs, opts?: pulumi.ComponentResourceOptions) {
        // The alias keeps the URNs of stacks created while this was called KustomizationRelease.
        super(
            "platform-dr:gitops:KustomizationResume",
            name,
            {},
            { ...opts, aliases: [{ type: "platform-dr:gitops:KustomizationRelease" }, ...(opts?.aliases ?? [])] },
        );
        const release = scriptCommand(
            `${name}-resume`,
            {
                script: loadScript("flux/resume-kustomizations.sh"),
                environment: {
                    KUBECONFIG_CONTENT: pulumi.secret(args.kubeconfig),
                    KUSTOMIZATIONS: args.kustomizations.map((k) => k.name).join(" "),
                },
                runOnce: true,
            },
            { parent: this, dependsOn: args.after },
        );
        this.resumed = release;
        this.kustomizationReady = waitForKustomizations(name, args.kustomizations, args.kubeconfig, [release, ...args.readyBefore], this);
        this.registerOutputs({});
    }
}

/**
 * The Kustomizations to hold back until the Velero restore is done: every one after `veleroAfterKustomization`,
 * the one whose readiness means Velero runs. They would otherwise create what the restore must
 * bring back (PVCs, Secrets, an empty OpenBao) and Velero skips what already exists.
 */
export function kustomizationsToSuspend(all: readonly KustomizationWait[], veleroAfterKustomization: string): KustomizationWait[] {
    const index = all.findIndex((k) => k.name === veleroAfterKustomization);
    return index < 0 ? [] : all.slice(index + 1);
}

/**
 * How long Flux may take to get through the Kustomizations up to and including `name`: the sum of
 * their timeouts (they run one after another). What installs Velero comes up within it.
 */
export function kustomizationTimeUntil(all: readonly KustomizationWait[], name: string): number {
    const index = all.findIndex((k) => k.name === name);
    return all.slice(0, index < 0 ? all.length : index + 1).reduce((sum, k) => sum + k.timeoutSeconds, 0);
}
