/**
 * TOTP: enrolment, the ±1 step window, replay refusal, and the secret kept in an encrypted column.
 */
import { generateSync } from "otplib";
import { col, schema, table } from "plinth/schema";
import { enrolTotp, generateEncryptionKey, totpCode, totpStep, verifyTotp } from "plinth/security";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { rawRows } from "./raw-store.js";

const STEP_MS = 30_000;
/** A fixed moment in the middle of its 30-second step, and clocks some steps away from it. */
const T0 = Date.UTC(2026, 10, 22, 8, 0, 15);
const at =
  (steps: number, offsetMs = 0) =>
  () =>
    T0 + steps * STEP_MS + offsetMs;

describe("TOTP", () => {
  it("enrols with a base32 secret and an otpauth URI an authenticator app can scan", () => {
    const { secret, uri } = enrolTotp({ issuer: "ACME DNS", account: "ann@example.com" });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 160 bits
    const parsed = new URL(uri);
    expect(parsed.protocol).toBe("otpauth:");
    expect(parsed.host).toBe("totp");
    expect(decodeURIComponent(parsed.pathname)).toBe("/ACME DNS:ann@example.com");
    expect(parsed.searchParams.get("secret")).toBe(secret);
    expect(parsed.searchParams.get("issuer")).toBe("ACME DNS");
    expect(enrolTotp({ issuer: "x", account: "y" }).secret).not.toBe(secret);
  });

  it("computes the same codes as the RFC 6238 reference (otplib, SHA-1, 6 digits, 30 s)", () => {
    const { secret } = enrolTotp({ issuer: "x", account: "y" });
    const step = totpStep(at(0));
    expect(step).toBe(Math.floor(T0 / STEP_MS));
    expect(totpCode(secret, { now: at(0) })).toBe(generateSync({ secret, epoch: Math.floor(T0 / 1000) }));
    expect(totpCode(secret, { step: step + 1 })).toBe(totpCode(secret, { now: at(1) }));
    // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits) ends in the 6-digit 287082.
    const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // base32 of "12345678901234567890"
    expect(totpCode(rfcSecret, { now: () => 59_000 })).toBe("287082");
  });

  it("accepts the codes of the previous, current and next step, and returns the step matched", () => {
    const { secret } = enrolTotp({ issuer: "x", account: "y" });
    const step = totpStep(at(0));
    for (const drift of [-1, 0, 1]) {
      const code = totpCode(secret, { step: step + drift });
      expect(verifyTotp(secret, code, { now: at(0) })).toEqual({ ok: true, step: step + drift, drift });
    }
    // Anywhere inside the current step, including its first and last second.
    const code = totpCode(secret, { step });
    for (const offset of [-15_000, 14_999]) {
      expect(verifyTotp(secret, code, { now: at(0, offset) })).toMatchObject({ ok: true, step });
    }
    // Spaces, as apps display "123 456", are ignored.
    expect(verifyTotp(secret, `${code.slice(0, 3)} ${code.slice(3)}`, { now: at(0) })).toMatchObject({
      ok: true,
    });
  });

  it("refuses codes two or more steps away, wrong codes and malformed input", () => {
    const { secret } = enrolTotp({ issuer: "x", account: "y" });
    const step = totpStep(at(0));
    for (const drift of [-3, -2, 2, 3]) {
      const code = totpCode(secret, { step: step + drift });
      // (a code of a far step could equal one in the window by chance: 3 in a million)
      const inWindow = [-1, 0, 1].some((d) => totpCode(secret, { step: step + d }) === code);
      if (!inWindow)
        expect(verifyTotp(secret, code, { now: at(0) })).toEqual({ ok: false, reason: "invalid" });
    }
    const right = totpCode(secret, { now: at(0) });
    const wrong = String((Number(right) + 1) % 1_000_000).padStart(6, "0");
    expect(verifyTotp(secret, wrong, { now: at(0) })).toMatchObject({ ok: false });
    for (const bad of ["", "12345", "1234567", "12a456", right.replace(/./, "x")]) {
      expect(verifyTotp(secret, bad, { now: at(0) })).toEqual({ ok: false, reason: "malformed" });
    }
    expect(verifyTotp(enrolTotp({ issuer: "x", account: "z" }).secret, right, { now: at(0) })).toMatchObject({
      ok: false,
    });
  });

  it("refuses a replay: a code at or before the last accepted step", () => {
    const { secret } = enrolTotp({ issuer: "x", account: "y" });
    const code = totpCode(secret, { now: at(0) });
    const first = verifyTotp(secret, code, { now: at(0) });
    expect(first.ok).toBe(true);
    const lastUsedStep = first.ok ? first.step : -1;
    // The same code again, seconds later, still inside its window: refused.
    expect(verifyTotp(secret, code, { now: at(0, 5_000), lastUsedStep })).toEqual({
      ok: false,
      reason: "replayed",
    });
    expect(verifyTotp(secret, code, { now: at(1), lastUsedStep })).toEqual({ ok: false, reason: "replayed" });
    // An older code of the window is refused too: it would be a step going back.
    const previous = totpCode(secret, { step: lastUsedStep - 1 });
    expect(verifyTotp(secret, previous, { now: at(0), lastUsedStep })).toMatchObject({ ok: false });
    // The next step's code is fine, and becomes the new mark.
    const next = verifyTotp(secret, totpCode(secret, { now: at(1) }), { now: at(1), lastUsedStep });
    expect(next).toEqual({ ok: true, step: lastUsedStep + 1, drift: 0 });
    // A mark ahead of the whole window (a clock that went back) refuses everything.
    expect(verifyTotp(secret, code, { now: at(0), lastUsedStep: lastUsedStep + 5 })).toEqual({
      ok: false,
      reason: "replayed",
    });
  });
});

const KEY = generateEncryptionKey("totp1");
const account = table("account", {
  id: col.id(),
  name: col.varchar(40),
  totpSecret: col.encrypted().nullable(),
  totpLastStep: col.bigint().nullable(),
});
const totpSchema = schema({ account });

describeEngines("TOTP secret in an encrypted column", (engine) => {
  const fx = useFreshDb(engine, totpSchema, { connect: { encryptionKeys: KEY } });

  it("stores the secret encrypted, reads it back, and keeps the last step against replays", async () => {
    const accounts = fx.db.repo("account");
    const { secret } = enrolTotp({ issuer: "ACME", account: "ann" });
    const ann = await accounts.create({ name: "ann", totpSecret: secret });

    const [stored] = await rawRows(engine, fx.url, fx.db, "account");
    expect(stored!.totp_secret).toMatch(/^v1:totp1:/);
    expect(JSON.stringify(stored)).not.toContain(secret);

    const login = async (code: string, now: () => number) => {
      const row = (await accounts.getById(ann.id))!;
      const result = verifyTotp(row.totpSecret!, code, { now, lastUsedStep: row.totpLastStep });
      if (result.ok) await accounts.update(ann.id, { totpLastStep: result.step });
      return result.ok;
    };
    const code = totpCode(secret, { now: at(0) });
    expect(await login(code, at(0))).toBe(true);
    expect(await login(code, at(0, 10_000))).toBe(false);
    expect((await accounts.getById(ann.id))?.totpLastStep).toBe(totpStep(at(0)));
    expect(await login(totpCode(secret, { now: at(1) }), at(1))).toBe(true);
  });
});
