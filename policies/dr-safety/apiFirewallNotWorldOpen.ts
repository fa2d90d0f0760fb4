/**
 * Resource policy `api-firewall-not-world-open`: the Hetzner firewall must not open the
 * Kubernetes API (6443) or Talos apid (50000) to the whole internet unless the program was told
 * to, which it records with the label `world-open: "explicit"`.
 */
import { ResourceValidationPolicy } from "@pulumi/policy";
import { FIREWALL_TYPE } from "../support/types";

/** The ports that must not face the world, and what listens there. */
const GUARDED_PORTS: ReadonlyMap<number, string> = new Map([
    [6443, "the Kubernetes API"],
    [50000, "Talos apid"],
]);

/** The label (and value) that records a deliberate opening. */
const WORLD_OPEN_LABEL = { key: "world-open", value: "explicit" } as const;

/** True for a CIDR covering every address: any IPv4 or IPv6 network with prefix length 0. */
export function isWorldCidr(cidr: string): boolean {
    return /^[0-9a-fA-F:.]+\/0$/.test(cidr.trim());
}

/**
 * True when a rule's `port` (a number, a `from-to` range or `any`) covers `port`. A TCP rule
 * without a port is treated as covering every port, the safe reading of an incomplete rule.
 */
export function portCovers(rulePort: unknown, port: number): boolean {
    if (rulePort === undefined || rulePort === null) {
        return true;
    }
    const text = String(rulePort).trim().toLowerCase();
    if (text === "any") {
        return true;
    }
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(text);
    if (range) {
        return Number(range[1]) <= port && port <= Number(range[2]);
    }
    return /^\d+$/.test(text) && Number(text) === port;
}

/** One inbound rule that opens a guarded port to the world. */
interface WorldOpening {
    /** Index of the rule. */
    readonly rule: number;
    /** Its description, if any. */
    readonly description?: string;
    /** The world CIDRs it allows. */
    readonly sources: string[];
    /** The guarded ports it opens. */
    readonly ports: number[];
}

/** The world CIDRs among a rule's `sourceIps` (index reads, so a proxied list is read element by element). */
function worldSources(sourceIps: unknown): string[] {
    const sources: string[] = [];
    if (Array.isArray(sourceIps)) {
        for (let i = 0; i < sourceIps.length; i++) {
            const cidr = String(sourceIps[i]);
            if (isWorldCidr(cidr)) {
                sources.push(cidr);
            }
        }
    }
    return sources;
}

/** The inbound TCP rules of firewall inputs that open 6443 or 50000 to 0.0.0.0/0 or ::/0. */
function worldOpenings(rules: unknown): WorldOpening[] {
    if (!Array.isArray(rules)) {
        return [];
    }
    const openings: WorldOpening[] = [];
    for (let index = 0; index < rules.length; index++) {
        const rule = rules[index] as Record<string, unknown>;
        // Both APIs are TCP; UDP, ICMP, GRE and ESP rules cannot reach them.
        if (rule?.direction !== "in" || String(rule.protocol).toLowerCase() !== "tcp") {
            continue;
        }
        const sources = worldSources(rule.sourceIps);
        const ports = [...GUARDED_PORTS.keys()].filter((p) => portCovers(rule.port, p));
        if (sources.length > 0 && ports.length > 0) {
            openings.push({
                rule: index,
                description: typeof rule.description === "string" ? rule.description : undefined,
                sources,
                ports,
            });
        }
    }
    return openings;
}

/** The API firewall keeps 6443 and 50000 closed to the world unless explicitly labelled open. */
export const apiFirewallNotWorldOpen: ResourceValidationPolicy = {
    name: "api-firewall-not-world-open",
    description:
        "hcloud:index/firewall:Firewall resources do not allow inbound TCP on 6443 (Kubernetes API) or 50000 (Talos apid) " +
        'from 0.0.0.0/0 or ::/0 (any /0 network), counting "any" and port ranges, unless the firewall carries the label ' +
        'world-open: "explicit", which the program sets only when config explicitly opens it.',
    enforcementLevel: "mandatory",
    remediationSteps: "Restrict sourceIps to the operators' and CI's addresses, or open to the world explicitly through config.",
    validateResource: (args, reportViolation) => {
        if (args.type !== FIREWALL_TYPE) {
            return args.notApplicable(`applies to ${FIREWALL_TYPE} only`);
        }
        const labels = args.props.labels as Record<string, unknown> | undefined;
        if (labels?.[WORLD_OPEN_LABEL.key] === WORLD_OPEN_LABEL.value) {
            return;
        }
        for (const opening of worldOpenings(args.props.rules)) {
            const ports = opening.ports.map((p) => `${p} (${GUARDED_PORTS.get(p)})`).join(" and ");
            const which = opening.description ? `rule ${opening.rule} ("${opening.description}")` : `rule ${opening.rule}`;
            reportViolation(
                `${args.name} ${which} allows inbound TCP ${ports} from ${opening.sources.join(", ")}. ` +
                    "Fix: limit sourceIps to the operators' and CI's networks (cluster firewall sources in config); if the API must " +
                    `face the internet, open it through config, which labels the firewall ${WORLD_OPEN_LABEL.key}: "${WORLD_OPEN_LABEL.value}".`,
            );
        }
    },
};
