import * as pulumi from "@pulumi/pulumi";
import { RestoreConfig } from "../../config/gitops";
import { scriptCommand } from "../shell";
import { loadScript } from "../scripts";

/** Arguments of the OpenBao recovery. */
export interface OpenbaoRecoveryArgs {
    readonly restore: RestoreConfig;
    readonly kubeconfig: pulumi.Input<string>;
    /** The Velero restore brought back `openbao/openbao-unseal`, and the vault-config Job's Kustomization runs. */
    readonly after: pulumi.Resource[];
}

/**
 * OpenBao after the Velero restore. `snapshot`: wait for the platform's vault-config Job, which
 * restores the newest raft snapshot from R2 with the restored unseal key (re-run once if it
 * failed), and prove from its log that it restored rather than initialized an empty vault.
 * `manual`: write the user-fed secrets into the unsealed OpenBao. `none`: nothing.
 */
export class OpenbaoRecovery extends pulumi.ComponentResource {
    constructor(name: string, args: OpenbaoRecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:restore:OpenbaoRecovery", name, {}, opts);
        const { restore } = args;
        const kubeconfig = pulumi.secret(args.kubeconfig);
        if (restore.openbaoRecovery === "snapshot") {
            scriptCommand(
                `${name}-vault-config`,
                {
                    script: loadScript("openbao/snapshot-restore.sh"),
                    environment: { KUBECONFIG_CONTENT: kubeconfig, KUSTOMIZATION: restore.openbaoKustomization, TIMEOUT_SECONDS: "1800" },
                    runOnce: true,
                },
                { parent: this, dependsOn: args.after },
            );
        } else if (restore.openbaoRecovery === "manual" && restore.openbaoSeedSecrets) {
            scriptCommand(
                `${name}-seed`,
                {
                    script: loadScript("openbao/seed-secrets.sh"),
                    environment: {
                        KUBECONFIG_CONTENT: kubeconfig,
                        SEED_SECRETS: pulumi.secret(restore.openbaoSeedSecrets.apply((l) => l.join("\n"))),
                        TIMEOUT_SECONDS: "600",
                    },
                    // New seed values are written again; a new kubeconfig or script version is not a reason to.
                    runOnce: { rerunOn: ["SEED_SECRETS"] },
                },
                { parent: this, dependsOn: args.after },
            );
        }
        this.registerOutputs({});
    }
}
