import { sql } from "kysely";
import type { Db } from "../data/connect.js";
import { PlinthError } from "../errors.js";
import type { Dialect } from "../schema/index.js";
import { AUDIT_TABLE } from "./table.js";

/** Every refusal message starts with this, which is how asImmutableRowError recognises one. */
const REFUSAL = /(\w+) is append-only: (UPDATE|DELETE|TRUNCATE) refused/;

const refusal = (table: string, op: string) => `${table} is append-only: ${op} refused`;

/** SQL that makes plinth's audit table append-only: `appendOnlyStatements` for `plinth_audit_log`. */
export function auditImmutabilityStatements(dialect: Dialect): string[] {
  return appendOnlyStatements(dialect, AUDIT_TABLE);
}

/**
 * SQL that makes a table append-only in the database itself, so not even code that bypasses
 * plinth (or a console session) can rewrite history. Each trigger is dropped first, so running the
 * list again replaces rather than fails. The table owner can still drop the triggers: this guards
 * against mistakes and application bugs, not against a hostile DBA.
 */
export function appendOnlyStatements(dialect: Dialect, table: string): string[] {
  const noUpdate = `${table}_no_update`;
  const noDelete = `${table}_no_delete`;
  switch (dialect) {
    case "sqlite":
      return (["UPDATE", "DELETE"] as const).flatMap((op) => {
        const name = op === "UPDATE" ? noUpdate : noDelete;
        return [
          `DROP TRIGGER IF EXISTS "${name}"`,
          `CREATE TRIGGER "${name}" BEFORE ${op} ON "${table}" ` +
            `BEGIN SELECT RAISE(ABORT, '${refusal(table, op)}'); END`,
        ];
      });
    case "postgres": {
      const fn = `${table}_refuse`;
      const rowTrigger = `${table}_append_only`;
      const noTruncate = `${table}_no_truncate`;
      return [
        // TG_OP names the refused operation; the message carries the table name for operators.
        `CREATE OR REPLACE FUNCTION "${fn}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001';
END $$`,
        `DROP TRIGGER IF EXISTS "${rowTrigger}" ON "${table}"`,
        `CREATE TRIGGER "${rowTrigger}" BEFORE UPDATE OR DELETE ON "${table}" ` +
          `FOR EACH ROW EXECUTE FUNCTION "${fn}"()`,
        // TRUNCATE bypasses row triggers; PostgreSQL can refuse it with a statement trigger.
        `DROP TRIGGER IF EXISTS "${noTruncate}" ON "${table}"`,
        `CREATE TRIGGER "${noTruncate}" BEFORE TRUNCATE ON "${table}" ` +
          `FOR EACH STATEMENT EXECUTE FUNCTION "${fn}"()`,
      ];
    }
    case "mysql":
      // MySQL has no TRUNCATE triggers; TRUNCATE needs the DROP privilege, which the app user should lack.
      return (["UPDATE", "DELETE"] as const).flatMap((op) => {
        const name = op === "UPDATE" ? noUpdate : noDelete;
        return [
          `DROP TRIGGER IF EXISTS \`${name}\``,
          `CREATE TRIGGER \`${name}\` BEFORE ${op} ON \`${table}\` FOR EACH ROW ` +
            `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refusal(table, op)}'`,
        ];
      });
  }
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
  if (!db.schema.table(table)) throw new PlinthError(`installAppendOnly: the schema has no table ${table}`);
  const statements = appendOnlyStatements(db.dialect, table);
  const run = async (k: typeof db.kysely) => {
    for (const statement of statements) await sql.raw(statement).execute(k);
  };
  // PostgreSQL and SQLite have transactional DDL, so a concurrent start-up never sees the table
  // without its triggers. MySQL commits each trigger statement implicitly; a transaction would lie.
  if (db.dialect === "mysql") await run(db.kysely);
  else await db.transaction((trx) => run(trx));
}

/** An UPDATE, DELETE or TRUNCATE refused because the table is append-only. */
export class ImmutableRowError extends PlinthError {
  static override readonly code: string = "PLINTH_IMMUTABLE_ROW";
  override name = "ImmutableRowError";
  constructor(
    readonly table: string,
    readonly operation: "UPDATE" | "DELETE" | "TRUNCATE",
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
