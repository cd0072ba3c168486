import type { Kysely } from "kysely";
import type { Dialect, SchemaModel } from "../schema/index.js";
import { dialectOf } from "./registry.js";

export interface IntrospectOptions {
  /**
   * Tables to leave out; by default plinth's own bookkeeping tables (`plinth_*`, `_plinth_*`; the
   * audit table is declared, so it is read).
   * SQLite's internal `sqlite_*` tables are never read.
   */
  exclude?: (table: string) => boolean;
}

/** plinth_audit_log is not bookkeeping: a schema declares it (auditLog()) like any other table. */
const DECLARED_PLINTH_TABLES = new Set(["plinth_audit_log"]);

export const plinthTable = (table: string): boolean =>
  (table.startsWith("plinth_") && !DECLARED_PLINTH_TABLES.has(table)) || table.startsWith("_plinth_");

/**
 * Reads the live database (current schema / database only) back into a SchemaModel, sorted like
 * snapshot(). What an engine cannot store comes back in its nearest form; compare through
 * comparable() to see only what the engine really keeps.
 */
export async function introspect(
  db: Kysely<any>,
  dialect: Dialect,
  options: IntrospectOptions = {},
): Promise<SchemaModel> {
  const exclude = options.exclude ?? plinthTable;
  const model = await dialectOf(dialect).introspect(db);
  // Sequences, types and the unmanaged list travel with the tables; excluded tables take theirs along.
  const out: SchemaModel = { ...model, tables: model.tables.filter((t) => !exclude(t.name)) };
  const unmanaged = model.unmanaged?.filter((o) => !exclude(o.table ?? o.name));
  if (unmanaged?.length) out.unmanaged = unmanaged;
  else delete out.unmanaged;
  return out;
}
