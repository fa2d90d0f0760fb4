import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import { DnsConfig } from "../../config/offCluster";
import { scriptCommand } from "../shell";
import { KubeWaiter } from "../waiters/kubeWaiter";
import { loadScript } from "../scripts";

/** Marks records the program owns, for whoever reads the zone. */
const RECORD_COMMENT = "managed by platform-dr";

/** The gateway Service's load-balancer address, as kubectl JSONPath. */
const GATEWAY_IP_JSONPATH = "{.status.loadBalancer.ingress[0].ip}";

/** How long the gateway's load balancer may take to get its address once Flux has converged. */
const GATEWAY_IP_TIMEOUT_SECONDS = 900;

/** Arguments of the DNS records. */
export interface DnsRecordsArgs {
    /** Validated DNS config. */
    readonly dns: DnsConfig;
    /** Public IP of the Kubernetes API endpoint. */
    readonly apiEndpointIp: pulumi.Input<string>;
    /** Needed when the program owns the gateway records (`gatewayOwner: program`). */
    readonly gateway?: {
        /** Provider of the cluster the gateway Service lives in. */
        readonly k8sProvider: k8s.Provider;
        /** Admin kubeconfig (secret), for the wait for the load balancer's address. */
        readonly kubeconfig: pulumi.Input<string>;
        /** What must be done before the Service can exist (Flux's Kustomizations). */
        readonly ready: pulumi.Resource[];
    };
}

/** The gateway load balancer's public IP from its Service status. */
export function gatewayIpFromService(status: { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined, service: string): string {
    const ip = status?.loadBalancer?.ingress?.[0]?.ip;
    if (!ip) {
        throw new Error(
            `Service ${service} has no load-balancer IP (.status.loadBalancer.ingress[0].ip); check the Hetzner cloud controller and re-run`,
        );
    }
    return ip;
}

/**
 * The Kubernetes API record (`api.<domain>`) and, when config makes the program own them, the
 * gateway records (`<domain>`, `*.<domain>`). Each record is preceded by a one-time removal of
 * the stale records of the same name and type, so a rebuild converges to exactly one record per
 * name pointing at the new address. Full names and an explicit TTL keep refreshes diff-free.
 */
export class DnsRecords extends pulumi.ComponentResource {
    /** Full name of the API record. */
    public readonly apiHostname: string;

    constructor(name: string, args: DnsRecordsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform-dr:dns:DnsRecords", name, {}, opts);
        const { dns } = args;
        this.apiHostname = dns.apiHostname;
        const provider = new cloudflare.Provider(`${name}-cloudflare`, { apiToken: dns.cloudflareApiToken }, { parent: this });

        this.record(name, "api", dns.apiHostname, args.apiEndpointIp, dns, dns.cloudflareApiToken, provider, []);
        if (dns.gatewayOwner === "program" && args.gateway) {
            const svcId = `${dns.gatewayService.namespace}/${dns.gatewayService.name}`;
            // Flux creates the Service and the cloud controller gives it an address some time
            // later: wait for the address, then read it. The read repeats on every run, so the
            // records follow a replaced load balancer; the wait runs once.
            const waiter = new KubeWaiter(
                `${name}-gateway-ip`,
                {
                    kubeconfig: args.gateway.kubeconfig,
                    kind: "service",
                    namespace: dns.gatewayService.namespace,
                    name: dns.gatewayService.name,
                    condition: { field: GATEWAY_IP_JSONPATH },
                    timeoutSeconds: GATEWAY_IP_TIMEOUT_SECONDS,
                    after: args.gateway.ready,
                },
                { parent: this },
            );
            const service = k8s.core.v1.Service.get(`${name}-gateway-service`, svcId, {
                parent: this,
                provider: args.gateway.k8sProvider,
                dependsOn: [waiter.done],
            });
            const gatewayIp = service.status.apply((status) => gatewayIpFromService(status, svcId));
            this.record(name, "apex", dns.domain, gatewayIp, dns, dns.cloudflareApiToken, provider, [service]);
            this.record(name, "wildcard", `*.${dns.domain}`, gatewayIp, dns, dns.cloudflareApiToken, provider, [service]);
        }
        this.registerOutputs({ apiHostname: this.apiHostname });
    }

    private record(
        name: string,
        role: string,
        fqdn: string,
        ip: pulumi.Input<string>,
        dns: DnsConfig,
        token: pulumi.Input<string>,
        provider: cloudflare.Provider,
        after: pulumi.Resource[],
    ): cloudflare.DnsRecord {
        const cleanup = scriptCommand(
            `${name}-${role}-stale`,
            {
                script: loadScript("dns/delete-stale-records.sh"),
                environment: { CLOUDFLARE_API_TOKEN: token, ZONE_ID: dns.zoneId, RECORD_NAME: fqdn, RECORD_TYPE: "A" },
                runOnce: true,
            },
            // Runs once per stack. A Command without an `update` re-runs `create` on any input
            // change (a rotated token, a newer script), which would delete the record the program
            // now owns: so no input change ever reaches it.
            { parent: this, dependsOn: after },
        );
        return new cloudflare.DnsRecord(
            `${name}-${role}`,
            { zoneId: dns.zoneId, name: fqdn, type: "A", content: ip, ttl: dns.ttl, proxied: false, comment: RECORD_COMMENT },
            { parent: this, provider, dependsOn: [cleanup] },
        );
    }
}
