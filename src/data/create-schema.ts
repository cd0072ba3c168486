import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { SqlDialect } from "../dialect/index.js";
import { planSchema } from "../dialect/index.js";
import type { SchemaModel } from "../schema/index.js";
import { underMigrationLock } from "./schema-lock.js";

export interface CreateSchemaResult {
  /** Tables this call created, in creation order. */
  created: string[];
  /** Declared tables that already existed and were left untouched. */
  existing: string[];
}

/**
 * Creates the declared tables that do not exist yet, in dependency order, and leaves existing ones
 * alone, so a second call changes nothing. It holds the migration lock, so two processes starting
 * at once take turns. Where DDL is transactional it is one transaction: either every missing table
 * appears or none does. MySQL commits each DDL statement by itself.
 */
export async function createSchema(
  db: Kysely<any>,
  model: SchemaModel,
  dialect: SqlDialect,
): Promise<CreateSchemaResult> {
  const run = async (executor: Kysely<any>) => {
    const present = await dialect.listTables(executor);
    const plan = planSchema(model, dialect);
    const missing = plan.tables.filter((t) => !present.has(t.table.name));
    if (missing.length === 0) return { created: [], existing: plan.tables.map((t) => t.table.name) };
    const creating = new Set(missing.map((t) => t.table.name));
    const deferred = plan.tables
      .filter((t) => creating.has(t.table.name))
      .flatMap((t) =>
        t.table.foreignKeys
          .filter(
            (fk) =>
              creating.has(fk.refTable) && !t.statements.some((s) => s.includes(dialect.quote(fk.name))),
          )
          .map((fk) => dialect.addForeignKey(t.table, fk.name)),
      );
    for (const statement of [...plan.prelude, ...missing.flatMap((t) => t.statements), ...deferred]) {
      await sql.raw(statement).execute(executor);
    }
    return {
      created: missing.map((t) => t.table.name),
      existing: plan.tables.filter((t) => present.has(t.table.name)).map((t) => t.table.name),
    };
  };
  return underMigrationLock(db, dialect, run);
}
