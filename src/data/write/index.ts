import { PoolExecutor } from "../pool-executor.js";
import { SyncExecutor } from "../sync-executor.js";
import type { TableAccess } from "../table-access.js";
import { PoolWrites } from "./pool-writes.js";
import { ReadBackWrites } from "./read-back-writes.js";
import { SyncWrites } from "./sync-writes.js";
import { Writes } from "./writes.js";

export { rowsPerStatement } from "./writes.js";
export type { Writes };

/**
 * The write path of one table, chosen once from what the engine can do: a synchronous driver
 * (better-sqlite3), a pool of prepared statements (a PostgreSQL server), no RETURNING (MySQL), or
 * plain Kysely with RETURNING (PGlite, and any handle with extra plugins, which must see every
 * statement).
 */
export function writesFor(t: TableAccess): Writes {
  const sync = SyncExecutor.of(t.root);
  if (sync) return new SyncWrites(t, sync);
  const pool = PoolExecutor.of(t.root);
  if (pool) return new PoolWrites(t, pool);
  if (!t.db.adapter.capabilities.returning) return new ReadBackWrites(t);
  return new Writes(t);
}
