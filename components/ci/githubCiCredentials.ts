import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import { CiConfig } from "../../config/offCluster";

/** The environment secrets CI deploys with. */
export const CI_SECRET_NAMES = { kubeconfig: "KUBE_CONFIG", talosconfig: "TALOS_CONFIG" } as const;

/** Arguments of the CI credentials. */
export interface GithubCiCredentialsArgs {
    /** Validated GitHub config; must carry a token. */
    readonly ci: CiConfig & { readonly githubToken: pulumi.Output<string> };
    /** The new cluster's admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The new cluster's talosconfig (secret). */
    readonly talosconfig: pulumi.Input<string>;
}

/**
 * Runbook Scenario 9: after a rebuild the CI deploy credentials point at a dead endpoint and an old
 * PKI. This sets `KUBE_CONFIG` and `TALOS_CONFIG` on the repository's environment as soon as the
 * new cluster's API answers. Environment secrets only, never repository-wide secrets. The
 * environment is created if missing and adopted if it exists (GitHub's API creates or updates it).
 */
export class GithubCiCredentials extends pulumi.ComponentResource {
    constructor(name: string, args: GithubCiCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:ci:GithubCiCredentials", name, {}, opts);
        const { ci } = args;
        const provider = new github.Provider(`${name}-github`, { owner: ci.owner, token: ci.githubToken }, { parent: this });
        const environment = new github.RepositoryEnvironment(
            `${name}-environment`,
            { repository: ci.repository, environment: ci.environment },
            // Deleting the environment would take its protection rules and reviewers with it.
            { parent: this, provider, retainOnDelete: true },
        );
        for (const [key, secretName] of Object.entries(CI_SECRET_NAMES)) {
            new github.ActionsEnvironmentSecret(
                `${name}-${secretName.toLowerCase().replace("_", "-")}`,
                { repository: ci.repository, environment: environment.environment, secretName, value: pulumi.secret(args[key as keyof typeof CI_SECRET_NAMES]) },
                { parent: this, provider },
            );
        }
        this.registerOutputs({});
    }
}
