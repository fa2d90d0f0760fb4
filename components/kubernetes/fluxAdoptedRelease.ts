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

/**
 * Options of a Secret the program writes before Flux and the GitOps tree then takes over (Flux's own
 * copy, or an ExternalSecret with creationPolicy Owner, which adopts a Secret without owner and
 * writes its data, labels and annotations): Pulumi creates it and never writes it again, so it
 * neither undoes the tree's values nor reports them as drift; a destroy leaves it to its new owner.
 */
export const HANDED_OVER_SECRET_OPTIONS: Pick<pulumi.CustomResourceOptions, "ignoreChanges" | "retainOnDelete"> = {
    ignoreChanges: ["data", "stringData", "type", "metadata.labels", "metadata.annotations"],
    retainOnDelete: true,
};
