/**
 * Time-based one-time passwords (RFC 6238) over otplib: enrolment gives a secret and the otpauth://
 * URI an authenticator app scans; verification accepts the current time step and one step either
 * side (clock drift, a code typed as it rolled over), and refuses any step at or before the last one
 * accepted, so a code can be used once. The caller stores the returned step (next to the secret,
 * which belongs in a `col.encrypted()` column).
 */
import { generateSecret, generateSync, generateURI, verifySync } from "otplib";

/** The usual authenticator settings: 6 digits, 30-second steps, SHA-1 (what every app supports). */
const PERIOD_SECONDS = 30;
const DIGITS = 6;

/** Milliseconds since the epoch, like `Date.now` (the default); tests inject a fixed clock. */
export type Clock = () => number;

const systemClock: Clock = () => Date.now();

export interface TotpEnrolment {
  /** Base32 secret: store it encrypted, never log it. */
  secret: string;
  /** otpauth://totp/… for a QR code. */
  uri: string;
}

export interface VerifyTotpOptions {
  /** The time step of the last code accepted for this secret; codes at or before it are refused. */
  lastUsedStep?: number | null;
  /** The clock (default: Date.now). */
  now?: Clock;
}

export type TotpResult =
  | { ok: true /** Store this as the next lastUsedStep. */; step: number /** -1, 0 or +1 */; drift: number }
  | { ok: false; reason: "malformed" | "invalid" | "replayed" };

/** A new secret (160 bits, base32) and its otpauth URI, labelled `issuer:account`. */
export function enrolTotp(options: { issuer: string; account: string }): TotpEnrolment {
  const secret = generateSecret();
  const uri = generateURI({
    issuer: options.issuer,
    label: options.account,
    secret,
    digits: DIGITS,
    period: PERIOD_SECONDS,
  });
  return { secret, uri };
}

/** The time step a moment falls in. */
export function totpStep(now: Clock = systemClock): number {
  return Math.floor(epochSeconds(now) / PERIOD_SECONDS);
}

/** The code for a time step (the current one by default): what an authenticator app would show. */
export function totpCode(secret: string, options: { step?: number; now?: Clock } = {}): string {
  const step = options.step ?? totpStep(options.now);
  return generateSync({ secret, epoch: step * PERIOD_SECONDS, period: PERIOD_SECONDS, digits: DIGITS });
}

/**
 * Checks a code against the current step ±1. A code whose step is at or before `lastUsedStep` is
 * refused as a replay even when it is otherwise right, so the same code cannot log in twice.
 */
export function verifyTotp(secret: string, code: string, options: VerifyTotpOptions = {}): TotpResult {
  const token = code.replace(/\s+/g, "");
  if (!/^\d+$/.test(token) || token.length !== DIGITS) return { ok: false, reason: "malformed" };
  const epoch = epochSeconds(options.now ?? systemClock);
  const current = Math.floor(epoch / PERIOD_SECONDS);
  const last = options.lastUsedStep ?? undefined;
  // otplib refuses an afterTimeStep beyond the window; nothing in the window can be newer anyway.
  if (last !== undefined && last >= current + 1) return { ok: false, reason: "replayed" };
  const check = (afterTimeStep?: number) =>
    verifySync({
      secret,
      token,
      epoch,
      period: PERIOD_SECONDS,
      digits: DIGITS,
      epochTolerance: PERIOD_SECONDS,
      afterTimeStep,
    });
  const result = check(last);
  if (result.valid) {
    const { timeStep } = result as { timeStep: number };
    return { ok: true, step: timeStep, drift: timeStep - current };
  }
  // Tell a replay from a wrong code: the code matches, but only at a step already used.
  if (last !== undefined && check().valid) return { ok: false, reason: "replayed" };
  return { ok: false, reason: "invalid" };
}

function epochSeconds(now: Clock): number {
  return Math.floor(now() / 1000);
}
