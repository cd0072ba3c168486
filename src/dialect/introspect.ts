import type { Kysely } from "kysely";
import { UnknownDialectError } from "../errors.js";
import type { Dialect, SchemaModel } from "../schema/index.js";
import { introspectMysql } from "./mysql/introspect.js";
import { introspectPostgres } from "./postgres/introspect.js";
import { introspectSqlite } from "./sqlite/introspect.js";

export interface IntrospectOptions {
  /**
   * Tables to leave out; by default plinth's own bookkeeping tables (`plinth_*`, `_plinth_*`; the
   * audit table is declared, so it is read).
   * SQLite's internal `sqlite_*` tables are never read.
   */
  exclude?: (table: string) => boolean;
}

const readers: Record<Dialect, (db: Kysely<any>) => Promise<SchemaModel>> = {
  sqlite: introspectSqlite,
  postgres: introspectPostgres,
  mysql: introspectMysql,
};

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
  const read = readers[dialect];
  if (!read) throw new UnknownDialectError(dialect);
  const exclude = options.exclude ?? plinthTable;
  const model = await read(db);
  return { tables: model.tables.filter((t) => !exclude(t.name)) };
}
