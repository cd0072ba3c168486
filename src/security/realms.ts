/**
 * Realms: the part of the DNS tree a token may act on, and how. Shaped like dns-filter's `realm` row
 * (realmType, realmValue, recordTypes, operations, allowedIpRanges), so a row read from that table
 * can be passed as it is.
 *
 * Realm types (seed 000 names them; the meaning of each is fixed here):
 * - `host`: exactly the realm's name.
 * - `subdomain`: the realm's name and every name below it (its whole subtree).
 * - `wildcard`: every name below the realm's name, at any depth, but not the name itself, as a DNS
 *   wildcard `*.example.com` covers names under example.com and not example.com. The value may be
 *   stored as `example.com` or `*.example.com`.
 * Names compare case-insensitively and a trailing dot (the root) is ignored; a match never crosses a
 * label boundary, so `badexample.com` is not below `example.com`.
 */
import { ipAllowed } from "./cidr.js";

export const REALM_TYPES = ["host", "subdomain", "wildcard"] as const;
export type RealmKind = (typeof REALM_TYPES)[number];

export interface RealmScope {
  realmType: RealmKind | string;
  realmValue: string;
  /** Allowed record types; null or undefined allows every type, an empty list none. */
  recordTypes?: readonly string[] | null;
  /** Allowed operations; null or undefined allows every operation, an empty list none. */
  operations?: readonly string[] | null;
  /** CIDR ranges requests must come from; null or undefined allows any address. */
  allowedIpRanges?: readonly string[] | null;
}

/** Lower-case, without the trailing root dot. */
export function normaliseDomain(name: string): string {
  const trimmed = name.trim().toLowerCase();
  return trimmed.endsWith(".") ? trimmed.slice(0, -1) : trimmed;
}

/** Whether `fqdn` lies inside the realm; an unknown realm type matches nothing. */
export function matchesDomain(realm: Pick<RealmScope, "realmType" | "realmValue">, fqdn: string): boolean {
  const name = normaliseDomain(fqdn);
  if (name === "" || name.includes("..")) return false;
  const stored = normaliseDomain(realm.realmValue);
  const value = realm.realmType === "wildcard" ? stored.replace(/^\*\./, "") : stored;
  if (value === "") return false;
  switch (realm.realmType) {
    case "host":
      return name === value;
    case "subdomain":
      return name === value || isBelow(name, value);
    case "wildcard":
      return isBelow(name, value);
    default:
      return false;
  }
}

/** Strictly below `parent`, on a label boundary. */
function isBelow(name: string, parent: string): boolean {
  return name.length > parent.length + 1 && name.endsWith(`.${parent}`);
}

/** Whether the realm allows the record type (compared upper-case: `aaaa` is `AAAA`). */
export function recordTypeAllowed(realm: Pick<RealmScope, "recordTypes">, recordType: string): boolean {
  if (realm.recordTypes === null || realm.recordTypes === undefined) return true;
  const wanted = recordType.trim().toUpperCase();
  return realm.recordTypes.some((t) => t.trim().toUpperCase() === wanted);
}

/** Whether the realm allows the operation (compared lower-case). */
export function operationAllowed(realm: Pick<RealmScope, "operations">, operation: string): boolean {
  if (realm.operations === null || realm.operations === undefined) return true;
  const wanted = operation.trim().toLowerCase();
  return realm.operations.some((o) => o.trim().toLowerCase() === wanted);
}

export interface RealmRequest {
  /** The name the request touches. */
  domain: string;
  operation: string;
  /** Omitted for requests that concern no single record type (e.g. listing a zone). */
  recordType?: string | null;
  /** The client's address; omitted when unknown, which fails any IP allow-list. */
  sourceIp?: string | null;
}

export type RealmDenial =
  | "domain_not_in_realm"
  | "operation_not_allowed"
  | "record_type_not_allowed"
  | "ip_not_allowed";

/**
 * The first rule the request breaks, or undefined when the realm allows it. Checked in a fixed order
 * (address, name, operation, record type) so the same request is always refused for the same reason.
 */
export function realmDenial(realm: RealmScope, request: RealmRequest): RealmDenial | undefined {
  if (!sourceAllowed(realm, request.sourceIp)) return "ip_not_allowed";
  if (!matchesDomain(realm, request.domain)) return "domain_not_in_realm";
  if (!operationAllowed(realm, request.operation)) return "operation_not_allowed";
  if (request.recordType != null && !recordTypeAllowed(realm, request.recordType))
    return "record_type_not_allowed";
  return undefined;
}

function sourceAllowed(realm: Pick<RealmScope, "allowedIpRanges">, ip: string | null | undefined): boolean {
  if (realm.allowedIpRanges === null || realm.allowedIpRanges === undefined) return true;
  return ip != null && ipAllowed(realm.allowedIpRanges, ip);
}
