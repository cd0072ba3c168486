/**
 * API tokens: `<prefix>_<alias>_<random>`, shown once at issue and stored as a public lookup prefix
 * (unique index) plus a keyed hash of the whole token.
 *
 * Why a fast keyed hash: a token carries at least 256 random bits, so nothing can be guessed from its
 * hash, however fast the hash is; the slow, salted hash a password needs buys nothing here and would
 * cost every request hundreds of milliseconds. The key (pepper) lives outside the database, so a
 * leaked table alone does not even allow checking a candidate token. Deployments whose rules demand
 * bcrypt can choose `hashing: "bcrypt"`: bcrypt over the keyed hash (which also keeps the input
 * within bcrypt's 72 bytes).
 */
import crypto from "node:crypto";
import bcrypt from "bcryptjs";
import type { Db, Id, NewRowOf, RowOf, TableName } from "../data/index.js";
import { Repository } from "../data/index.js";
import { PlinthError, ValidationError } from "../errors.js";
import type { Schema } from "../schema/index.js";
import { col } from "../schema/index.js";

/** The environment variable the pepper is read from when no `pepper` option is given. */
export const TOKEN_PEPPER_ENV = "PLINTH_TOKEN_PEPPER";

/** Aliases a token may carry: letters, digits, `-` and `_`, at most 64 (the alias column's length). */
export const TOKEN_ALIAS = /^[A-Za-z0-9_-]{1,64}$/;

const TOKEN_PREFIX = /^[a-z][a-z0-9]{0,15}$/;
const BASE62_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62 = /^[0-9A-Za-z]+$/;
// 43 base62 characters carry 43 × log2(62) ≈ 256 bits.
const MIN_SECRET_CHARS = 43;
const MIN_PEPPER_CHARS = 32;
const HMAC_HEX_CHARS = 64;

/**
 * The columns of a token table. They are declared exactly as dns-filter's `auth_token` declares
 * them, so that table can adopt the mixin without a migration.
 *
 *   table("api_token", { id: col.id(), ...apiTokenColumns(), createdAt: col.timestamp().defaultNow() })
 */
export function apiTokenColumns() {
  return {
    alias: col.varchar(64).doc("Human-readable name of the token."),
    tokenPrefix: col
      .varchar(64)
      .unique()
      .doc("Public lookup prefix; its unique index serves every token lookup."),
    tokenHash: col.varchar(255).secret().doc("Hash of the token; never the token."),
    expiresAt: col.timestamp().nullable().doc("Empty: never expires."),
    isActive: col.boolean().default(true),
    lastUsedAt: col.timestamp().nullable(),
  };
}

/** The row shape a table needs to serve ApiTokens (what apiTokenColumns() declares). */
export interface TokenRowShape {
  alias: string;
  tokenPrefix: string;
  tokenHash: string;
  expiresAt: Date | null;
  isActive: boolean;
  lastUsedAt: Date | null;
}

/** A token row as verify reads it. */
type StoredToken = Record<string, unknown> & TokenRowShape;

/** The tables of a schema whose rows have the token columns. */
export type TokenTableName<S extends Schema> = {
  [N in TableName<S>]: RowOf<S, N> extends TokenRowShape ? N : never;
}[TableName<S>];

export interface ApiTokenOptions {
  /** The first part of every token, e.g. "naf": lower-case letters and digits, at most 16. */
  prefix: string;
  /** The server-side key of the token hash; PLINTH_TOKEN_PEPPER unless given. At least 32 characters. */
  pepper?: string;
  /** "hmac" (HMAC-SHA-256, the default) or "bcrypt" (bcrypt over the HMAC). Either stored form verifies. */
  hashing?: "hmac" | "bcrypt";
  /** bcrypt's cost in bcrypt mode; default 12. */
  bcryptCost?: number;
  /** Base62 characters after the alias; default 64. The first `lookupLength` are the lookup prefix. */
  randomLength?: number;
  /** Characters of the random part stored in the clear as the lookup prefix; default 12 (71 bits). */
  lookupLength?: number;
  /** lastUsedAt is written at most once per this many milliseconds per token; default one minute. */
  touchIntervalMs?: number;
  /** The clock; `() => new Date()` unless given. */
  now?: () => Date;
}

/** A token taken apart: `<prefix>_<alias>_<lookup><secret>`. */
export interface ParsedApiToken {
  prefix: string;
  alias: string;
  lookup: string;
  secret: string;
}

export type TokenFailureReason = "malformed" | "unknown" | "mismatch" | "expired" | "revoked";

/**
 * The outcome of `verify`. Only `ok: true` authenticates. A `revoked` or `expired` row is the row of
 * the very token presented (its hash matched); on `mismatch`, only the id the prefix pointed at is
 * given, since the presenter did not prove to own it.
 */
export type TokenVerification<R> =
  | { ok: true; row: R }
  | { ok: false; reason: "malformed" | "unknown" }
  | { ok: false; reason: "mismatch"; tokenId: unknown }
  | { ok: false; reason: "revoked" | "expired"; row: R };

/** What `mint` gives for a token row: its alias, lookup prefix and hash. */
export interface MintedColumns {
  alias: string;
  tokenPrefix: string;
  tokenHash: string;
}

export type IssueInput<S extends Schema, N extends TableName<S>> = { alias: string } & Omit<
  NewRowOf<S, N>,
  "alias" | "tokenPrefix" | "tokenHash" | "lastUsedAt"
>;

/** A missing or unusable token pepper: a start-up error naming the variable. */
export class TokenPepperError extends PlinthError {
  static override readonly code: string = "PLINTH_TOKEN_PEPPER_ERROR";
  override name = "TokenPepperError";
}

/** Takes a token apart by format alone (no database); undefined when it is not a well-formed token. */
export function parseApiToken(
  token: unknown,
  options: { prefix: string; randomLength?: number; lookupLength?: number },
): ParsedApiToken | undefined {
  const randomLength = options.randomLength ?? 64;
  const lookupLength = options.lookupLength ?? 12;
  const { prefix } = options;
  if (typeof token !== "string") return undefined;
  if (token.length > prefix.length + 66 + randomLength) return undefined;
  if (!token.startsWith(`${prefix}_`)) return undefined;
  const rest = token.slice(prefix.length + 1);
  const cut = rest.lastIndexOf("_");
  const alias = rest.slice(0, cut);
  const random = rest.slice(cut + 1);
  if (cut < 1 || !TOKEN_ALIAS.test(alias)) return undefined;
  if (random.length !== randomLength || !BASE62.test(random)) return undefined;
  return { prefix, alias, lookup: random.slice(0, lookupLength), secret: random.slice(lookupLength) };
}

/** `length` characters of base62, uniformly random (bytes ≥ 248 are dropped so none is favoured). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte >= 248) continue;
      out += BASE62_ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** The table access tokens need beyond the repository: the throttled lastUsedAt write. */
class TokenStore extends Repository<any, any> {
  /**
   * Writes lastUsedAt only if it is still older than `cutoff`, so concurrent requests (and other
   * processes) write it once. It is usage bookkeeping, not a change anyone made, so it bypasses the
   * write hooks (no audit row per minute of use).
   */
  async touch(id: unknown, at: Date, cutoff: Date): Promise<boolean> {
    const key = this.pk[0]!;
    const result = await this.q
      .updateTable(this.table)
      .set({ lastUsedAt: at })
      .where(key, "=", id)
      .where((eb) => eb.or([eb("lastUsedAt", "is", null), eb("lastUsedAt", "<=", cutoff)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  keyOf(row: Record<string, unknown>): unknown {
    return row[this.pk[0]!];
  }
}

/**
 * The keyed hash ApiTokens stores, on its own: for tables whose columns are not apiTokenColumns()
 * (session tokens, API keys under other column names) that still want the same hashing. `hash` gives
 * HMAC-SHA-256 as hex (or bcrypt over it); `matches` compares in constant time and accepts either
 * stored form.
 */
export class TokenHasher {
  private readonly pepper: crypto.KeyObject;
  private readonly hashing: "hmac" | "bcrypt";
  private readonly bcryptCost: number;

  constructor(options: Pick<ApiTokenOptions, "pepper" | "hashing" | "bcryptCost"> = {}) {
    this.hashing = options.hashing ?? "hmac";
    this.bcryptCost = options.bcryptCost ?? 12;
    this.pepper = crypto.createSecretKey(Buffer.from(pepperFrom(options.pepper), "utf8"));
  }

  private keyed(token: string): Buffer {
    return crypto.createHmac("sha256", this.pepper).update(token, "utf8").digest();
  }

  async hash(token: string): Promise<string> {
    const mac = this.keyed(token);
    if (this.hashing === "bcrypt") return bcrypt.hash(mac.toString("base64"), this.bcryptCost);
    return mac.toString("hex");
  }

  /** Whether `token` is the one `stored` was made from; a stored value of neither form never matches. */
  async matches(token: string, stored: string): Promise<boolean> {
    return this.matchesNow(token, stored) ?? bcrypt.compare(this.keyed(token).toString("base64"), stored);
  }

  /**
   * `matches` without a promise, for a stored HMAC (the default form): undefined when `stored` is
   * bcrypt's, which only `matches` can check.
   */
  matchesNow(token: string, stored: string): boolean | undefined {
    if (stored.startsWith("$2")) return undefined;
    const mac = this.keyed(token);
    if (stored.length !== HMAC_HEX_CHARS || !/^[0-9a-f]+$/i.test(stored)) return false;
    return crypto.timingSafeEqual(mac, Buffer.from(stored, "hex"));
  }
}

/**
 * Issues, verifies and revokes the API tokens of one table (declared with apiTokenColumns()).
 *
 *   const tokens = new ApiTokens(db, "auth_token", { prefix: "naf" });
 *   const { token } = await tokens.issue({ alias: "ci", realmId });   // shown to the user once
 *   const check = await tokens.verify(token);                       // { ok: true, row } or a reason
 */
export class ApiTokens<S extends Schema, N extends TokenTableName<S>> {
  readonly prefix: string;
  private readonly hasher: TokenHasher;
  private readonly hashing: "hmac" | "bcrypt";
  private readonly bcryptCost: number;
  private readonly randomLength: number;
  private readonly lookupLength: number;
  private readonly touchIntervalMs: number;
  private readonly now: () => Date;
  private readonly store: TokenStore;

  constructor(
    db: Db<S>,
    readonly table: N,
    options: ApiTokenOptions,
  ) {
    this.prefix = options.prefix;
    this.randomLength = options.randomLength ?? 64;
    this.lookupLength = options.lookupLength ?? 12;
    this.hashing = options.hashing ?? "hmac";
    this.bcryptCost = options.bcryptCost ?? 12;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.now = options.now ?? (() => new Date());
    this.checkOptions();
    this.hasher = new TokenHasher({
      pepper: options.pepper,
      hashing: this.hashing,
      bcryptCost: this.bcryptCost,
    });
    this.store = new TokenStore(db as Db<any>, table);
    checkTokenTable(db as unknown as Db<Schema>, table);
  }

  /**
   * Creates a token row and returns the full token: the only time it exists outside the caller's
   * hands. `input` carries the alias and the table's other columns (realm, expiry, ...).
   */
  async issue(input: IssueInput<S, N>): Promise<{ token: string; row: RowOf<S, N> }> {
    const { token, values } = await this.mint(input.alias);
    const row = await this.store.create({ ...input, ...values });
    return { token, row: row as RowOf<S, N> };
  }

  /**
   * Makes a token and the column values that store it, without writing anything: for issuing many
   * at once (`repo.createMany`) or inside a caller's own insert. The token is not kept anywhere.
   */
  async mint(alias: string): Promise<{ token: string; values: MintedColumns }> {
    if (typeof alias !== "string" || !TOKEN_ALIAS.test(alias))
      throw ValidationError.of([
        { table: this.table, column: "alias", message: "must be 1-64 letters, digits, '-' or '_'" },
      ]);
    const random = randomBase62(this.randomLength);
    const token = `${this.prefix}_${alias}_${random}`;
    // The lookup prefix has ≥ 47 random bits (71 by default): a clash, which the unique index would
    // refuse, is not a practical concern.
    const values = {
      alias,
      tokenPrefix: random.slice(0, this.lookupLength),
      tokenHash: await this.hash(token),
    };
    return { token, values };
  }

  /**
   * Checks a presented token: format first (a malformed token costs no query), then one lookup by
   * the unique prefix, a constant-time comparison of the hash, revocation, expiry. A valid token's
   * lastUsedAt is written at most once per `touchIntervalMs`.
   */
  async verify(token: string): Promise<TokenVerification<RowOf<S, N>>> {
    const parsed = this.parse(token);
    if (!parsed) return { ok: false, reason: "malformed" };
    // The prefix is unique, so the lookup needs no LIMIT: on SQLite `LIMIT ?` on a unique-index
    // equality costs about as much again as the lookup itself.
    const rows = (await this.store.findMany({ where: { tokenPrefix: parsed.lookup } })) as StoredToken[];
    const row = rows[0];
    if (!row) return { ok: false, reason: "unknown" };
    // The HMAC form is checked without a promise; bcrypt's needs one.
    const matched = this.hasher.matchesNow(token, row.tokenHash) ?? (await this.matches(token, row.tokenHash));
    if (!matched)
      return { ok: false, reason: "mismatch", tokenId: this.store.keyOf(row) };
    if (!row.isActive) return { ok: false, reason: "revoked", row: row as RowOf<S, N> };
    const now = this.now();
    if (row.expiresAt !== null && row.expiresAt.getTime() <= now.getTime())
      return { ok: false, reason: "expired", row: row as RowOf<S, N> };
    const cutoff = new Date(now.getTime() - this.touchIntervalMs);
    if (row.lastUsedAt === null || row.lastUsedAt.getTime() <= cutoff.getTime()) {
      if (await this.store.touch(this.store.keyOf(row), now, cutoff)) row.lastUsedAt = now;
    }
    return { ok: true, row: row as RowOf<S, N> };
  }

  /** Marks a token inactive (through the repository, so it is audited). NotFoundError if there is none. */
  async revoke(id: Id): Promise<RowOf<S, N>> {
    return (await this.store.update(id, { isActive: false })) as RowOf<S, N>;
  }

  /** Takes a token apart by format alone, with this instance's prefix and lengths. */
  parse(token: string): ParsedApiToken | undefined {
    return parseApiToken(token, {
      prefix: this.prefix,
      randomLength: this.randomLength,
      lookupLength: this.lookupLength,
    });
  }

  private hash(token: string): Promise<string> {
    return this.hasher.hash(token);
  }

  private matches(token: string, stored: string): Promise<boolean> {
    return this.hasher.matches(token, stored);
  }

  private checkOptions(): void {
    const fail = (message: string) => {
      throw new PlinthError(`ApiTokens(${this.table}): ${message}`);
    };
    if (!TOKEN_PREFIX.test(this.prefix ?? ""))
      fail(
        `prefix must be 1-16 lower-case letters and digits, starting with a letter (got "${this.prefix}")`,
      );
    if (!Number.isInteger(this.lookupLength) || this.lookupLength < 8 || this.lookupLength > 64)
      fail(
        `lookupLength must be an integer from 8 to 64 (the lookup column holds 64), got ${this.lookupLength}`,
      );
    if (!Number.isInteger(this.randomLength) || this.randomLength - this.lookupLength < MIN_SECRET_CHARS)
      fail(
        `randomLength must leave at least ${MIN_SECRET_CHARS} secret characters (256 bits) after the ` +
          `${this.lookupLength}-character lookup prefix, got ${this.randomLength}`,
      );
    if (this.hashing !== "hmac" && this.hashing !== "bcrypt")
      fail(`hashing must be "hmac" or "bcrypt", got "${this.hashing}"`);
    if (!Number.isInteger(this.bcryptCost) || this.bcryptCost < 4 || this.bcryptCost > 31)
      fail(`bcryptCost must be an integer from 4 to 31, got ${this.bcryptCost}`);
  }
}

function pepperFrom(given: string | undefined): string {
  const pepper = given ?? process.env[TOKEN_PEPPER_ENV];
  const source = given === undefined ? TOKEN_PEPPER_ENV : "the pepper option";
  if (pepper === undefined || pepper === "")
    throw new TokenPepperError(
      `${TOKEN_PEPPER_ENV} is not set: API tokens are hashed with this server-side secret. ` +
        `Set it to at least ${MIN_PEPPER_CHARS} random characters (e.g. \`openssl rand -base64 32\`), ` +
        "or pass { pepper }. Changing it invalidates every issued token.",
    );
  if (pepper.length < MIN_PEPPER_CHARS)
    throw new TokenPepperError(
      `${source} is too short (${pepper.length} characters): use at least ${MIN_PEPPER_CHARS} random characters`,
    );
  return pepper;
}

function checkTokenTable(db: Db<Schema>, table: string): void {
  const model = db.schema.model.tables.find((t) => t.name === table)!;
  const keys = new Set(model.columns.map((c) => c.key));
  const missing = Object.keys(apiTokenColumns()).filter((key) => !keys.has(key));
  if (missing.length > 0)
    throw new PlinthError(
      `ApiTokens: table ${table} lacks the token column(s) ${missing.join(", ")}; declare it with ...apiTokenColumns()`,
    );
  if (model.primaryKey.columns.length !== 1)
    throw new PlinthError(`ApiTokens: table ${table} needs a single-column primary key`);
}
