import * as pulumi from "@pulumi/pulumi";
import * as github from "@pulumi/github";
import { CiConfig } from "../../config/offCluster";

/** The environment secrets CI deploys with. */
const CI_SECRET_NAMES = { kubeconfig: "KUBE_CONFIG", talosconfig: "TALOS_CONFIG" } as const;

/**
 * The environment's protection settings. The program never sets them and ignores every change
 * to them: they are the repository owner's (reviewers, wait timer, branch policy), and GitHub's
 * create-or-update call replaces whatever it is not sent.
 */
export const ENVIRONMENT_PROTECTION_INPUTS = [
    "canAdminsBypass",
    "deploymentBranchPolicy",
    "preventSelfReview",
    "reviewers",
    "waitTimer",
] as const;

/** Arguments of the CI credentials. */
export interface GithubCiCredentialsArgs {
    /** Validated GitHub config; must carry a token. */
    readonly ci: CiConfig & { readonly githubToken: pulumi.Output<string> };
    /** The new cluster's admin kubeconfig (secret). */
    readonly kubeconfig: pulumi.Input<string>;
    /** The new cluster's talosconfig (secret). */
    readonly talosconfig: pulumi.Input<string>;
    /**
     * Done once the new cluster's Kubernetes API answers (`TalosCluster.apiReady`). Both secrets
     * wait for it: the talosconfig exists before any server does, and CI must not be pointed at a
     * cluster that is not there yet. Nothing later (Flux, the restores) is waited for.
     */
    readonly apiReady: pulumi.Resource;
}

/** The provider's ID (and import ID) of an environment: `<repository>:<environment>`. */
function environmentImportId(ci: Pick<CiConfig, "repository" | "environment">): string {
    // The provider escapes `:` in environment names as `??`; config refuses `:` in the name, this
    // keeps the ID right should that ever change.
    return `${ci.repository}:${ci.environment.replace(/:/g, "??")}`;
}

/**
 * Runbook Scenario 9: after a rebuild the CI deploy credentials point at a dead endpoint and an old
 * PKI. This sets `KUBE_CONFIG` and `TALOS_CONFIG` on the repository's environment as soon as the
 * new cluster's API answers. Environment secrets only, never repository-wide secrets.
 *
 * The environment is looked up first. If it exists it is **imported**, never created: creating
 * it would send GitHub's create-or-update PUT with default protection (no reviewers, no wait
 * timer, any branch), wiping what the owner set. Import only reads, and every protection input is
 * in `ignoreChanges`, so no update is ever sent for them. If it does not exist it is created (with
 * GitHub's defaults; the owner adds protection by hand, and it is then kept the same way). On the
 * run after one that created it, the lookup finds it and the import ID equals the ID in state,
 * which the engine treats as no import at all: same resource, no change. `retainOnDelete` keeps it
 * (and its protection) whatever happens to the stack.
 */
export class GithubCiCredentials extends pulumi.ComponentResource {
    /** The environment, created or imported; resolves once the lookup has answered. */
    public readonly environment: Promise<github.RepositoryEnvironment>;

    constructor(name: string, args: GithubCiCredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:ci:GithubCiCredentials", name, {}, opts);
        const { ci } = args;
        const provider = new github.Provider(`${name}-github`, { owner: ci.owner, token: ci.githubToken }, { parent: this });
        // Resource options cannot be outputs, so whether to import is decided once the lookup answers.
        this.environment = github.getRepositoryEnvironments({ repository: ci.repository }, { provider, parent: this }).then(
            ({ environments }) => {
                // GitHub compares environment names case-insensitively.
                const exists = environments.some((e) => e.name.toLowerCase() === ci.environment.toLowerCase());
                return new github.RepositoryEnvironment(
                    `${name}-environment`,
                    { repository: ci.repository, environment: ci.environment },
                    {
                        parent: this,
                        provider,
                        import: exists ? environmentImportId(ci) : undefined,
                        ignoreChanges: [...ENVIRONMENT_PROTECTION_INPUTS],
                        // Deleting the environment would take its protection rules and reviewers with it.
                        retainOnDelete: true,
                    },
                );
            },
            (e: unknown) => {
                throw new Error(
                    `cannot list the environments of GitHub repository ${ci.owner}/${ci.repository} (githubRepository): ${e instanceof Error ? e.message : String(e)}; check that it exists and that github:token may read and administer it`,
                );
            },
        );
        for (const [key, secretName] of Object.entries(CI_SECRET_NAMES)) {
            new github.ActionsEnvironmentSecret(
                `${name}-${secretName.toLowerCase().replace("_", "-")}`,
                {
                    repository: ci.repository,
                    environment: ci.environment,
                    secretName,
                    value: pulumi.secret(args[key as keyof typeof CI_SECRET_NAMES]),
                },
                // The environment must exist first (GitHub answers 404 otherwise), and the API must answer.
                { parent: this, provider, dependsOn: [this.environment, args.apiReady] },
            );
        }
        this.registerOutputs({});
    }
}
