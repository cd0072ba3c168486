/**
 * CIDR allow-lists: generated ranges with the addresses just inside and just outside them, for IPv4
 * and IPv6; families never cross-match except IPv4-mapped IPv6 addresses and ranges.
 */
import fc from "fast-check";
import {
  InvalidCidrError,
  IpAllowList,
  invalidCidrs,
  ipAllowed,
  normaliseIp,
  parseCidr,
} from "plinth/security";
import { describe, expect, it } from "vitest";

// Reference arithmetic, independent of the implementation (which leaves it to node:net).
const V4_SPACE = 2n ** 32n;
const V6_SPACE = 2n ** 128n;

function v4(n: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
}
/** Uncompressed, so the implementation has to cope with more than one spelling. */
function v6(n: bigint): string {
  return [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((s) => ((n >> s) & 0xffffn).toString(16)).join(":");
}
const MAPPED_BASE = 0xffffn << 32n;

interface Generated {
  network: bigint;
  prefix: number;
  inside: bigint;
}

function rangeIn(bits: number): fc.Arbitrary<Generated> {
  const space = 2n ** BigInt(bits);
  return fc
    .tuple(
      fc.bigInt({ min: 0n, max: space - 1n }),
      fc.integer({ min: 0, max: bits }),
      fc.bigInt({ min: 0n, max: space - 1n }),
    )
    .map(([any, prefix, offset]) => {
      const size = 2n ** BigInt(bits - prefix);
      const network = (any / size) * size;
      return { network, prefix, inside: network + (offset % size) };
    });
}

const sizeOf = (bits: number, prefix: number) => 2n ** BigInt(bits - prefix);

describe("ipAllowed: IPv4", () => {
  it("allows every address inside a generated range, and not the first address after or before it", () => {
    fc.assert(
      fc.property(rangeIn(32), ({ network, prefix, inside }) => {
        const ranges = [`${v4(network)}/${prefix}`];
        expect(ipAllowed(ranges, v4(inside))).toBe(true);
        const after = network + sizeOf(32, prefix);
        if (after < V4_SPACE) expect(ipAllowed(ranges, v4(after))).toBe(false);
        if (network > 0n) expect(ipAllowed(ranges, v4(network - 1n))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("treats an IPv4-mapped IPv6 address and a mapped range like the IPv4 ones they carry", () => {
    fc.assert(
      fc.property(rangeIn(32), fc.bigInt({ min: 0n, max: V4_SPACE - 1n }), ({ network, prefix }, probe) => {
        const plain = ipAllowed([`${v4(network)}/${prefix}`], v4(probe));
        expect(ipAllowed([`${v4(network)}/${prefix}`], `::ffff:${v4(probe)}`)).toBe(plain);
        expect(ipAllowed([`${v4(network)}/${prefix}`], v6(MAPPED_BASE + probe))).toBe(plain);
        expect(ipAllowed([`::ffff:${v4(network)}/${prefix + 96}`], v4(probe))).toBe(plain);
      }),
      { numRuns: 300 },
    );
  });
});

describe("ipAllowed: IPv6", () => {
  it("allows every address inside a generated range, and not the first address after or before it", () => {
    fc.assert(
      fc.property(rangeIn(128), ({ network, prefix, inside }) => {
        // mapped space below a /96 is the one documented exception; random ranges essentially never hit it
        fc.pre(inside >> 32n !== 0xffffn || prefix >= 96);
        const ranges = [`${v6(network)}/${prefix}`];
        expect(ipAllowed(ranges, v6(inside))).toBe(true);
        const after = network + sizeOf(128, prefix);
        if (after < V6_SPACE && after >> 32n !== 0xffffn) expect(ipAllowed(ranges, v6(after))).toBe(false);
        const before = network - 1n;
        if (network > 0n && before >> 32n !== 0xffffn) expect(ipAllowed(ranges, v6(before))).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it("accepts any spelling of an address: compressed, expanded, upper-case, bracketed", () => {
    const ranges = ["2001:db8:abcd::/48"];
    for (const ip of ["2001:db8:abcd::1", "2001:0DB8:ABCD:0000:0000:0000:0000:0001", "[2001:db8:abcd::1]"])
      expect(ipAllowed(ranges, ip)).toBe(true);
    expect(ipAllowed(ranges, "2001:db8:abce::1")).toBe(false);
  });
});

describe("ipAllowed: families", () => {
  it("never matches an IPv4 address against an IPv6 range or the reverse, ::/0 and 0.0.0.0/0 included", () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (a4, a6) => {
        fc.pre(normaliseIp(a6)?.family === "ipv6");
        expect(ipAllowed(["::/0"], a4)).toBe(false);
        expect(ipAllowed(["0.0.0.0/0"], a6)).toBe(false);
        expect(ipAllowed(["::/0"], a6)).toBe(true);
        expect(ipAllowed(["0.0.0.0/0"], a4)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("reads null as any address and an empty list as none; a non-address is never allowed", () => {
    expect(ipAllowed(null, "10.0.0.1")).toBe(true);
    expect(ipAllowed(undefined, "::1")).toBe(true);
    expect(ipAllowed([], "10.0.0.1")).toBe(false);
    for (const bad of ["", "10.0.0", "10.0.0.256", "example.com", "::g", "10.0.0.1/32"])
      expect(ipAllowed(["0.0.0.0/0", "::/0"], bad)).toBe(false);
    expect(new IpAllowList(["10.0.0.7"]).allows("10.0.0.7")).toBe(true); // bare address = /32
    expect(new IpAllowList(["10.0.0.7"]).allows("10.0.0.8")).toBe(false);
  });

  it("refuses malformed ranges, naming each", () => {
    for (const bad of [
      "10.0.0.0/33",
      "::/129",
      "10.0.0/8",
      "abc/8",
      "10.0.0.0/-1",
      "10.0.0.0/8/9",
      "10.0.0.0/x",
    ]) {
      const error = (() => {
        try {
          parseCidr(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidCidrError);
      expect((error as Error).message).toContain(JSON.stringify(bad));
      expect(() => ipAllowed([bad], "10.0.0.1")).toThrow(InvalidCidrError);
    }
    expect(invalidCidrs(["10.0.0.0/8", "::/200", "nope"]).map((e) => e.range)).toEqual(["::/200", "nope"]);
    expect(parseCidr("::ffff:10.0.0.0/104")).toEqual({ family: "ipv4", address: "10.0.0.0", prefix: 8 });
    expect(parseCidr("::ffff:0:0/80")).toMatchObject({ family: "ipv6", prefix: 80 });
  });
});
