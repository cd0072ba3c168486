/**
 * Realm matching: generated realms with generated names below, beside and above them, for each realm
 * type; record-type and operation filters; the combined check and the order of its reasons.
 */
import fc from "fast-check";
import type { RealmScope } from "plinth/security";
import { matchesDomain, operationAllowed, realmDenial, recordTypeAllowed } from "plinth/security";
import { describe, expect, it } from "vitest";

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?$/);
const realmValue = fc.array(label, { minLength: 2, maxLength: 4 }).map((ls) => ls.join("."));
const prefixLabels = fc.array(label, { minLength: 1, maxLength: 3 });

/** The same name as a user might send it: mixed case, maybe with the root's trailing dot. */
const spelling = (name: string, upper: boolean[], dot: boolean) =>
  [...name].map((c, i) => (upper[i % upper.length] ? c.toUpperCase() : c)).join("") + (dot ? "." : "");
const spellingArgs = fc.tuple(fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean());

/** A different name at the realm's own level: same parent, another first label. */
function sibling(value: string, other: string): string | undefined {
  const [first, ...rest] = value.split(".");
  return first === other ? undefined : [other, ...rest].join(".");
}

const realm = (realmType: string, value: string) => ({ realmType, realmValue: value });

describe("matchesDomain", () => {
  it("subdomain: the realm and every name below it match; siblings, look-alikes and parents do not", () => {
    fc.assert(
      fc.property(realmValue, prefixLabels, label, spellingArgs, (value, below, other, [upper, dot]) => {
        const r = realm("subdomain", value);
        const child = [...below, value].join(".");
        expect(matchesDomain(r, spelling(value, upper, dot))).toBe(true);
        expect(matchesDomain(r, spelling(child, upper, dot))).toBe(true);
        const side = sibling(value, other);
        if (side) {
          expect(matchesDomain(r, side)).toBe(false);
          expect(matchesDomain(r, [...below, side].join("."))).toBe(false);
        }
        expect(matchesDomain(r, `${other}${value}`)).toBe(false); // no label boundary
        expect(matchesDomain(r, value.split(".").slice(1).join("."))).toBe(false); // the parent
      }),
      { numRuns: 400 },
    );
  });

  it("host: only the realm's own name, in any case and with or without the trailing dot", () => {
    fc.assert(
      fc.property(realmValue, prefixLabels, label, spellingArgs, (value, below, other, [upper, dot]) => {
        const r = realm("host", value);
        expect(matchesDomain(r, spelling(value, upper, dot))).toBe(true);
        expect(matchesDomain(realm("host", spelling(value, upper, dot)), value)).toBe(true);
        expect(matchesDomain(r, [...below, value].join("."))).toBe(false);
        const side = sibling(value, other);
        if (side) expect(matchesDomain(r, side)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("wildcard: every name below matches, at any depth; the realm's own name and siblings do not", () => {
    fc.assert(
      fc.property(realmValue, prefixLabels, label, spellingArgs, (value, below, other, [upper, dot]) => {
        const child = spelling([...below, value].join("."), upper, dot);
        for (const r of [realm("wildcard", value), realm("wildcard", `*.${value}`)]) {
          expect(matchesDomain(r, child)).toBe(true);
          expect(matchesDomain(r, spelling(value, upper, dot))).toBe(false);
          const side = sibling(value, other);
          if (side) expect(matchesDomain(r, [...below, side].join("."))).toBe(false);
          expect(matchesDomain(r, `${other}${value}`)).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("matches nothing for an unknown realm type or an empty or malformed name", () => {
    expect(matchesDomain(realm("zone", "example.com"), "example.com")).toBe(false);
    expect(matchesDomain(realm("subdomain", "example.com"), "")).toBe(false);
    expect(matchesDomain(realm("subdomain", "example.com"), ".")).toBe(false);
    expect(matchesDomain(realm("subdomain", "example.com"), "a..example.com")).toBe(false);
    expect(matchesDomain(realm("subdomain", "example.com"), ".example.com")).toBe(false);
  });
});

describe("record-type and operation filters", () => {
  it("null allows everything, an empty list nothing; types compare upper-case, operations lower-case", () => {
    expect(recordTypeAllowed({ recordTypes: null }, "TXT")).toBe(true);
    expect(recordTypeAllowed({ recordTypes: [] }, "A")).toBe(false);
    expect(recordTypeAllowed({ recordTypes: ["A", "AAAA"] }, "aaaa")).toBe(true);
    expect(recordTypeAllowed({ recordTypes: ["A", "AAAA"] }, "TXT")).toBe(false);
    expect(operationAllowed({ operations: undefined }, "delete")).toBe(true);
    expect(operationAllowed({ operations: ["read", "update"] }, "UPDATE")).toBe(true);
    expect(operationAllowed({ operations: ["read", "update"] }, "delete")).toBe(false);
    expect(operationAllowed({ operations: [] }, "read")).toBe(false);
  });
});

describe("realmDenial", () => {
  const scope: RealmScope = {
    realmType: "subdomain",
    realmValue: "dyn.example.com",
    recordTypes: ["A", "AAAA"],
    operations: ["read", "update"],
    allowedIpRanges: ["192.0.2.0/24", "2001:db8::/32"],
  };
  const ok = { domain: "home.dyn.example.com", operation: "update", recordType: "A", sourceIp: "192.0.2.9" };

  it("allows a request inside every rule and names the one rule a request breaks", () => {
    expect(realmDenial(scope, ok)).toBeUndefined();
    expect(realmDenial(scope, { ...ok, sourceIp: "2001:db8::5" })).toBeUndefined();
    expect(realmDenial(scope, { ...ok, recordType: null })).toBeUndefined();
    expect(realmDenial(scope, { ...ok, domain: "example.com" })).toBe("domain_not_in_realm");
    expect(realmDenial(scope, { ...ok, operation: "delete" })).toBe("operation_not_allowed");
    expect(realmDenial(scope, { ...ok, recordType: "TXT" })).toBe("record_type_not_allowed");
    expect(realmDenial(scope, { ...ok, sourceIp: "198.51.100.1" })).toBe("ip_not_allowed");
    expect(realmDenial(scope, { ...ok, sourceIp: null })).toBe("ip_not_allowed");
    expect(realmDenial({ ...scope, allowedIpRanges: null }, { ...ok, sourceIp: null })).toBeUndefined();
  });

  it("reports the address first, then the name, the operation and the record type", () => {
    const everythingWrong = {
      domain: "other.org",
      operation: "delete",
      recordType: "MX",
      sourceIp: "10.0.0.1",
    };
    expect(realmDenial(scope, everythingWrong)).toBe("ip_not_allowed");
    expect(realmDenial(scope, { ...everythingWrong, sourceIp: ok.sourceIp })).toBe("domain_not_in_realm");
    expect(realmDenial(scope, { ...everythingWrong, sourceIp: ok.sourceIp, domain: ok.domain })).toBe(
      "operation_not_allowed",
    );
  });
});
