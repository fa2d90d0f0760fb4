import * as pulumi from "@pulumi/pulumi";

/**
 * Options of a Helm release the program installs before Flux runs and Flux then adopts (same
 * release name and namespace as Flux's HelmRelease): from then on Flux owns its values and version,
 * so Pulumi never diffs them, and a destroy leaves Flux's release in place.
 */
export const FLUX_ADOPTED_RELEASE_OPTIONS: Pick<pulumi.CustomResourceOptions, "ignoreChanges" | "retainOnDelete"> = {
    ignoreChanges: ["values", "version", "valueYamlFiles"],
    retainOnDelete: true,
};
