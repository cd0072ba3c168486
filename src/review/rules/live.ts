import { PlinthError } from "../../errors.js";
/** What the live rules share: a transaction that is always rolled back, savepoints, bindable values. */

import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { SqlDialect } from "../../dialect/index.js";

/** Thrown to roll a probe's transaction back; caught right there, never seen by a caller. */
class RolledBack extends PlinthError {
  static override readonly code: string = "PLINTH_REVIEW_ROLLED_BACK";
  override name = "RolledBack";
}

/** Runs `fn` in a transaction that is rolled back whatever happens; returns what `fn` returned. */
export async function rolledBack<T>(db: Kysely<any>, fn: (trx: Kysely<any>) => Promise<T>): Promise<T> {
  let out: T | undefined;
  try {
    await db.transaction().execute(async (trx) => {
      out = await fn(trx);
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return out as T;
}

let counter = 0;

/**
 * Runs `fn` inside a savepoint and undoes it whether it succeeded or not: one refused statement
 * neither aborts the transaction (PostgreSQL) nor leaves rows for the next probe. True when `fn`
 * succeeded, false when the database refused it.
 */
export async function accepted(trx: Kysely<any>, fn: () => Promise<unknown>): Promise<boolean> {
  const name = sql.raw(`plinth_probe_${++counter}`);
  await sql`SAVEPOINT ${name}`.execute(trx);
  let ok = true;
  try {
    await fn();
  } catch {
    ok = false;
  }
  await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(trx);
  await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
  return ok;
}

/** Kept: the statement's effect stays in the transaction when it succeeded (a parent row). */
export async function kept(trx: Kysely<any>, fn: () => Promise<unknown>): Promise<boolean> {
  const name = sql.raw(`plinth_probe_${++counter}`);
  await sql`SAVEPOINT ${name}`.execute(trx);
  try {
    await fn();
    await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
    return true;
  } catch {
    await sql`ROLLBACK TO SAVEPOINT ${name}`.execute(trx);
    await sql`RELEASE SAVEPOINT ${name}`.execute(trx);
    return false;
  }
}

/** A row's values as a connection without plinth's codecs binds them (dates as text, 0 / 1 booleans). */
export function bindable(dialect: SqlDialect, row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) {
    if (v instanceof Date && dialect.values.timestampsAsText) out[k] = v.toISOString();
    else if (typeof v === "boolean" && dialect.values.booleansAsIntegers) out[k] = v ? 1 : 0;
    else out[k] = v;
  }
  return out;
}
