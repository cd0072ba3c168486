/**
 * PostgreSQL's timestamptz text is read by position in its common form; the result must be exactly
 * what the general reading gives (the text rewritten as ISO-8601 for new Date), for every instant,
 * fraction length and offset, and text it does not recognise must still be left alone.
 */
import fc from "fast-check";
import { expect, it } from "vitest";
import { parsePgTimestamptz } from "../../src/dialect/driver.js";

/** The general reading, as it was before the positional one: the reference. */
function reference(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const fraction = (m[5] ?? ".000").slice(0, 4).padEnd(4, "0");
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}${fraction}${m[6]}:${m[7] ?? "00"}`).getTime();
}

const pad = (n: number, width: number) => String(n).padStart(width, "0");

/** How PostgreSQL prints an instant at a given offset (minutes east of UTC), with `digits` of fraction. */
function printed(ms: number, offset: number, digits: number, micros: number): string {
  const local = new Date(ms + offset * 60_000);
  const fraction =
    digits === 0 ? "" : `.${(pad(local.getUTCMilliseconds(), 3) + pad(micros, 3)).slice(0, digits)}`;
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const zone = `${sign}${pad(Math.floor(abs / 60), 2)}${abs % 60 ? `:${pad(abs % 60, 2)}` : ""}`;
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1, 2)}-${pad(local.getUTCDate(), 2)} ${pad(local.getUTCHours(), 2)}:${pad(local.getUTCMinutes(), 2)}:${pad(local.getUTCSeconds(), 2)}${fraction}${zone}`;
}

it("reads every instant, fraction and offset as the general reading does", () => {
  const min = new Date("0002-01-01T00:00:00.000Z").getTime();
  const max = new Date("9998-12-31T23:59:59.999Z").getTime();
  fc.assert(
    fc.property(
      fc.integer({ min, max }),
      fc.constantFrom(0, 330, -480, 60, -150, 345),
      fc.integer({ min: 0, max: 6 }),
      fc.integer({ min: 0, max: 999 }),
      (ms, offset, digits, micros) => {
        const text = printed(ms, offset, digits, micros);
        expect(parsePgTimestamptz(text)?.getTime(), text).toBe(reference(text));
      },
    ),
    { numRuns: 20_000 },
  );
});

it("leaves what it does not recognise to the general reading", () => {
  for (const text of [
    "infinity",
    "-infinity",
    "2024-01-01 00:00:00+00 BC",
    "2024-02-30 00:00:00+00",
    "2024-01-01 24:00:00+00",
    "2024-01-01 00:00:00.+00",
    "2024-01-01 00:00:00",
    "2024-01-01 00:00:00+0",
    "2024-01-01 00:00:00+0530",
    "2024-01-01T00:00:00+00",
    "12024-01-01 00:00:00+00",
  ]) {
    const got = parsePgTimestamptz(text)?.getTime();
    const want = reference(text);
    expect(Number.isNaN(got) && Number.isNaN(want) ? "NaN" : got, text).toEqual(
      Number.isNaN(want) ? "NaN" : want,
    );
  }
});
