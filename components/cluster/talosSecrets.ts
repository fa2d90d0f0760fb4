import * as pulumi from "@pulumi/pulumi";
import { ClusterConfig } from "../../config/cluster";
import { scriptCommand } from "../shell";
import { rewriteTalosconfigEndpoints } from "./clientConfigs";
import { loadScript } from "../scripts";

/** Arguments of the cluster's PKI. */
export interface TalosSecretsArgs {
    /** Validated cluster config (versions, names, an optional secrets bundle). */
    readonly cluster: ClusterConfig;
    /** The Kubernetes API URL baked into generated configs. */
    readonly endpointUrl: pulumi.Input<string>;
    /** Control-plane public IPs: the talosconfig's endpoints and nodes. */
    readonly controlPlaneIps: pulumi.Input<pulumi.Input<string>[]>;
}

/** Environment shared by every `talosctl gen config` call, so all configs agree. */
export function generateConfigEnvironment(
    cluster: ClusterConfig,
    bundle: pulumi.Input<string>,
    endpointUrl: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
    return {
        TALOS_SECRETS: bundle,
        CLUSTER_NAME: cluster.name,
        CLUSTER_ENDPOINT: endpointUrl,
        TALOS_VERSION: cluster.talosVersion,
        KUBERNETES_VERSION: cluster.kubernetesVersion,
        INSTALL_IMAGE: cluster.installerImage,
    };
}

/** Inputs of the talosconfig command that a version bump changes and the talosconfig does not depend on. */
const TALOSCONFIG_VERSION_INPUTS = ["environment.TALOS_VERSION", "environment.KUBERNETES_VERSION", "environment.INSTALL_IMAGE"];

/**
 * The Talos secrets bundle and the talosconfig derived from it. A bundle from config keeps the
 * PKI across rebuilds; otherwise one is generated once and protected, because losing it means
 * losing admin access to every node.
 */
export class TalosSecrets extends pulumi.ComponentResource {
    /** The secrets bundle (YAML), secret. */
    public readonly bundle: pulumi.Output<string>;
    /** The admin talosconfig with the control planes as endpoints, secret. */
    public readonly talosconfig: pulumi.Output<string>;

    constructor(name: string, args: TalosSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:TalosSecrets", name, {}, opts);
        const { cluster } = args;
        this.bundle = cluster.talosSecrets
            ? cluster.talosSecrets
            : pulumi.secret(
                  scriptCommand(
                      `${name}-bundle`,
                      { script: loadScript("talos/gen-secrets.sh"), secretStdout: true },
                      { parent: this, protect: true },
                  ).stdout,
              );

        const generated = scriptCommand(
            `${name}-talosconfig`,
            {
                script: loadScript("talos/gen-config.sh"),
                environment: { ...generateConfigEnvironment(cluster, this.bundle, args.endpointUrl), OUTPUT_TYPE: "talosconfig" },
                secretStdout: true,
            },
            // The versions and installer shape machine configs, not the talosconfig: a version bump
            // must not mint a new talosconfig (and with it every step that holds one).
            { parent: this, ignoreChanges: TALOSCONFIG_VERSION_INPUTS },
        );
        this.talosconfig = pulumi.secret(
            pulumi.all([generated.stdout, args.controlPlaneIps]).apply(([text, ips]) => rewriteTalosconfigEndpoints(text, ips)),
        );
        this.registerOutputs({ bundle: this.bundle, talosconfig: this.talosconfig });
    }
}
