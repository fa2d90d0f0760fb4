import * as pulumi from "@pulumi/pulumi";
import * as cloudflare from "@pulumi/cloudflare";
import * as k8s from "@pulumi/kubernetes";
import { DnsConfig } from "../../config/offCluster";
import { scriptCommand } from "../shell";
import { DELETE_STALE_RECORDS_SCRIPT } from "./staleRecords";

/** Marks records the program owns, for whoever reads the zone. */
export const RECORD_COMMENT = "managed by platform-dr";

/** Arguments of the DNS records. */
export interface DnsRecordsArgs {
    /** Validated DNS config. */
    readonly dns: DnsConfig;
    /** Public IP of the Kubernetes API endpoint. */
    readonly apiEndpointIp: pulumi.Input<string>;
    /** Gateway records owned by the program: the cluster's provider and what must be ready first. */
    readonly gateway?: { readonly k8sProvider: k8s.Provider; readonly ready: pulumi.Resource[] };
}

/** The gateway load balancer's public IP from its Service status. */
export function gatewayIpFromService(status: { loadBalancer?: { ingress?: { ip?: string }[] } } | undefined, service: string): string {
    const ip = status?.loadBalancer?.ingress?.[0]?.ip;
    if (!ip) {
        throw new Error(`Service ${service} has no load-balancer IP yet (.status.loadBalancer.ingress[0].ip); wait for the Hetzner cloud controller and re-run`);
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
            const service = k8s.core.v1.Service.get(`${name}-gateway-service`, svcId, { parent: this, provider: args.gateway.k8sProvider, dependsOn: args.gateway.ready });
            const gatewayIp = service.status.apply((status) => gatewayIpFromService(status, svcId));
            this.record(name, "apex", dns.domain, gatewayIp, dns, dns.cloudflareApiToken, provider, [service]);
            this.record(name, "wildcard", `*.${dns.domain}`, gatewayIp, dns, dns.cloudflareApiToken, provider, [service]);
        }
        this.registerOutputs({ apiHostname: this.apiHostname });
    }

    private record(name: string, role: string, fqdn: string, ip: pulumi.Input<string>, dns: DnsConfig, token: pulumi.Input<string>, provider: cloudflare.Provider, after: pulumi.Resource[]): cloudflare.DnsRecord {
        const cleanup = scriptCommand(
            `${name}-${role}-stale`,
            { script: DELETE_STALE_RECORDS_SCRIPT, environment: { CLOUDFLARE_API_TOKEN: token, ZONE_ID: dns.zoneId, RECORD_NAME: fqdn, RECORD_TYPE: "A" } },
            // Runs once per stack; later changes (a rotated token) must not re-run it, or it would
            // delete the record the program now owns.
            { parent: this, dependsOn: after, ignoreChanges: ["environment"] },
        );
        return new cloudflare.DnsRecord(
            `${name}-${role}`,
            { zoneId: dns.zoneId, name: fqdn, type: "A", content: ip, ttl: dns.ttl, proxied: false, comment: RECORD_COMMENT },
            { parent: this, provider, dependsOn: [cleanup] },
        );
    }
}
