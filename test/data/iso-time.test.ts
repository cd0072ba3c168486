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

it("reads the rest of an hour it has read before as new Date does, valid or not", () => {
  // Consecutive reads in one hour take the remembered hour; every text of that hour, including
  // minutes and seconds outside the clock, must still read as new Date reads it.
  const hourArb = fc
    .integer({
      min: new Date("0001-01-01T00:00:00Z").getTime(),
      max: new Date("9999-12-31T23:00:00Z").getTime(),
    })
    .map((ms) => new Date(ms).toISOString().slice(0, 13));
  const digits = (n: number, width: number) => String(n).padStart(width, "0");
  const restArb = fc.tuple(
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 99 }),
    fc.integer({ min: 0, max: 999 }),
  );
  fc.assert(
    fc.property(hourArb, fc.array(restArb, { minLength: 1, maxLength: 20 }), (hour, rests) => {
      for (const [minute, second, milli] of rests) {
        const text = `${hour}:${digits(minute, 2)}:${digits(second, 2)}.${digits(milli, 3)}Z`;
        expect(same(text), text).toBe(true);
      }
    }),
    { numRuns: 2_000 },
  );
  // A first read of an hour that is then followed by another hour.
  expect(parseIsoTimestamp("2024-05-06T07:08:09.010Z").toISOString()).toBe("2024-05-06T07:08:09.010Z");
  expect(parseIsoTimestamp("2024-05-06T08:08:09.010Z").toISOString()).toBe("2024-05-06T08:08:09.010Z");
  expect(parseIsoTimestamp("2024-05-06T07:59:59.999Z").toISOString()).toBe("2024-05-06T07:59:59.999Z");
});
