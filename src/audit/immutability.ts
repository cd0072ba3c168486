import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Db } from "../data/connect.js";
import { underMigrationLock } from "../data/schema-lock.js";
import { dialectOf } from "../dialect/index.js";
import { PlinthError } from "../errors.js";
import type { Dialect, TableModel } from "../schema/index.js";
import { schema } from "../schema/index.js";
import { AUDIT_TABLE, auditLog } from "./table.js";

/** Every refusal message starts with this (see appendOnlyRefusal), which is how asImmutableRowError recognises one. */
const REFUSAL = /(\w+) is append-only: (UPDATE|DELETE|TRUNCATE|REPLACE) refused/;

/** SQL that makes plinth's audit table append-only: `appendOnlyStatements` for `plinth_audit_log`. */
export function auditImmutabilityStatements(dialect: Dialect): string[] {
  const model = schema({ auditLog: auditLog() }).model.tables[0]!;
  return appendOnlyStatements(dialect, model);
}

/**
 * SQL that makes a table append-only in the database itself, so not even code that bypasses
 * plinth (or a console session) can rewrite history. Each trigger is dropped first, so running the
 * list again replaces rather than fails. The table owner can still drop the triggers: this guards
 * against mistakes and application bugs, not against a hostile DBA.
 */
export function appendOnlyStatements(dialect: Dialect, table: string | TableModel): string[] {
  if (typeof table === "string") return dialectOf(dialect).appendOnlyStatements(table);
  return dialectOf(dialect).appendOnlyStatements(table.name, uniqueKeys(table), {
    setNull: table.foreignKeys
      .filter((fk) => fk.onDelete === "set null")
      .map(({ columns, refTable, refColumns }) => ({ columns, refTable, refColumns })),
    columns: table.columns.map((c) => c.name),
    // Migrations written by hand pass a table as it was then, often without metadata.
    ...(table.meta?.retention ? { retention: { column: table.meta.retention.column } } : {}),
  });
}

/** The statements that undo appendOnlyStatements on one engine (a migration's down step). */
export function dropAppendOnlyStatements(dialect: Dialect, table: string): string[] {
  return dialectOf(dialect).dropAppendOnlyStatements(table);
}

/** The columns of each key an insert could collide on: the primary key, unique constraints, unique indexes. */
function uniqueKeys(table: TableModel): string[][] {
  return [
    table.primaryKey.columns,
    ...table.uniques.map((u) => u.columns),
    ...table.indexes.filter((i) => i.unique && !i.where).map((i) => i.columns),
  ].filter((key) => key.length > 0);
}

/**
 * Installs the append-only triggers on plinth's audit table in a connected database whose tables
 * exist (after createSchema or migrations). Safe to run on every start-up; `plinth up` runs it.
 */
export async function installAuditTrail(db: Db<any>): Promise<void> {
  if (!db.schema.table(AUDIT_TABLE)) {
    throw new PlinthError(
      `installAuditTrail: the schema has no ${AUDIT_TABLE} table; add it with schema({ ...tables, auditLog: auditLog() })`,
    );
  }
  await installAppendOnly(db, AUDIT_TABLE);
}

/** Makes any declared table append-only (a domain's own audit table, a ledger). Idempotent. */
export async function installAppendOnly(db: Db<any>, table: string): Promise<void> {
  const model = db.schema.model.tables.find((t: TableModel) => t.name === table);
  if (!model) throw new PlinthError(`installAppendOnly: the schema has no table ${table}`);
  const statements = appendOnlyStatements(db.dialect, model);
  // Under the migration lock, so two processes starting at once do not replace the same trigger
  // function together; with transactional DDL nobody sees the table without its triggers meanwhile.
  await underMigrationLock(db.kysely as Kysely<any>, db.adapter, async (q) => {
    for (const statement of statements) await sql.raw(statement).execute(q);
  });
}

/** An UPDATE, DELETE or TRUNCATE refused because the table is append-only. */
export class ImmutableRowError extends PlinthError {
  static override readonly code: string = "PLINTH_IMMUTABLE_ROW";
  override name = "ImmutableRowError";
  constructor(
    readonly table: string,
    /** REPLACE: an insert that would have replaced an existing row (SQLite's conflict resolution). */
    readonly operation: "UPDATE" | "DELETE" | "TRUNCATE" | "REPLACE",
    options?: { cause?: unknown },
  ) {
    super(`${table} is append-only: ${operation} refused`, options);
  }
}

/**
 * The refusal as an ImmutableRowError, or undefined for any other error. The message is the same
 * on every engine (the triggers write it), so matching it is reliable:
 * `catch (e) { throw asImmutableRowError(e) ?? e; }`.
 */
export function asImmutableRowError(error: unknown): ImmutableRowError | undefined {
  if (error instanceof ImmutableRowError) return error;
  const message = error instanceof Error ? error.message : undefined;
  const match = message ? REFUSAL.exec(message) : null;
  if (!match) return undefined;
  return new ImmutableRowError(match[1]!, match[2] as ImmutableRowError["operation"], { cause: error });
}
