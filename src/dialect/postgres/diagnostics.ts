import type { Kysely } from "kysely";
import { sql } from "kysely";
import { num, statRows, unusedOf } from "../diagnostics-shared.js";
import type { Diagnostics, IndexStats, ReplicaState, ServerFacts } from "../types.js";

/** PostgreSQL's own statistics views: pg_stat_database, pg_stat_replication, pg_stat_activity. */
export async function postgresServerFacts(db: Kysely<any>): Promise<ServerFacts> {
  const notes: string[] = [];
  const [facts] =
    (await statRows(
      db,
      `SELECT current_setting('server_version') AS version, pg_is_in_recovery() AS replica,
        (SELECT sum(blks_hit)::float8 / nullif(sum(blks_hit) + sum(blks_read), 0)
           FROM pg_stat_database WHERE datname = current_database()) AS hit`,
      notes,
      "server version",
    )) ?? [];
  const replica = facts?.replica === true;
  // On a replica: how old the last replayed transaction is. On a primary: its slowest replica.
  const [lag] =
    (await statRows(
      db,
      replica
        ? "SELECT EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8 AS lag"
        : "SELECT max(EXTRACT(EPOCH FROM coalesce(replay_lag, interval '0')))::float8 AS lag FROM pg_stat_replication",
      notes,
      "replication lag",
    )) ?? [];
  return {
    version: String(facts?.version ?? "unknown"),
    cacheHitRatio: num(facts?.hit),
    replica,
    replicationLagSeconds: num(lag?.lag),
    notes,
  };
}

export async function postgresDiagnostics(
  db: Kysely<any>,
  options: { longRunningSeconds: number },
): Promise<Diagnostics> {
  const notes: string[] = [];
  const tables =
    (await statRows(
      db,
      `SELECT c.relname AS t, coalesce(s.n_live_tup, greatest(c.reltuples, 0))::float8 AS n,
         pg_table_size(c.oid)::float8 AS bytes, pg_indexes_size(c.oid)::float8 AS ixbytes
       FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
       LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
       WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'p')
       ORDER BY pg_table_size(c.oid) DESC, c.relname`,
      notes,
      "table sizes",
    )) ?? [];
  const indexes: IndexStats[] = (
    (await statRows(
      db,
      `SELECT s.relname AS t, s.indexrelname AS ix, pg_relation_size(s.indexrelid)::float8 AS bytes,
         s.idx_scan::float8 AS scans, (i.indisunique OR i.indisprimary) AS enforces
       FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
       WHERE s.schemaname = current_schema() ORDER BY s.relname, s.indexrelname`,
      notes,
      "index sizes and usage",
    )) ?? []
  ).map((r) => ({
    table: String(r.t),
    index: String(r.ix),
    bytes: num(r.bytes),
    scans: num(r.scans),
    enforcesUniqueness: r.enforces === true,
  }));
  const connections =
    (await statRows(
      db,
      `SELECT coalesce(state, backend_type) AS state, count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() GROUP BY 1 ORDER BY 1`,
      notes,
      "connections",
    )) ?? [];
  const long =
    (await statRows(
      db,
      `SELECT pid::text AS id, state, EXTRACT(EPOCH FROM now() - query_start)::float8 AS seconds,
         left(query, 500) AS query
       FROM pg_stat_activity
       WHERE datname = current_database() AND state <> 'idle' AND pid <> pg_backend_pid()
         AND query_start < now() - make_interval(secs => ${Number(options.longRunningSeconds)})
       ORDER BY query_start`,
      notes,
      "long-running statements",
    )) ?? [];
  return {
    tables: tables.map((r) => ({
      table: String(r.t),
      rows: num(r.n),
      bytes: num(r.bytes),
      indexBytes: num(r.ixbytes),
    })),
    indexes,
    unusedIndexes: unusedOf(indexes),
    connections: connections.map((r) => ({ state: String(r.state), count: Number(r.n) })),
    longRunning: long.map((r) => ({
      id: String(r.id),
      state: String(r.state),
      seconds: Number(r.seconds),
      query: String(r.query),
    })),
    notes,
  };
}

/**
 * A streaming replica's lag. `now() - pg_last_xact_replay_timestamp()` alone grows while the primary
 * is idle, so a replica that has replayed all the WAL it received counts as 0 s behind.
 */
export async function postgresReplicaState(db: Kysely<any>): Promise<ReplicaState> {
  const { rows } = await sql<{ replica: boolean; lag: number | null }>`
    SELECT pg_is_in_recovery() AS replica,
      CASE WHEN NOT pg_is_in_recovery() THEN NULL
           WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
           ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END::float8 AS lag`.execute(db);
  const row = rows[0];
  return { replica: row?.replica === true, lagSeconds: num(row?.lag) };
}
