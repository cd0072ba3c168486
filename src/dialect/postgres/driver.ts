import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { PostgresDialect } from "kysely";
import type { Pool, PoolClient } from "pg";
import { ConnectionError } from "../../errors.js";
import type { EngineOptions, OpenedEngine, PoolDriver } from "../driver.js";
import {
  CLIENT_TIMEOUT_GRACE_MS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_STATEMENT_TIMEOUT_MS,
  PG_DATE,
  PG_INT8,
  PG_TIMESTAMPTZ,
  parsePgTimestamptz,
  toSafeNumber,
} from "../driver.js";

/**
 * A PostgreSQL server through pg's pool. BIGINT comes back as a number when it fits and DATE as its
 * `YYYY-MM-DD` text, as on every other engine.
 */
export async function openPostgres(
  url: string,
  options: EngineOptions,
  urlConnectTimeoutMs?: number,
): Promise<OpenedEngine> {
  const { default: pg } = await import("pg");
  const connectTimeoutMs = options.connectTimeoutMs ?? urlConnectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const statementTimeoutMs = options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    // pg reads no connect_timeout from the URL itself; this bounds the handshake, so a host that
    // accepts the connection and never answers fails instead of hanging.
    connectionTimeoutMillis: connectTimeoutMs,
    // The server cancels a long statement and releases its locks; the client stops waiting a little
    // later, for the server that stopped answering altogether.
    // Behind a transaction pooler a setting sent at connect would reach only the first server
    // connection (PgBouncer refuses it outright): the client's own timeout is what remains.
    ...(statementTimeoutMs > 0
      ? {
          ...(options.pooler ? {} : { statement_timeout: statementTimeoutMs }),
          query_timeout: statementTimeoutMs + CLIENT_TIMEOUT_GRACE_MS,
        }
      : {}),
    // A server that vanished without closing the socket is noticed by TCP keepalive.
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === PG_INT8) return toSafeNumber;
        if (oid === PG_DATE) return (v: string) => v;
        if (oid === PG_TIMESTAMPTZ) {
          const fallback = pg.types.getTypeParser(oid, format);
          return (v: string) => parsePgTimestamptz(v) ?? fallback(v);
        }
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // A client losing its server (a restart) emits "error": idle ones through the pool, which drops
  // them; busy ones on themselves, where no listener would crash the process. The statement in
  // flight fails on its own, and the pool drops the client when it comes back.
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  // A transaction pooler hands the next statement to another server connection, where a name
  // prepared on the first is unknown.
  const prepared = options.preparedStatements ?? !options.pooler;
  const run = async (on: Pool | PoolClient, sql: string, parameters: readonly unknown[], name?: string) => {
    const values = parameters as unknown[];
    const result =
      prepared && name ? await on.query({ name, text: sql, values }) : await on.query(sql, values);
    return result.rows;
  };
  const pooled: PoolDriver = {
    prepared,
    query: (sql, parameters, name) => run(pool, sql, parameters, name),
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const result = await fn((sql, parameters, name) => run(client, sql, parameters, name));
        await client.query("COMMIT");
        client.release();
        return result;
      } catch (error) {
        try {
          await client.query("ROLLBACK");
          client.release();
        } catch (lost) {
          // A connection that cannot even roll back is closed, not given back to the pool.
          client.release(lost as Error);
        }
        throw error;
      }
    },
  };
  return {
    kysely: new PostgresDialect({ pool }),
    pool: pooled,
    driver: pool,
    closed: () => Promise.resolve(),
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: pool.options.max ?? 10,
    }),
  };
}

/**
 * PostgreSQL in process (PGlite): one connection, handed to one caller at a time. No pool fast path:
 * there is no network to save, and no prepared statements to keep a plan.
 */
export async function openPglite(dataDir: string | undefined, options: EngineOptions): Promise<OpenedEngine> {
  if (dataDir && options.mustExist && !existsSync(join(dataDir, "PG_VERSION"))) {
    throw new ConnectionError(
      `no PGlite database in ${resolve(dataDir)} (nothing was created); check the path, or create it with \`plinth up\``,
    );
  }
  const { PGlite, types } = await import("@electric-sql/pglite");
  const { PGlitePool } = await import("./pglite-pool.js");
  const pg = await PGlite.create(dataDir, {
    parsers: {
      [types.INT8]: (v: string) => toSafeNumber(v),
      [types.DATE]: (v: string) => v,
      [types.TIMESTAMPTZ]: (v: string) => parsePgTimestamptz(v) ?? new Date(v),
    },
  });
  return {
    kysely: new PostgresDialect({ pool: new PGlitePool(pg) as any }),
    driver: pg,
    closed: () => Promise.resolve(),
  };
}
