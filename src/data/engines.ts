import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Dialect as KyselyDialect } from "kysely";
import { CompiledQuery, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import type { Target } from "./url.js";

export interface EngineOptions {
  /** Connections in the PostgreSQL / MySQL pool (default 10). */
  poolSize?: number;
  /** SQLite: how long a writer waits for a lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

/** PostgreSQL type OIDs whose default JavaScript conversion does not match the declared types. */
const INT8 = 20;
const DATE = 1082;

/** The Kysely dialect for one target, configured so every engine reads and writes the same values. */
export async function engineDialect(target: Target, options: EngineOptions): Promise<KyselyDialect> {
  switch (target.engine) {
    case "sqlite":
      return sqliteDialect(target.file, options);
    case "pglite":
      return pgliteDialect(target.dataDir);
    case "postgres":
      return postgresDialect(target.url, options);
    case "mysql":
      return mysqlDialect(target.url, options);
  }
}

async function sqliteDialect(file: string, options: EngineOptions): Promise<KyselyDialect> {
  const { default: Database } = await import("better-sqlite3");
  const memory = file === ":memory:";
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // WAL lets readers work while one connection writes; foreign keys are off in SQLite unless asked.
  if (!memory) db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma("synchronous = NORMAL");
  return new SqliteDialect({ database: db });
}

async function pgliteDialect(dataDir: string | undefined): Promise<KyselyDialect> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  const { PGlitePool } = await import("./pglite-pool.js");
  const pg = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (v: string) => toNumber(v), [types.DATE]: (v: string) => v },
  });
  return new PostgresDialect({ pool: new PGlitePool(pg) as any });
}

async function postgresDialect(url: string, options: EngineOptions): Promise<KyselyDialect> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === INT8) return toNumber;
        if (oid === DATE) return (v: string) => v;
        return pg.types.getTypeParser(oid, format);
      }) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on("error", () => {});
  return new PostgresDialect({ pool });
}

async function mysqlDialect(url: string, options: EngineOptions): Promise<KyselyDialect> {
  const mysql = await import("mysql2");
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.poolSize ?? 10,
    timezone: "Z",
    dateStrings: ["DATE"],
    supportBigNumbers: true,
    charset: "UTF8MB4_UNICODE_CI",
    // JSON arrives as text from MySQL's JSON type and from MariaDB's (LONGTEXT, which mysql2 would
    // otherwise parse from the extended metadata), so the codec parses exactly once.
    jsonStrings: true,
  });
  return new MysqlDialect({
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
}

function toNumber(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}
