/**
 * CIDR allow-lists for IPv4 and IPv6, checked with node:net's BlockList (which does the subnet
 * arithmetic). plinth adds one rule on top: an IPv4-mapped IPv6 address (`::ffff:10.1.2.3`, how a
 * dual-stack socket reports an IPv4 client) is the IPv4 address it carries, and a range written in
 * mapped form (`::ffff:10.0.0.0/104`) is the IPv4 range it carries (`10.0.0.0/8`). Apart from that
 * the two families never match each other: `::/0` allows every IPv6 client and no IPv4 client, and
 * `0.0.0.0/0` every IPv4 client and no IPv6 one.
 */
import { BlockList, isIPv4, isIPv6 } from "node:net";
import { PlinthError } from "../errors.js";

/** A range in an allow-list is not CIDR notation (or a bare address). */
export class InvalidCidrError extends PlinthError {
  static override readonly code: string = "PLINTH_INVALID_CIDR";
  override name = "InvalidCidrError";
  constructor(
    readonly range: string,
    reason: string,
  ) {
    super(`invalid CIDR range ${JSON.stringify(range)}: ${reason}`);
  }
}

export type IpFamily = "ipv4" | "ipv6";

export interface ParsedCidr {
  family: IpFamily;
  /** The network address as written, in IPv4 form for a mapped range. */
  address: string;
  prefix: number;
}

/** A normalised address: the family it belongs to, mapped addresses counted as IPv4. */
export interface NormalisedIp {
  family: IpFamily;
  address: string;
}

/**
 * The address in the family plinth compares it in, or undefined when it is not an IP address.
 * Accepts IPv6 in any spelling (compressed, expanded, with a dotted IPv4 tail) and `[...]` brackets.
 */
export function normaliseIp(ip: string): NormalisedIp | undefined {
  const bare = ip.trim().replace(/^\[(.*)\]$/, "$1");
  if (isIPv4(bare)) return { family: "ipv4", address: bare };
  if (!isIPv6(bare)) return undefined;
  const canonical = canonicalIpv6(bare);
  const mapped = mappedIpv4(canonical);
  return mapped ? { family: "ipv4", address: mapped } : { family: "ipv6", address: canonical };
}

/** Parses `a.b.c.d/n`, `x::y/n` or a bare address (a one-address range); throws InvalidCidrError. */
export function parseCidr(range: string): ParsedCidr {
  const [addressPart = "", prefixPart, extra] = range.trim().split("/");
  if (extra !== undefined) throw new InvalidCidrError(range, "more than one '/'");
  const ip = addressPart.trim();
  const v4 = isIPv4(ip);
  if (!v4 && !isIPv6(ip)) throw new InvalidCidrError(range, `${JSON.stringify(ip)} is not an IP address`);
  const max = v4 ? 32 : 128;
  const prefix = prefixPart === undefined ? max : Number(prefixPart.trim());
  if (prefixPart !== undefined && !/^\d{1,3}$/.test(prefixPart.trim()))
    throw new InvalidCidrError(range, `prefix length ${JSON.stringify(prefixPart)} is not a number`);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max)
    throw new InvalidCidrError(range, `prefix length ${prefix} is outside 0..${max}`);
  if (v4) return { family: "ipv4", address: ip, prefix };
  const canonical = canonicalIpv6(ip);
  const mapped = mappedIpv4(canonical);
  // A mapped range counts as IPv4 only when it stays inside ::ffff:0:0/96; a shorter prefix
  // spans real IPv6 space too, and stays an IPv6 range.
  if (mapped && prefix >= 96) return { family: "ipv4", address: mapped, prefix: prefix - 96 };
  return { family: "ipv6", address: canonical, prefix };
}

/** A compiled allow-list. `null`/`undefined` ranges allow every address; an empty list allows none. */
export class IpAllowList {
  private readonly v4 = new BlockList();
  private readonly v6 = new BlockList();
  private readonly any: boolean;

  constructor(ranges: readonly string[] | null | undefined) {
    this.any = ranges === null || ranges === undefined;
    for (const range of ranges ?? []) {
      const cidr = parseCidr(range);
      // Two lists, because one BlockList would also match IPv4 addresses against IPv6 rules.
      (cidr.family === "ipv4" ? this.v4 : this.v6).addSubnet(cidr.address, cidr.prefix, cidr.family);
    }
  }

  /** Whether `ip` is inside one of the ranges; a string that is not an IP address never is. */
  allows(ip: string): boolean {
    if (this.any) return normaliseIp(ip) !== undefined;
    const n = normaliseIp(ip);
    if (!n) return false;
    return (n.family === "ipv4" ? this.v4 : this.v6).check(n.address, n.family);
  }
}

const compiled = new Map<string, IpAllowList>();
const CACHE_LIMIT = 1000;

/**
 * Whether `ip` may connect under `ranges` (a realm's allowed_ip_ranges). Lists are compiled once and
 * kept (up to a bound), since the same few realms are checked on every request.
 */
export function ipAllowed(ranges: readonly string[] | null | undefined, ip: string): boolean {
  if (ranges === null || ranges === undefined) return new IpAllowList(null).allows(ip);
  const key = ranges.join("\n");
  let list = compiled.get(key);
  if (!list) {
    list = new IpAllowList(ranges);
    if (compiled.size >= CACHE_LIMIT) compiled.clear();
    compiled.set(key, list);
  }
  return list.allows(ip);
}

/** The entries that are not valid ranges, each as an error naming it (for checking input before it is stored). */
export function invalidCidrs(ranges: readonly string[]): InvalidCidrError[] {
  const errors: InvalidCidrError[] = [];
  for (const range of ranges) {
    try {
      parseCidr(range);
    } catch (error) {
      if (error instanceof InvalidCidrError) errors.push(error);
      else throw error;
    }
  }
  return errors;
}

/** The WHATWG URL parser's IPv6 serialisation: lower-case, zeros compressed, one spelling per address. */
function canonicalIpv6(ip: string): string {
  return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
}

/** `::ffff:a01:203` → `10.1.2.3`; undefined when the (canonical) address is not IPv4-mapped. */
function mappedIpv4(canonical: string): string | undefined {
  const m = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!m) return undefined;
  const hi = Number.parseInt(m[1] as string, 16);
  const lo = Number.parseInt(m[2] as string, 16);
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join(".");
}
