import type { CompiledQuery } from "kysely";
import type { Logger } from "pino";
import pino from "pino";
import type { Registry } from "prom-client";
import { Counter, Gauge, register } from "prom-client";
import type { Db } from "../data/index.js";
import type { StatementObserver } from "../data/translating-dialect.js";
import type { Series } from "./statement-histogram.js";
import { StatementHistogram } from "./statement-histogram.js";

export interface QueryMetricsOptions {
  /** Where the metrics are registered: prom-client's default registry unless given. */
  registry?: Registry;
  /** A statement slower than this is counted and logged (default 100 ms, as the seeds ask). */
  slowQueryMs?: number;
  /** Where slow statements are logged; a pino logger on stderr unless given, `false` for none. */
  logger?: Logger | false;
  /** Histogram buckets in seconds. */
  buckets?: number[];
}

/** What is kept per distinct SQL text, so a statement costs a map lookup and two observations. */
interface Shape {
  readonly operation: string;
  readonly table: string;
  readonly duration: Series;
}

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Distinct statement texts remembered; past this the cache starts over (labels stay bounded anyway). */
const SHAPE_CACHE_LIMIT = 2000;

/**
 * Prometheus metrics and a slow-query log for every statement a handle sends:
 * `db_query_duration_seconds{operation,table}` (histogram) and `db_slow_queries_total{operation}`
 * (counter), and a pino warning with the SQL of each slow statement — its parameters never, only
 * how many there were, as they may hold personal data or secrets.
 *
 * ```ts
 * const db = await connect(url, app, { observer: queryMetrics({ slowQueryMs: 250 }) });
 * ```
 */
export class QueryMetrics implements StatementObserver {
  readonly slowQueryMs: number;
  /** Where the metrics are registered: print them with `await registry.metrics()`. */
  readonly registry: Registry;
  private readonly histogram: StatementHistogram;
  private readonly slow: Counter<"operation">;
  private readonly logger: Logger | undefined;
  private readonly shapes = new Map<string, Shape>();

  constructor(options: QueryMetricsOptions = {}) {
    const registry = options.registry ?? register;
    this.registry = registry;
    this.slowQueryMs = options.slowQueryMs ?? 100;
    this.logger =
      options.logger === false
        ? undefined
        : (options.logger ?? pino({ name: "plinth" }, pino.destination(2)));
    // Two handles (or two connects in tests) share the metrics of one registry.
    const existing = registry.getSingleMetric("db_query_duration_seconds");
    if (existing && !(existing instanceof StatementHistogram))
      throw new Error("db_query_duration_seconds is already registered in this registry by something else");
    this.histogram = existing ?? new StatementHistogram(options.buckets ?? DEFAULT_BUCKETS);
    if (!existing) registry.registerMetric(this.histogram as never);
    this.slow =
      (registry.getSingleMetric("db_slow_queries_total") as Counter<"operation"> | undefined) ??
      new Counter({
        name: "db_slow_queries_total",
        help: "Statements slower than the slow-query threshold, by operation",
        labelNames: ["operation"],
        registers: [registry],
      });
  }

  done(query: CompiledQuery, startedAt: number, failed: boolean): void {
    const ms = performance.now() - startedAt;
    const shape = this.shapeOf(query.sql);
    shape.duration.observe(ms / 1000);
    if (ms < this.slowQueryMs) return;
    this.slow.inc({ operation: shape.operation });
    this.logger?.warn(
      {
        operation: shape.operation,
        table: shape.table,
        durationMs: Math.round(ms * 10) / 10,
        failed,
        sql: query.sql,
        parameters: `[${query.parameters.length} redacted]`,
      },
      "slow query",
    );
  }

  private shapeOf(sql: string): Shape {
    let shape = this.shapes.get(sql);
    if (!shape) {
      const { operation, table } = describeStatement(sql);
      shape = { operation, table, duration: this.histogram.series(operation, table) };
      if (this.shapes.size >= SHAPE_CACHE_LIMIT) this.shapes.clear();
      this.shapes.set(sql, shape);
    }
    return shape;
  }
}

export function queryMetrics(options: QueryMetricsOptions = {}): QueryMetrics {
  return new QueryMetrics(options);
}

/**
 * The read replicas of a handle as gauges, read from its latest measurements at each scrape:
 * `db_replica_up{replica}` (1 in rotation, 0 lagging or down), `db_replica_lag_seconds{replica}` and
 * `db_replica_reads{replica}` (reads served since the handle was opened).
 */
export function replicaMetrics(db: Db<any>, options: { registry?: Registry } = {}): void {
  const registry = options.registry ?? register;
  const gauge = (
    name: string,
    help: string,
    value: (r: ReturnType<Db["replicas"]>[number]) => number | undefined,
  ) =>
    new Gauge({
      name,
      help,
      labelNames: ["replica"],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of db.replicas()) {
          const v = value(r);
          if (v !== undefined) this.set({ replica: r.replica }, v);
        }
      },
    });
  gauge("db_replica_up", "1 when the replica serves reads, 0 when lagging or down", (r) =>
    r.state === "healthy" ? 1 : 0,
  );
  gauge(
    "db_replica_lag_seconds",
    "Seconds the replica is behind its primary, as last measured",
    (r) => r.lagSeconds,
  );
  gauge("db_replica_reads", "Reads the replica has served since the handle was opened", (r) => r.reads);
}

const OPERATIONS = new Set(["select", "insert", "update", "delete", "with"]);
const TABLE_AFTER = /\b(?:from|into|update|join)\s+(?:[`"]?\w+[`"]?\.)?[`"]?(\w+)[`"]?/i;

/**
 * The operation (first keyword) and the first table a statement names. Read from the SQL text,
 * so statements compiled once, raw `sql` and Kysely's alike are labelled the same way; anything
 * else (BEGIN, PRAGMA, DDL) is `other`, so label values stay few.
 */
export function describeStatement(sql: string): { operation: string; table: string } {
  const keyword = /^\s*\(?\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? "other";
  let operation = OPERATIONS.has(keyword) ? keyword : "other";
  if (operation === "with") {
    // A CTE: named by the statement its body ends in.
    const main = /\)\s*(select|insert|update|delete)\b/i.exec(sql)?.[1]?.toLowerCase();
    operation = main ?? "select";
  }
  const table = operation === "other" ? "" : (TABLE_AFTER.exec(sql)?.[1] ?? "");
  return { operation, table };
}
