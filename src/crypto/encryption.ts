/**
 * Encrypted columns: AES-256-GCM with a random 96-bit nonce per value, the key id inside the stored
 * text, and the table and column as associated data, so a value copied into another column (or
 * another table) fails authentication instead of decrypting there.
 *
 * Stored format, versioned and self-describing:
 *
 *   v1:<keyId>:<base64(nonce ‖ ciphertext ‖ tag)>
 *
 * Keys come from PLINTH_ENCRYPTION_KEYS (or `connect(..., { encryptionKeys })`), written as
 * `<keyId>:<base64 of 32 bytes>` entries separated by commas. The first entry encrypts new writes;
 * every entry can decrypt, which is what lets `plinth keys rotate` move old values to a new key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { PlinthError } from "../errors.js";
import type { SchemaModel } from "../schema/index.js";

/** The environment variable the keys are read from. */
export const ENCRYPTION_KEYS_VARIABLE = "PLINTH_ENCRYPTION_KEYS";

const VERSION = "v1";
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ENVELOPE = /^v1:([A-Za-z0-9_-]{1,64}):([A-Za-z0-9+/]+={0,2})$/;

/** Where an encrypted value lives: database names of its table and column. */
export interface EncryptedColumnRef {
  table: string;
  column: string;
}

/** A key the keyring can use: its id (written into every value it encrypts) and 32 key bytes. */
export interface EncryptionKey {
  id: string;
  key: Uint8Array;
}

/** The encryption keys are missing or malformed. The message names where they were read from. */
export class EncryptionKeyError extends PlinthError {
  static override readonly code: string = "PLINTH_ENCRYPTION_KEY_ERROR";
  override name = "EncryptionKeyError";
}

/** A stored value could not be decrypted: altered, moved from another column, or under an unknown key. */
export class DecryptionError extends PlinthError {
  static override readonly code: string = "PLINTH_DECRYPTION_FAILED";
  override name = "DecryptionError";
  readonly table: string;
  readonly column: string;
  /** The key id the value names, when it could be read. */
  readonly keyId?: string;
  /** The row's primary key, when known (key rotation names the row it stopped at). */
  readonly row?: string;
  /** What went wrong, without the table and column. */
  readonly reason: string;

  constructor(at: EncryptedColumnRef, reason: string, keyId?: string, row?: string) {
    super(`cannot decrypt ${at.table}.${at.column}${row ? ` (row ${row})` : ""}: ${reason}`);
    this.reason = reason;
    this.table = at.table;
    this.column = at.column;
    this.keyId = keyId;
    this.row = row;
  }
}

/**
 * The keys an application holds. The primary key (the first) encrypts; any key decrypts the values
 * that name it.
 */
export class Keyring {
  readonly primary: string;
  private readonly keys: Map<string, Buffer>;

  constructor(keys: readonly EncryptionKey[], source = "the encryption keys") {
    if (keys.length === 0) throw new EncryptionKeyError(`${source} lists no key`);
    this.keys = new Map();
    for (const { id, key } of keys) {
      if (!KEY_ID.test(id)) {
        throw new EncryptionKeyError(
          `${source}: key id "${id}" must be 1-64 letters, digits, "_" or "-" (it is written into every value)`,
        );
      }
      if (key.length !== KEY_BYTES) {
        throw new EncryptionKeyError(
          `${source}: key "${id}" is ${key.length} bytes; AES-256 needs ${KEY_BYTES}`,
        );
      }
      // Ids are compared case-insensitively too: MySQL's default collations would confuse "K1" and "k1".
      if ([...this.keys.keys()].some((k) => k.toLowerCase() === id.toLowerCase())) {
        throw new EncryptionKeyError(`${source}: key id "${id}" appears twice`);
      }
      this.keys.set(id, Buffer.from(key));
    }
    this.primary = keys[0]!.id;
  }

  /**
   * Parses `<keyId>:<base64 key>` entries separated by commas (or whitespace). The key is 32 bytes,
   * base64 or base64url. Error messages never repeat key material.
   */
  static parse(text: string, source = ENCRYPTION_KEYS_VARIABLE): Keyring {
    const entries = text.split(/[\s,]+/).filter((e) => e !== "");
    const keys = entries.map((entry, i) => {
      const colon = entry.indexOf(":");
      if (colon <= 0) {
        throw new EncryptionKeyError(
          `${source}: entry ${i + 1} is not "<keyId>:<base64 key>" (e.g. "k2026:${"A".repeat(43)}=")`,
        );
      }
      const id = entry.slice(0, colon);
      const encoded = entry.slice(colon + 1);
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded)) {
        throw new EncryptionKeyError(`${source}: key "${id}" is not base64`);
      }
      // Node's base64 decoder reads the URL-safe alphabet too.
      return { id, key: Buffer.from(encoded, "base64") };
    });
    return new Keyring(keys, source);
  }

  /** The keyring from PLINTH_ENCRYPTION_KEYS, or undefined when the variable is unset or empty. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Keyring | undefined {
    const text = env[ENCRYPTION_KEYS_VARIABLE]?.trim();
    return text ? Keyring.parse(text, ENCRYPTION_KEYS_VARIABLE) : undefined;
  }

  /** The ids of every key, primary first. */
  get ids(): string[] {
    return [...this.keys.keys()];
  }

  has(keyId: string): boolean {
    return this.keys.has(keyId);
  }

  /** Encrypts under the primary key, bound to the column it will be stored in. */
  encrypt(plaintext: string, at: EncryptedColumnRef): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.keys.get(this.primary)!, nonce);
    cipher.setAAD(associatedData(this.primary, at));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64");
    return `${VERSION}:${this.primary}:${sealed}`;
  }

  /** Decrypts a stored value of the column `at`; throws DecryptionError on any doubt about it. */
  decrypt(stored: string, at: EncryptedColumnRef): string {
    const match = ENVELOPE.exec(stored);
    if (!match) {
      throw new DecryptionError(
        at,
        `the stored value is not ${VERSION} ciphertext ("${VERSION}:<keyId>:<base64>")`,
      );
    }
    const [, keyId, encoded] = match as unknown as [string, string, string];
    const key = this.keys.get(keyId);
    if (!key) {
      throw new DecryptionError(
        at,
        `the value was encrypted with key "${keyId}", which is not among the configured keys (${this.ids.join(", ")})`,
        keyId,
      );
    }
    const sealed = Buffer.from(encoded, "base64");
    if (sealed.length < NONCE_BYTES + TAG_BYTES) {
      throw new DecryptionError(at, "the ciphertext is truncated", keyId);
    }
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(associatedData(keyId, at));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    try {
      const body = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString("utf8");
    } catch {
      throw new DecryptionError(
        at,
        "authentication failed: the value was altered, or was encrypted for another column",
        keyId,
      );
    }
  }

  /** The key id a stored value names, or undefined when the value is not ciphertext. */
  keyIdOf(stored: string): string | undefined {
    return ENVELOPE.exec(stored)?.[1];
  }

  /** Whether a stored value is already under the primary key (what key rotation skips). */
  isCurrent(stored: string): boolean {
    return this.keyIdOf(stored) === this.primary;
  }
}

/** Whether a value has the shape of stored ciphertext (it may still fail to decrypt). */
export function isCiphertext(value: unknown): value is string {
  return typeof value === "string" && ENVELOPE.test(value);
}

/** The prefix every value encrypted under `keyId` starts with. */
export function ciphertextPrefix(keyId: string): string {
  return `${VERSION}:${keyId}:`;
}

/** A new random key in the format PLINTH_ENCRYPTION_KEYS takes: `<keyId>:<base64 of 32 bytes>`. */
export function generateEncryptionKey(keyId: string): string {
  if (!KEY_ID.test(keyId)) {
    throw new EncryptionKeyError(`key id "${keyId}" must be 1-64 letters, digits, "_" or "-"`);
  }
  return `${keyId}:${randomBytes(KEY_BYTES).toString("base64")}`;
}

/** Every encrypted column of a schema, by database names. */
export function encryptedColumns(model: SchemaModel): EncryptedColumnRef[] {
  return model.tables.flatMap((t) =>
    t.columns.filter((c) => c.encrypted).map((c) => ({ table: t.name, column: c.name })),
  );
}

/**
 * The keyring a connection uses: the one given, else PLINTH_ENCRYPTION_KEYS. A schema with
 * encrypted columns and no keys is refused here, at start-up, rather than at the first write.
 */
export function resolveKeyring(
  model: SchemaModel,
  given?: string | Keyring,
  env: NodeJS.ProcessEnv = process.env,
): Keyring | undefined {
  if (given instanceof Keyring) return given;
  if (typeof given === "string") return Keyring.parse(given, "the encryptionKeys option");
  const encrypted = encryptedColumns(model);
  if (encrypted.length === 0) return undefined;
  const keyring = Keyring.fromEnv(env);
  if (keyring) return keyring;
  const names = encrypted.map((c) => `${c.table}.${c.column}`);
  const listed = names.length > 3 ? `${names.slice(0, 3).join(", ")}, …` : names.join(", ");
  throw new EncryptionKeyError(
    `the schema has encrypted columns (${listed}) but ${ENCRYPTION_KEYS_VARIABLE} is not set: ` +
      `set it to "<keyId>:<base64 32-byte key>" (several comma-separated; the first encrypts new writes; ` +
      `\`plinth keys generate <keyId>\` makes one), or pass connect(url, schema, { encryptionKeys })`,
  );
}

/** Binds a value to its key id, table and column; NUL cannot occur in any of them. */
function associatedData(keyId: string, at: EncryptedColumnRef): Buffer {
  return Buffer.from(`${VERSION}\0${keyId}\0${at.table}\0${at.column}`, "utf8");
}
