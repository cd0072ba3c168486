import { sql } from "kysely";
import type { Db, ReplicaStatus } from "../data/index.js";
import { describeCause, withDeadline } from "../data/retry.js";
import { translatingDialectOf } from "../data/translating-dialect.js";
import type { PoolStats } from "../dialect/index.js";
import type { LoadedMigration } from "../migrate/index.js";
import { Migrator } from "../migrate/index.js";

export type HealthStatus = "healthy" | "degraded" | "unhealthy";

export interface HealthOptions {
  /** The service's migrations: any not applied make the database `degraded`. */
  migrations?: readonly LoadedMigration[];
  /** A round trip slower than this is `degraded` (default 250 ms). */
  maxLatencyMs?: number;
  /** A replica further behind than this is `degraded` (default 30 s). */
  maxReplicationLagSeconds?: number;
  /** How long the round trip may take before the database counts as down (default 5 s). */
  timeoutMs?: number;
}

/** Every figure is measured when health() is called; none is remembered from an earlier call. */
export interface HealthReport {
  status: HealthStatus;
  /** Why the status is not `healthy`, one line each. */
  reasons: string[];
  checkedAt: string;
  engine: string;
  version?: string;
  /** `SELECT 1` from sending to its answer. */
  latencyMs?: number;
  /** The pool's connections (absent for an embedded engine: one connection, in this process). */
  pool?: PoolStats;
  /** Migrations of `options.migrations` not yet applied. */
  pendingMigrations?: string[];
  replica?: boolean;
  replicationLagSeconds?: number;
  /**
   * The handle's read replicas (connected with `{ primary, replicas }`), each measured now: state,
   * lag, reads served. One out of rotation makes the database `degraded`: reads still work, on the
   * primary.
   */
  replicas?: ReplicaStatus[];
  /** Reads served from the buffer cache since the server's statistics were reset, 0…1. */
  cacheHitRatio?: number;
  /** What could not be measured, and why. */
  notes: string[];
}

/**
 * The database's health as a load balancer or an operator wants it: `unhealthy` when it does not
 * answer, `degraded` when it answers slowly, has callers waiting for a connection, is behind on
 * migrations or on replication, `healthy` otherwise.
 */
export async function health(db: Db<any>, options: HealthOptions = {}): Promise<HealthReport> {
  const report: HealthReport = {
    status: "healthy",
    reasons: [],
    checkedAt: new Date().toISOString(),
    engine: db.engine,
    notes: [],
  };
  const started = performance.now();
  try {
    await withDeadline(sql`SELECT 1`.execute(db.kysely), options.timeoutMs ?? 5000);
    report.latencyMs = round(performance.now() - started);
  } catch (error) {
    report.status = "unhealthy";
    report.reasons.push(`the database does not answer: ${describeCause(error)}`);
    return report;
  }
  const degraded = (reason: string) => {
    report.status = "degraded";
    report.reasons.push(reason);
  };
  const maxLatency = options.maxLatencyMs ?? 250;
  if (report.latencyMs > maxLatency)
    degraded(`a round trip took ${report.latencyMs} ms (over ${maxLatency} ms)`);

  const pool = translatingDialectOf(db.kysely)?.engine.poolStats?.();
  if (pool) {
    report.pool = pool;
    if (pool.waiting > 0) degraded(`${pool.waiting} callers wait for a connection (pool of ${pool.max})`);
  }

  const facts = await db.adapter.serverFacts(db.kysely);
  report.version = facts.version;
  report.cacheHitRatio = facts.cacheHitRatio === undefined ? undefined : round(facts.cacheHitRatio, 4);
  report.replica = facts.replica;
  report.replicationLagSeconds = facts.replicationLagSeconds;
  report.notes.push(...facts.notes);
  const maxLag = options.maxReplicationLagSeconds ?? 30;
  if (facts.replicationLagSeconds !== undefined && facts.replicationLagSeconds > maxLag)
    degraded(`replication is ${round(facts.replicationLagSeconds)} s behind (over ${maxLag} s)`);

  if (db.replicas().length > 0) {
    report.replicas = await db.checkReplicas();
    for (const r of report.replicas)
      if (r.state !== "healthy") degraded(`replica ${r.replica} is ${r.state}: ${r.reason ?? "unknown"}`);
  }

  if (options.migrations) {
    try {
      const status = await new Migrator({ db, migrations: options.migrations }).status();
      report.pendingMigrations = status.migrations.filter((m) => m.state !== "applied").map((m) => m.id);
      if (report.pendingMigrations.length > 0)
        degraded(
          `${report.pendingMigrations.length} migrations not applied: ${report.pendingMigrations.join(", ")}`,
        );
    } catch (error) {
      report.notes.push(`pending migrations: not known (${describeCause(error)})`);
    }
  }
  return report;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}
