/**
 * Timestamps stored as text (SQLite) are read by position when they are in plinth's canonical form;
 * the result must be exactly what `new Date(text)` returns, for every instant and for text that is
 * not canonical or not a date at all.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { parseIsoTimestamp } from "../../src/data/iso-time.js";

const same = (text: string) => {
  const a = parseIsoTimestamp(text).getTime();
  const b = new Date(text).getTime();
  return a === b || (Number.isNaN(a) && Number.isNaN(b));
};

it("reads every instant of the years 1 to 9999 as new Date does", () => {
  const min = new Date("0001-01-01T00:00:00.000Z").getTime();
  const max = new Date("9999-12-31T23:59:59.999Z").getTime();
  fc.assert(
    fc.property(fc.integer({ min, max }), (ms) => {
      expect(parseIsoTimestamp(new Date(ms).toISOString()).getTime()).toBe(ms);
    }),
    { numRuns: 20_000 },
  );
});

it("leaves text outside the canonical form and the calendar to new Date", () => {
  for (const text of [
    "2024-02-30T00:00:00.000Z",
    "2023-02-29T00:00:00.000Z",
    "1900-02-29T00:00:00.000Z",
    "2000-02-29T00:00:00.000Z",
    "2024-01-01T24:00:00.000Z",
    "2024-01-01T23:60:00.000Z",
    "2024-13-01T00:00:00.000Z",
    "abcd-01-01T00:00:00.000Z",
    "2024-01-01T00:00:00Z",
    "2024-01-01 00:00:00.000Z",
    "2024-01-01T00:00:00.000+",
    "",
  ])
    expect(same(text), text).toBe(true);
  fc.assert(fc.property(fc.string({ minLength: 20, maxLength: 26 }), (text) => same(text)));
});
