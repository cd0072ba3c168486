import { CompiledQuery, MysqlDialect } from "kysely";
import type { EngineOptions, OpenedEngine } from "../driver.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, parseUtcDatetime } from "../driver.js";

/** MySQL or MariaDB through mysql2's pool, configured so values read and write as on every engine. */
export async function openMysql(url: string, options: EngineOptions): Promise<OpenedEngine> {
  const mysql = await import("mysql2");
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.poolSize ?? 10,
    // The handshake's bound, as on PostgreSQL: a host that never answers fails instead of hanging.
    connectTimeout: options.connectTimeoutMs || DEFAULT_CONNECT_TIMEOUT_MS,
    timezone: "Z",
    dateStrings: ["DATE"],
    supportBigNumbers: true,
    charset: "UTF8MB4_UNICODE_CI",
    // JSON arrives as text from MySQL's JSON type and from MariaDB's (LONGTEXT, which mysql2 would
    // otherwise parse from the extended metadata), so the codec parses exactly once.
    jsonStrings: true,
    // DATETIME holds UTC; read as ISO-8601, which keeps years below 100 (mysql2's own dates turn
    // year 99 into 1999).
    typeCast: (field, next) => {
      if (field.type !== "DATETIME") return next();
      const text = field.string();
      return text === null ? null : parseUtcDatetime(text);
    },
  });
  const dialect = new MysqlDialect({
    pool,
    // Timestamps are UTC end to end, and strict mode turns silent truncation into errors.
    onCreateConnection: async (connection) => {
      await connection.executeQuery(
        CompiledQuery.raw(
          "SET time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'",
        ),
      );
    },
  });
  const limit = options.poolSize ?? 10;
  return {
    kysely: dialect,
    driver: pool,
    closed: () => Promise.resolve(),
    // mysql2 publishes no pool counters; these are the arrays its pool keeps (stable since 2.x).
    poolStats: () => {
      const p = pool as unknown as Record<string, { length: number } | undefined>;
      const total = p._allConnections?.length ?? 0;
      const idle = p._freeConnections?.length ?? 0;
      return { total, idle, waiting: p._connectionQueue?.length ?? 0, max: limit };
    },
  };
}
