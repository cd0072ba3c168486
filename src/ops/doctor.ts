import type { Db } from "../data/index.js";
import type { Diagnostics } from "../dialect/index.js";

export interface DoctorOptions {
  /** Statements running at least this long are listed (default 5 s). */
  longRunningSeconds?: number;
}

/**
 * What the engine's statistics say about the database: table and index sizes, row estimates,
 * index usage and unused indexes, connections by state, long-running statements. Where the engine
 * or the user's permissions cannot tell, the figure is absent and a note says why.
 */
export function doctor(db: Db<any>, options: DoctorOptions = {}): Promise<Diagnostics> {
  return db.adapter.diagnostics(db.kysely, { longRunningSeconds: options.longRunningSeconds ?? 5 });
}
