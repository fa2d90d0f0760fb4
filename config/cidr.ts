import { isIPv4, isIPv6 } from "net";

/** An IPv4 network in CIDR form, as numbers for arithmetic. */
export interface Ipv4Cidr {
    /** The canonical text, e.g. `10.0.1.0/24`. */
    readonly text: string;
    /** First address as an unsigned 32-bit integer. */
    readonly base: number;
    /** Prefix length, 0-32. */
    readonly prefix: number;
    /** Number of addresses in the block. */
    readonly size: number;
}

function ipv4ToNumber(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** Formats an unsigned 32-bit integer as a dotted quad. */
function numberToIpv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/**
 * Parses `a.b.c.d/n`. Returns a message instead when it is malformed or has host bits set
 * (`10.0.1.5/24` is almost always a typo, and Hetzner rejects it).
 */
export function parseIpv4Cidr(text: string): Ipv4Cidr | string {
    const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(text);
    if (!m || !isIPv4(m[1]) || Number(m[2]) > 32) {
        return "must be an IPv4 CIDR such as 10.0.0.0/16";
    }
    const prefix = Number(m[2]);
    const size = 2 ** (32 - prefix);
    const addr = ipv4ToNumber(m[1]);
    const base = addr - (addr % size);
    if (base !== addr) {
        return `has host bits set; the network address is ${numberToIpv4(base)}/${prefix}`;
    }
    return { text, base, prefix, size };
}

/** True when `inner` lies entirely inside `outer`. */
export function cidrContains(outer: Ipv4Cidr, inner: Ipv4Cidr): boolean {
    return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

/** True when the two blocks share any address. */
export function cidrsOverlap(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
    return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** The address at `offset` inside the block (offset 0 is the network address). */
export function hostAt(cidr: Ipv4Cidr, offset: number): string {
    if (offset <= 0 || offset >= cidr.size - 1) {
        throw new RangeError(`offset ${offset} is outside the usable hosts of ${cidr.text}`);
    }
    return numberToIpv4(cidr.base + offset);
}

/** Checks a firewall source: an IPv4 or IPv6 CIDR. Returns a message when it is not one. */
export function checkSourceCidr(text: string): string | undefined {
    if (text.includes(":")) {
        const m = /^([0-9a-fA-F:.]+)\/(\d{1,3})$/.exec(text);
        return m && isIPv6(m[1]) && Number(m[2]) <= 128 ? undefined : "must be an IPv4 or IPv6 CIDR (e.g. 203.0.113.7/32 or 2001:db8::/64)";
    }
    const parsed = parseIpv4Cidr(text);
    return typeof parsed === "string" ? `${parsed} (e.g. 203.0.113.7/32)` : undefined;
}

/** True for a source that admits the whole internet. */
export function isWorldCidr(text: string): boolean {
    return text === "0.0.0.0/0" || text === "::/0";
}
