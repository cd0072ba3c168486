import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Dialect, SchemaModel } from "plinth";
import type { Migration, Step } from "plinth/migrate";
import { planDown, planUp } from "plinth/migrate";

/**
 * Applies a migration's steps directly, without the runner: enough to test operations in isolation.
 * SQLite table rebuilds need foreign keys off around the transaction, as the runner does.
 */
export async function applyMigration(
  db: Kysely<any>,
  dialect: Dialect,
  m: Migration,
  before: SchemaModel,
  direction: "up" | "down" = "up",
): Promise<SchemaModel> {
  const plan = direction === "up" ? planUp(m, before, dialect) : planDown(m, before, dialect);
  const steps = plan.operations.flatMap((o) => o.steps);
  if (dialect === "sqlite") await sql`PRAGMA foreign_keys = OFF`.execute(db);
  try {
    if (dialect === "mysql") {
      for (const s of steps) await runStep(db, dialect, s);
    } else {
      await db.transaction().execute(async (trx) => {
        for (const s of steps) await runStep(trx, dialect, s);
        if (dialect === "sqlite") {
          const { rows } = await sql`PRAGMA foreign_key_check`.execute(trx);
          if (rows.length > 0) throw new Error(`foreign_key_check: ${JSON.stringify(rows)}`);
        }
      });
    }
  } finally {
    if (dialect === "sqlite") await sql`PRAGMA foreign_keys = ON`.execute(db);
  }
  return direction === "up" ? plan.after : before;
}

async function runStep(db: Kysely<any>, dialect: Dialect, s: Step): Promise<void> {
  if ("run" in s) return s.run({ db, dialect });
  if (s.onlyIf && (await sql.raw(s.onlyIf).execute(db)).rows.length === 0) return;
  await sql.raw(s.sql).execute(db);
}
