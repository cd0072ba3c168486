import type { Kysely } from "kysely";
import { sql } from "kysely";
import { num, statRows, unusedOf } from "../diagnostics-shared.js";
import type { Diagnostics, IndexStats, ReplicaState, ServerFacts } from "../types.js";

/** MySQL and MariaDB: global status, the replica status, information_schema and performance_schema. */
export async function mysqlServerFacts(db: Kysely<any>): Promise<ServerFacts> {
  const notes: string[] = [];
  const [version] = (await statRows(db, "SELECT VERSION() AS v", notes, "server version")) ?? [];
  const status = new Map(
    (
      (await statRows(
        db,
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_read_requests', 'Innodb_buffer_pool_reads')",
        notes,
        "buffer pool statistics",
      )) ?? []
    ).map((r) => [String(r.Variable_name), num(r.Value) ?? 0]),
  );
  const requests = status.get("Innodb_buffer_pool_read_requests") ?? 0;
  // Reads that missed the buffer pool went to disk: the rest were served from memory.
  const cacheHitRatio =
    requests > 0 ? 1 - (status.get("Innodb_buffer_pool_reads") ?? 0) / requests : undefined;
  // MariaDB and older MySQL say SLAVE; MySQL 8.4 only REPLICA. Needs REPLICATION CLIENT.
  const replicaRows =
    (await statRows(db, "SHOW SLAVE STATUS", [], "replica status")) ??
    (await statRows(db, "SHOW REPLICA STATUS", notes, "replica status")) ??
    [];
  const replica = replicaRows[0];
  return {
    version: String(version?.v ?? "unknown"),
    cacheHitRatio,
    replica: replica !== undefined,
    replicationLagSeconds: replica
      ? num(replica.Seconds_Behind_Master ?? replica.Seconds_Behind_Source)
      : undefined,
    notes,
  };
}

export async function mysqlDiagnostics(
  db: Kysely<any>,
  options: { longRunningSeconds: number },
): Promise<Diagnostics> {
  const notes: string[] = ["row counts and sizes are InnoDB's estimates, refreshed by ANALYZE TABLE"];
  const tables =
    (await statRows(
      db,
      `SELECT TABLE_NAME AS t, TABLE_ROWS AS n, DATA_LENGTH AS bytes, INDEX_LENGTH AS ixbytes
       FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
       ORDER BY DATA_LENGTH DESC, TABLE_NAME`,
      notes,
      "table sizes",
    )) ?? [];
  const declared =
    (await statRows(
      db,
      `SELECT TABLE_NAME AS t, INDEX_NAME AS ix, MIN(NON_UNIQUE) = 0 AS enforces
       FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
       GROUP BY TABLE_NAME, INDEX_NAME ORDER BY TABLE_NAME, INDEX_NAME`,
      notes,
      "indexes",
    )) ?? [];
  const sizes = new Map(
    (
      (await statRows(
        db,
        `SELECT table_name AS t, index_name AS ix, stat_value * @@innodb_page_size AS bytes
         FROM mysql.innodb_index_stats WHERE database_name = DATABASE() AND stat_name = 'size'`,
        notes,
        "index sizes",
      )) ?? []
    ).map((r) => [`${r.t}.${r.ix}`, num(r.bytes)]),
  );
  // performance_schema counts index use (off by default on MariaDB).
  const usage = await statRows(
    db,
    `SELECT OBJECT_NAME AS t, INDEX_NAME AS ix, COUNT_STAR AS scans
     FROM performance_schema.table_io_waits_summary_by_index_usage
     WHERE OBJECT_SCHEMA = DATABASE() AND INDEX_NAME IS NOT NULL`,
    notes,
    "index usage",
  );
  const scans = usage ? new Map(usage.map((r) => [`${r.t}.${r.ix}`, num(r.scans)])) : undefined;
  if (usage && usage.length === 0 && declared.length > 0)
    notes.push("index usage: performance_schema is not collecting it (performance_schema = OFF)");
  const counted = usage !== undefined && usage.length > 0;
  const indexes: IndexStats[] = declared.map((r) => ({
    table: String(r.t),
    index: String(r.ix),
    bytes: sizes.get(`${r.t}.${r.ix}`),
    scans: counted ? (scans?.get(`${r.t}.${r.ix}`) ?? 0) : undefined,
    enforcesUniqueness: Number(r.enforces) === 1,
  }));
  const processes =
    (await statRows(
      db,
      `SELECT ID AS id, COMMAND AS command, STATE AS state, TIME AS seconds, LEFT(INFO, 500) AS query
       FROM information_schema.PROCESSLIST WHERE DB = DATABASE()`,
      notes,
      "connections",
    )) ?? [];
  const [self] = (await statRows(db, "SELECT CONNECTION_ID() AS id", [], "connection id")) ?? [];
  const byState = new Map<string, number>();
  for (const p of processes) {
    const state = p.command === "Sleep" ? "idle" : String(p.command).toLowerCase();
    byState.set(state, (byState.get(state) ?? 0) + 1);
  }
  return {
    tables: tables.map((r) => ({
      table: String(r.t),
      rows: num(r.n),
      bytes: num(r.bytes),
      indexBytes: num(r.ixbytes),
    })),
    indexes,
    unusedIndexes: unusedOf(indexes),
    connections: [...byState].sort().map(([state, count]) => ({ state, count })),
    longRunning: processes
      .filter(
        (p) =>
          p.command !== "Sleep" &&
          String(p.id) !== String(self?.id) &&
          Number(p.seconds) >= options.longRunningSeconds,
      )
      .map((p) => ({
        id: String(p.id),
        state: String(p.state || p.command),
        seconds: Number(p.seconds),
        query: String(p.query ?? ""),
      })),
    notes,
  };
}

/**
 * A replica's Seconds_Behind_Master (Seconds_Behind_Source on MySQL 8.4), which the server leaves
 * NULL while its SQL thread is stopped: replication that has stopped has no lag to report.
 */
export async function mysqlReplicaState(db: Kysely<any>): Promise<ReplicaState> {
  const status = async (statement: string) =>
    (await sql.raw<Record<string, unknown>>(statement).execute(db)).rows;
  // MariaDB and older MySQL say SLAVE; MySQL 8.4 only REPLICA.
  const rows = await status("SHOW SLAVE STATUS").catch(() => status("SHOW REPLICA STATUS"));
  const row = rows[0];
  if (!row) return { replica: false };
  return { replica: true, lagSeconds: num(row.Seconds_Behind_Master ?? row.Seconds_Behind_Source) };
}
