/**
 * Run by `plinth up` after the migrations. service-audit needs no reference rows; what it needs is
 * for `user_actions` to stay insert-only even for code that bypasses UserActionRepository (a
 * console session, another service), so the database itself refuses UPDATE and DELETE on it.
 * Idempotent: the triggers are replaced on every run, and reported only when they were missing.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Db } from "plinth";
import { installAppendOnly } from "plinth";
import type { serviceAudit } from "./schema.js";

const TABLE = "user_actions";

export async function seed(db: Db<typeof serviceAudit>): Promise<string[]> {
  const before = await triggerCount(db);
  await installAppendOnly(db, TABLE);
  return (await triggerCount(db)) > before
    ? [`${TABLE}: append-only triggers (UPDATE and DELETE refused)`]
    : [];
}

async function triggerCount(db: Db<typeof serviceAudit>): Promise<number> {
  const k = db.kysely as Kysely<any>;
  const query = {
    sqlite: sql<{
      n: number;
    }>`SELECT count(*) AS n FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ${TABLE}`,
    postgres: sql<{
      n: number;
    }>`SELECT count(*) AS n FROM pg_trigger WHERE tgrelid = ${TABLE}::regclass AND NOT tgisinternal`,
    mysql: sql<{ n: number }>`SELECT count(*) AS n FROM information_schema.TRIGGERS
      WHERE EVENT_OBJECT_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = ${TABLE}`,
  }[db.dialect];
  const { rows } = await query.execute(k);
  return Number(rows[0]?.n ?? 0);
}
