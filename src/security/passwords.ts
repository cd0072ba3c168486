/**
 * Password hashing: argon2id for every new hash, and verification of argon2 and legacy bcrypt hashes
 * with a `needsRehash` flag, so a successful login can replace an old or weaker hash.
 *
 * Neither a password nor a hash ever appears in an error message.
 */
import type { Algorithm } from "@node-rs/argon2";
import { hash as argon2Hash, verify as argon2Verify, parseOptions } from "@node-rs/argon2";
import bcrypt from "bcryptjs";
import { PlinthError } from "../errors.js";

/** The argon2 cost parameters plinth controls (the salt is random and 16 bytes, the output 32). */
export interface Argon2Params {
  /** Memory in KiB. */
  memoryCost: number;
  /** Passes over the memory. */
  timeCost: number;
  /** Lanes (threads). */
  parallelism: number;
}

/**
 * OWASP Password Storage Cheat Sheet, "Argon2id": "use Argon2id with a minimum configuration of
 * 19 MiB of memory, an iteration count of 2, and 1 degree of parallelism"
 * (https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html#argon2id).
 * The cheat sheet's other configurations trade memory for passes (e.g. m=47104, t=1); pass one of
 * them to hashPassword/verifyPassword to use it.
 */
export const OWASP_ARGON2ID: Readonly<Argon2Params> = Object.freeze({
  memoryCost: 19456,
  timeCost: 2,
  parallelism: 1,
});

/** The result of checking a password against a stored hash. */
export interface PasswordCheck {
  ok: boolean;
  /** The password was right but the hash is bcrypt or weaker than the current parameters: store hashPassword(plain). */
  needsRehash: boolean;
}

/** Longer input is refused: a login form is no place for megabytes, and hashing them costs time. */
export const MAX_PASSWORD_LENGTH = 4096;

// @node-rs/argon2 declares Algorithm as a const enum, which transpilers that work file by file
// cannot inline; 2 is its Argon2id member.
const ARGON2ID = 2 as Algorithm;
const OUTPUT_BYTES = 32;
// argon2 version 0x13 (19), the current one; parseOptions reports it as Version.V0x13 = 1.
const CURRENT_VERSION = 1;

/** argon2id of `plain` as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). */
export async function hashPassword(plain: string, params: Argon2Params = OWASP_ARGON2ID): Promise<string> {
  checkInput(plain);
  return argon2Hash(normalize(plain), {
    algorithm: ARGON2ID,
    memoryCost: params.memoryCost,
    timeCost: params.timeCost,
    parallelism: params.parallelism,
    outputLen: OUTPUT_BYTES,
  });
}

/**
 * Checks `plain` against a stored argon2 (any variant) or bcrypt hash. `needsRehash` is only ever
 * true when `ok` is: a wrong password says nothing about the hash. A stored value that is neither
 * kind of hash is a data error and throws.
 */
export async function verifyPassword(
  hash: string,
  plain: string,
  params: Argon2Params = OWASP_ARGON2ID,
): Promise<PasswordCheck> {
  if (typeof plain !== "string" || plain.length === 0 || plain.length > MAX_PASSWORD_LENGTH)
    return { ok: false, needsRehash: false };
  switch (hashKind(hash)) {
    case "argon2": {
      const ok = await argon2Verify(hash, normalize(plain)).catch(() => {
        throw new PlinthError("the stored password hash is not a valid argon2 hash");
      });
      return { ok, needsRehash: ok && weakerThan(hash, params) };
    }
    case "bcrypt": {
      // Legacy hashes were made from the raw input, so it is compared as given.
      const ok = await bcrypt.compare(plain, hash);
      return { ok, needsRehash: ok };
    }
    default:
      throw new PlinthError("the stored password hash is neither argon2 nor bcrypt");
  }
}

/** True for text that is an argon2 or bcrypt hash (what a `col.password()` column accepts). */
export function isPasswordHash(value: string): boolean {
  return hashKind(value) !== undefined;
}

const ARGON2 = /^\$argon2(id|i|d)\$v=\d+\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/;
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;

function hashKind(value: unknown): "argon2" | "bcrypt" | undefined {
  if (typeof value !== "string") return undefined;
  if (ARGON2.test(value)) return "argon2";
  if (BCRYPT.test(value)) return "bcrypt";
  return undefined;
}

function weakerThan(hash: string, params: Argon2Params): boolean {
  const used = parseOptions(hash);
  return (
    used.algorithm !== ARGON2ID ||
    used.version !== CURRENT_VERSION ||
    used.memoryCost < params.memoryCost ||
    used.timeCost < params.timeCost ||
    used.parallelism < params.parallelism ||
    used.outputLen < OUTPUT_BYTES
  );
}

function checkInput(plain: string): void {
  if (typeof plain !== "string" || plain.length === 0)
    throw new PlinthError("a password must be a non-empty string");
  if (plain.length > MAX_PASSWORD_LENGTH)
    throw new PlinthError(`a password may have at most ${MAX_PASSWORD_LENGTH} characters`);
}

/**
 * NIST SP 800-63B 5.1.1.2: the same password typed on different keyboards or systems can arrive as
 * different Unicode sequences (composed é or e + combining accent); NFKC makes them one.
 */
function normalize(plain: string): string {
  return plain.normalize("NFKC");
}
