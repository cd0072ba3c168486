import { sql } from "kysely";
import type { Db } from "../data/connect.js";
import { PlinthError } from "../errors.js";
import type { Dialect } from "../schema/index.js";
import { AUDIT_TABLE } from "./table.js";

const NO_UPDATE = `${AUDIT_TABLE}_no_update`;
const NO_DELETE = `${AUDIT_TABLE}_no_delete`;
const NO_TRUNCATE = `${AUDIT_TABLE}_no_truncate`;
const PG_ROW_TRIGGER = `${AUDIT_TABLE}_append_only`;
const PG_FUNCTION = `${AUDIT_TABLE}_refuse`;

/** Every refusal message starts with this, which is how asImmutableRowError recognises one. */
const REFUSAL = /(\w+) is append-only: (UPDATE|DELETE|TRUNCATE) refused/;

const refusal = (op: string) => `${AUDIT_TABLE} is append-only: ${op} refused`;

/**
 * SQL that makes the audit table append-only in the database itself, so not even code that bypasses
 * plinth (or a console session) can rewrite history. Each trigger is dropped first, so running the
 * list again replaces rather than fails. The table owner can still drop the triggers: this guards
 * against mistakes and application bugs, not against a hostile DBA.
 */
export function auditImmutabilityStatements(dialect: Dialect): string[] {
  switch (dialect) {
    case "sqlite":
      return (["UPDATE", "DELETE"] as const).flatMap((op) => {
        const name = op === "UPDATE" ? NO_UPDATE : NO_DELETE;
        return [
          `DROP TRIGGER IF EXISTS "${name}"`,
          `CREATE TRIGGER "${name}" BEFORE ${op} ON "${AUDIT_TABLE}" ` +
            `BEGIN SELECT RAISE(ABORT, '${refusal(op)}'); END`,
        ];
      });
    case "postgres":
      return [
        // TG_OP names the refused operation; the message carries the table name for operators.
        `CREATE OR REPLACE FUNCTION "${PG_FUNCTION}"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'P0001';
END $$`,
        `DROP TRIGGER IF EXISTS "${PG_ROW_TRIGGER}" ON "${AUDIT_TABLE}"`,
        `CREATE TRIGGER "${PG_ROW_TRIGGER}" BEFORE UPDATE OR DELETE ON "${AUDIT_TABLE}" ` +
          `FOR EACH ROW EXECUTE FUNCTION "${PG_FUNCTION}"()`,
        // TRUNCATE bypasses row triggers; PostgreSQL can refuse it with a statement trigger.
        `DROP TRIGGER IF EXISTS "${NO_TRUNCATE}" ON "${AUDIT_TABLE}"`,
        `CREATE TRIGGER "${NO_TRUNCATE}" BEFORE TRUNCATE ON "${AUDIT_TABLE}" ` +
          `FOR EACH STATEMENT EXECUTE FUNCTION "${PG_FUNCTION}"()`,
      ];
    case "mysql":
      // MySQL has no TRUNCATE triggers; TRUNCATE needs the DROP privilege, which the app user should lack.
      return (["UPDATE", "DELETE"] as const).flatMap((op) => {
        const name = op === "UPDATE" ? NO_UPDATE : NO_DELETE;
        return [
          `DROP TRIGGER IF EXISTS \`${name}\``,
          `CREATE TRIGGER \`${name}\` BEFORE ${op} ON \`${AUDIT_TABLE}\` FOR EACH ROW ` +
            `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '${refusal(op)}'`,
        ];
      });
  }
}

/**
 * Installs the append-only triggers on a connected database whose tables exist (after createSchema
 * or migrations). Safe to run on every start-up.
 */
export async function installAuditTrail(db: Db<any>): Promise<void> {
  if (!db.schema.table(AUDIT_TABLE)) {
    throw new PlinthError(
      `installAuditTrail: the schema has no ${AUDIT_TABLE} table; add it with schema({ ...tables, auditLog: auditLog() })`,
    );
  }
  const statements = auditImmutabilityStatements(db.dialect);
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
