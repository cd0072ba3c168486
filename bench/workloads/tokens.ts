/**
 * The API-token workload's data: dns-filter's `auth_token` (apiTokenColumns(), under a realm) with
 * 100,000 tokens, and the check every non-plinth peer makes around its own lookup.
 *
 * Tokens are made deterministically (the random part is base62 of a SHA-256 of the token's number)
 * so the seed and every peer know them without passing them around; they have the format and the
 * length `ApiTokens.mint` gives, and their hash is plinth's TokenHasher's (HMAC-SHA-256 with a
 * server-side pepper). lastUsedAt is set at seeding and plinth is opened with a touch interval of a
 * day, so the timed verifications are the steady state (no lastUsedAt write), as for the others.
 */
import crypto from "node:crypto";
import { TokenHasher } from "../../src/security/index.js";

export const TOKENS = Number(process.env.PLINTH_BENCH_TOKENS) || 100_000;
export const TOKEN_PREFIX = "naf";
export const TOKEN_PEPPER = "bench-pepper-of-at-least-32-characters-0123456789";
/** Characters of the random part stored in the clear as the lookup prefix (ApiTokens' default). */
export const LOOKUP_LENGTH = 12;
const RANDOM_LENGTH = 64;
const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** A day: no verification of the bench writes lastUsedAt. */
export const TOUCH_INTERVAL_MS = 86_400_000;

/** Token number `i` (0-based; its row id is i + 1), as a client presents it. */
export function benchToken(i: number): string {
  let random = "";
  for (let round = 0; random.length < RANDOM_LENGTH; round++)
    for (const byte of crypto.createHash("sha256").update(`token-${i}-${round}`).digest()) {
      if (byte >= 248) continue;
      random += BASE62[byte % 62];
      if (random.length === RANDOM_LENGTH) break;
    }
  return `${TOKEN_PREFIX}_svc-${i % 100}_${random}`;
}

/** The stored columns of token `i`. */
export async function tokenColumns(
  i: number,
  hasher: TokenHasher,
): Promise<{ alias: string; tokenPrefix: string; tokenHash: string }> {
  const token = benchToken(i);
  const random = token.slice(token.lastIndexOf("_") + 1);
  return {
    alias: `svc-${i % 100}`,
    tokenPrefix: random.slice(0, LOOKUP_LENGTH),
    tokenHash: await hasher.hash(token),
  };
}

export function benchHasher(): TokenHasher {
  return new TokenHasher({ pepper: TOKEN_PEPPER });
}

/** Distinct tokens the verifications present, spread over the table; made once, outside the timing. */
const PRESENTED = 20_000;
let presented: string[] | undefined;

/** Which token the i-th verification presents. */
export function tokenOf(i: number): string {
  presented ??= Array.from({ length: PRESENTED }, (_, k) => benchToken((k * 7919) % TOKENS));
  return presented[i % PRESENTED]!;
}

/** A row as a peer's lookup returns it, under that peer's own key names. */
export interface TokenRow {
  hash: string;
  active: boolean | number;
  expiresAt: Date | string | null;
}

/**
 * What every non-plinth peer does around its lookup, as a service would write it: take the token
 * apart, one lookup by the lookup prefix, HMAC-SHA-256 with the pepper, constant-time comparison,
 * revocation and expiry. Returns the row on success, undefined otherwise.
 */
export function tokenVerifier<R>(
  lookup: (prefix: string) => R | null | undefined | PromiseLike<R | null | undefined>,
  fields: (row: R) => TokenRow,
) {
  const key = crypto.createSecretKey(Buffer.from(TOKEN_PEPPER, "utf8"));
  const check = (token: string, row: R | null | undefined): R | undefined => {
    if (!row) return undefined;
    const f = fields(row);
    const mac = crypto.createHmac("sha256", key).update(token, "utf8").digest();
    const stored = Buffer.from(f.hash, "hex");
    if (stored.length !== mac.length || !crypto.timingSafeEqual(mac, stored)) return undefined;
    if (!f.active) return undefined;
    if (f.expiresAt !== null && new Date(f.expiresAt).getTime() <= Date.now()) return undefined;
    return row;
  };
  return (token: string): R | undefined | Promise<R | undefined> => {
    const cut = token.lastIndexOf("_");
    if (!token.startsWith(`${TOKEN_PREFIX}_`) || cut < 0 || token.length - cut - 1 !== RANDOM_LENGTH)
      return undefined;
    const prefix = token.slice(cut + 1, cut + 1 + LOOKUP_LENGTH);
    const row = lookup(prefix);
    // Some clients return thenables of their own rather than Promises.
    return isThenable(row) ? Promise.resolve(row).then((r) => check(token, r)) : check(token, row);
  };
}

function isThenable<R>(
  value: R | undefined | PromiseLike<R | undefined>,
): value is PromiseLike<R | undefined> {
  return typeof (value as { then?: unknown } | undefined)?.then === "function";
}
