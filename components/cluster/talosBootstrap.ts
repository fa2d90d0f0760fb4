import * as pulumi from "@pulumi/pulumi";
import { scriptCommand } from "../shell";
import { rewriteKubeconfigServer } from "./clientConfigs";
import { loadScript } from "../scripts";

/** Arguments of the one-time cluster bootstrap. */
export interface TalosBootstrapArgs {
    /** Cluster name, for the kubeconfig context `admin@<cluster>`. */
    readonly clusterName: string;
    /** The first control plane: etcd is bootstrapped there. */
    readonly firstControlPlane: { readonly name: string; readonly ip: pulumi.Input<string> };
    /** Admin talosconfig, secret. */
    readonly talosconfig: pulumi.Input<string>;
    /** The API URL by the stable endpoint's IP: probed before DNS exists, and the admin kubeconfig's server. */
    readonly probeUrl: pulumi.Input<string>;
    /** The API URL clients use (the DNS name when configured). */
    readonly clientUrl: pulumi.Input<string>;
    /** Every control plane's configured resources: bootstrap waits for all of them. */
    readonly controlPlanesReady: pulumi.Resource[];
    /** Retry budget of the bootstrap. */
    readonly bootstrapTimeoutSeconds: number;
    /** Wait budget for the API. */
    readonly apiReadyTimeoutSeconds: number;
}

/**
 * etcd bootstrap, the wait for the Kubernetes API, and the admin kubeconfig. The bootstrap has no
 * trigger tied to a server, so replacing a lost control plane never bootstraps a second etcd.
 */
export class TalosBootstrap extends pulumi.ComponentResource {
    /** After this the Kubernetes API answers on the stable endpoint. */
    public readonly apiReady: pulumi.Resource;
    /** Admin kubeconfig whose server is `clientUrl` (the DNS name when configured), secret. */
    public readonly kubeconfigByName: pulumi.Output<string>;
    /**
     * The same credentials with the server on the stable endpoint's IP (`probeUrl`), secret. What
     * this program itself talks to the cluster with: in a disaster a resolver may still hold the
     * dead cluster's address for the API name, and nothing orders this program's steps after the
     * DNS record. The API certificate covers the IP as well as the name.
     */
    public readonly kubeconfigByIp: pulumi.Output<string>;

    constructor(name: string, args: TalosBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:cluster:TalosBootstrap", name, {}, opts);
        const bootstrap = scriptCommand(
            `${name}-etcd`,
            {
                script: loadScript("talos/bootstrap.sh"),
                environment: {
                    NODE_NAME: args.firstControlPlane.name,
                    NODE_IP: args.firstControlPlane.ip,
                    TALOSCONFIG: args.talosconfig,
                    TIMEOUT_SECONDS: String(args.bootstrapTimeoutSeconds),
                },
            },
            { parent: this, dependsOn: args.controlPlanesReady },
        );
        this.apiReady = scriptCommand(
            `${name}-wait-api`,
            {
                script: loadScript("kube/wait-api.sh"),
                environment: { API_URL: args.probeUrl, TIMEOUT_SECONDS: String(args.apiReadyTimeoutSeconds) },
            },
            { parent: this, dependsOn: [bootstrap] },
        );
        const fetched = scriptCommand(
            `${name}-kubeconfig`,
            {
                script: loadScript("talos/kubeconfig.sh"),
                environment: {
                    NODE_IP: args.firstControlPlane.ip,
                    TALOSCONFIG: args.talosconfig,
                    CONTEXT_NAME: `admin@${args.clusterName}`,
                    TIMEOUT_SECONDS: String(args.apiReadyTimeoutSeconds),
                },
                secretStdout: true,
            },
            { parent: this, dependsOn: [bootstrap, this.apiReady] },
        );
        this.kubeconfigByName = pulumi.secret(
            pulumi.all([fetched.stdout, args.clientUrl]).apply(([text, url]) => rewriteKubeconfigServer(text, url)),
        );
        this.kubeconfigByIp = pulumi.secret(
            pulumi.all([fetched.stdout, args.probeUrl]).apply(([text, url]) => rewriteKubeconfigServer(text, url)),
        );
        this.registerOutputs({ kubeconfigByName: this.kubeconfigByName, kubeconfigByIp: this.kubeconfigByIp });
    }
}
