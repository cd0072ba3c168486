import type { Kysely } from "kysely";
import type { LockOptions, SqlDialect } from "../dialect/index.js";

/**
 * Runs `fn` on one connection while holding the lock migration runners hold, and, where DDL is
 * transactional, inside one transaction. Everything that changes the schema (createSchema, the
 * append-only triggers, migrations) goes through it, so two processes starting at once take turns
 * instead of racing to create the same table or function.
 */
export function underMigrationLock<T>(
  db: Kysely<any>,
  dialect: SqlDialect,
  fn: (q: Kysely<any>) => Promise<T>,
  lock: LockOptions = {},
): Promise<T> {
  return db.connection().execute(async (conn) => {
    const raw = conn.withoutPlugins();
    await dialect.acquireMigrationLock(raw, lock);
    try {
      if (!dialect.capabilities.transactionalDdl) return await fn(conn);
      return await dialect.migrationTransaction(conn, lock, fn);
    } finally {
      await dialect.releaseMigrationLock(raw).catch(() => {});
    }
  });
}
