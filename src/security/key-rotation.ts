/**
 * Key rotation: re-encrypts every encrypted column under the keyring's primary key.
 *
 * Each table is walked in primary-key order (keyset pagination), one transaction per batch, and
 * only rows holding a value under another key are read, so an interrupted run resumes by running
 * again. A row is rewritten only if it still holds the value that was read (compare-and-set on the
 * ciphertext, which is unique per write), so a concurrent update is never overwritten.
 */
import type { Expression, Kysely, SqlBool } from "kysely";
import type { Db } from "../data/connect.js";
import { PlinthError } from "../errors.js";
import type { Schema, TableModel } from "../schema/index.js";
import type { Keyring } from "./encryption.js";
import {
  ciphertextPrefix,
  DecryptionError,
  ENCRYPTION_KEYS_VARIABLE,
  EncryptionKeyError,
} from "./encryption.js";

export interface RotationProgress {
  /** The table the last batch came from. */
  table: string;
  /** Rows examined so far, over all tables. */
  done: number;
  /** Rows that held a value under an old key when the run started, over all tables. */
  total: number;
  /** Values re-encrypted so far. */
  rotated: number;
}

export interface RotateKeysOptions {
  /** Rows per batch, each batch one transaction (default 500). */
  batchSize?: number;
  /** Stop after this many batches; running again continues where this run stopped. */
  maxBatches?: number;
  /** Called once before the first batch and after every batch. */
  onProgress?: (progress: RotationProgress) => void;
  /** The keys to rotate with; the connection's own unless given. */
  keyring?: Keyring;
}

export interface TableRotation {
  table: string;
  /** Its encrypted columns (database names). */
  columns: string[];
  /** Rows that held a value under an old key when the run started. */
  stale: number;
  /** Values re-encrypted under the primary key. */
  rotated: number;
  /** Rows left alone because they changed between read and write (a later run sees them again). */
  changed: number;
}

export interface RotationResult {
  /** The primary key every rotated value is now under. */
  keyId: string;
  tables: TableRotation[];
  rotated: number;
  batches: number;
  /** False when maxBatches stopped the run early. */
  complete: boolean;
  /** Values still under another key after the run (0 when complete, unless written meanwhile). */
  remaining: number;
  /** Keys no stored value uses any more: they can be removed from the keyring. */
  removable: string[];
}

/** Re-encrypts every encrypted column of `db`'s schema under the primary key; see the module comment. */
export async function rotateEncryptionKeys<S extends Schema>(
  db: Db<S>,
  options: RotateKeysOptions = {},
): Promise<RotationResult> {
  const keyring = options.keyring ?? db.keyring;
  const tables = db.schema.model.tables.filter((t) => t.columns.some((c) => c.encrypted));
  if (!keyring) {
    if (tables.length === 0) return emptyResult();
    throw new EncryptionKeyError(`no encryption keys: set ${ENCRYPTION_KEYS_VARIABLE}`);
  }
  const batchSize = options.batchSize ?? 500;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new PlinthError("batchSize must be a positive integer");
  // Without plugins: the stored ciphertext is what is read and written here, not the plaintext.
  const raw = db.kysely.withoutPlugins() as unknown as Kysely<any>;
  // MySQL's default collations compare case-insensitively: "v1:K2:" would pass for "v1:k2:".
  const prefix: StaleFilter = { prefix: ciphertextPrefix(keyring.primary), exactly: db.adapter.exactly };

  const plans = await Promise.all(
    tables.map(async (t) => ({ table: t, stale: await countStale(raw, t, prefix) })),
  );
  const total = plans.reduce((n, p) => n + p.stale, 0);
  const progress: RotationProgress = { table: plans[0]?.table.name ?? "", done: 0, total, rotated: 0 };
  options.onProgress?.({ ...progress });

  const results: TableRotation[] = [];
  let batches = 0;
  let complete = true;
  for (const { table, stale } of plans) {
    const result: TableRotation = {
      table: table.name,
      columns: encryptedOf(table),
      stale,
      rotated: 0,
      changed: 0,
    };
    results.push(result);
    let after: unknown[] | undefined;
    while (true) {
      if (options.maxBatches !== undefined && batches >= options.maxBatches) {
        complete = false;
        break;
      }
      const batch = await raw
        .transaction()
        .execute((trx) => rotateBatch(trx, table, keyring, prefix, after, batchSize, result));
      if (batch.rows === 0) break;
      batches += 1;
      after = batch.last;
      progress.table = table.name;
      progress.done += batch.rows;
      progress.rotated += batch.rotated;
      options.onProgress?.({ ...progress });
      if (batch.rows < batchSize) break;
    }
    if (!complete) break;
  }

  const remaining = (await Promise.all(tables.map((t) => countStale(raw, t, prefix)))).reduce(
    (a, b) => a + b,
    0,
  );
  return {
    keyId: keyring.primary,
    tables: results,
    rotated: progress.rotated,
    batches,
    complete,
    remaining,
    removable: complete && remaining === 0 ? keyring.ids.filter((id) => id !== keyring.primary) : [],
  };
}

/** One batch: read the next stale rows after `after`, re-encrypt, write back each row still unchanged. */
async function rotateBatch(
  trx: Kysely<any>,
  table: TableModel,
  keyring: Keyring,
  prefix: StaleFilter,
  after: unknown[] | undefined,
  batchSize: number,
  result: TableRotation,
): Promise<{ rows: number; rotated: number; last?: unknown[] }> {
  const pk = table.primaryKey.columns;
  const columns = encryptedOf(table);
  let query = trx
    .selectFrom(table.name)
    .select([...pk, ...columns])
    .where((eb) => staleCondition(eb, columns, prefix));
  if (after) {
    // A composite key compares as a row value: (a, b) > (x, y), on every engine.
    query = query.where((eb: any) =>
      pk.length === 1 ? eb(pk[0]!, ">", after[0]) : eb(eb.refTuple(...pk), ">", eb.tuple(...after)),
    );
  }
  for (const k of pk) query = query.orderBy(k);
  const rows = (await query.limit(batchSize).execute()) as Record<string, unknown>[];
  let rotated = 0;
  for (const row of rows) {
    const rowKey = pk.map((k) => `${k}=${String(row[k])}`).join(", ");
    const patch: Record<string, string> = {};
    for (const column of columns) {
      const stored = row[column];
      if (typeof stored !== "string" || keyring.isCurrent(stored)) continue;
      const at = { table: table.name, column };
      let plaintext: string;
      try {
        plaintext = keyring.decrypt(stored, at);
      } catch (error) {
        if (error instanceof DecryptionError) {
          throw new DecryptionError(at, error.reason, error.keyId, rowKey);
        }
        throw error;
      }
      patch[column] = keyring.encrypt(plaintext, at);
    }
    const changedColumns = Object.keys(patch);
    if (changedColumns.length === 0) continue;
    let update = trx.updateTable(table.name).set(patch);
    for (const k of pk) update = update.where(k, "=", row[k]);
    // Compare-and-set: a row rewritten since it was read keeps its new value.
    for (const c of changedColumns) update = update.where(c, "=", row[c]);
    const written = await update.executeTakeFirst();
    if (Number(written.numUpdatedRows) > 0) rotated += changedColumns.length;
    else result.changed += 1;
  }
  result.rotated += rotated;
  const lastRow = rows[rows.length - 1];
  return { rows: rows.length, rotated, last: lastRow && pk.map((k) => lastRow[k]) };
}

/** Rows holding, in some encrypted column, a value that is not under the primary key. */
async function countStale(raw: Kysely<any>, table: TableModel, prefix: StaleFilter): Promise<number> {
  const row = await raw
    .selectFrom(table.name)
    .select((eb) => eb.fn.countAll().as("n"))
    .where((eb) => staleCondition(eb, encryptedOf(table), prefix))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Values not under the primary key start with another prefix; compared byte for byte. */
interface StaleFilter {
  prefix: string;
  /** The text compared byte for byte, whatever the column's collation. */
  exactly: (text: Expression<unknown>) => Expression<unknown>;
}

function staleCondition(eb: any, columns: string[], { prefix, exactly }: StaleFilter): Expression<SqlBool> {
  return eb.or(
    columns.map((c) => {
      const head = eb.fn("substr", [eb.ref(c), eb.lit(1), eb.lit(prefix.length)]);
      return eb.and([eb(c, "is not", null), eb(exactly(head), "<>", prefix)]);
    }),
  );
}

function encryptedOf(table: TableModel): string[] {
  return table.columns.filter((c) => c.encrypted).map((c) => c.name);
}

function emptyResult(): RotationResult {
  return { keyId: "", tables: [], rotated: 0, batches: 0, complete: true, remaining: 0, removable: [] };
}
