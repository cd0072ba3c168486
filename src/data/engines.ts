import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { PGlite } from "@electric-sql/pglite";
import type BetterSqlite3 from "better-sqlite3";
import type { Dialect as KyselyDialect, SqliteDatabase, SqliteStatement } from "kysely";
import { CompiledQuery, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import type { Pool as MysqlPool } from "mysql2";
import type { Pool as PgPool } from "pg";
import { BackgroundCheckpoints } from "./sqlite-checkpoints.js";
import type { Target } from "./url.js";

export interface EngineOptions {
  /** Connections in the PostgreSQL / MySQL pool (default 10). */
  poolSize?: number;
  /** SQLite: how long a writer waits for a lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
  /**
   * SQLite file: who waits for the disk when the WAL is copied back into the database.
   * "background" (default): a worker thread, once the WAL has grown (see BackgroundCheckpoints);
   * "inline": SQLite's own automatic checkpoint, inside the commit that crosses 1,000 pages.
   */
  checkpoints?: "background" | "inline";
  /**
   * PostgreSQL server: run plinth's hot statements (point reads, the single-statement audited update)
   * as named prepared statements, parsed and planned once per connection (default true). Turn it off
   * behind a pooler that cannot keep prepared statements, such as PgBouncer before 1.21 in
   * transaction mode.
   */
  preparedStatements?: boolean;
}

/** PostgreSQL type OIDs whose default JavaScript conversion does not match the declared types. */
const INT8 = 20;
const DATE = 1082;

/**
 * The driver object under a dialect, for the few hot paths that talk to it directly (and for
 * benchmarks that compare against it). On SQLite, `prepare` returns a cached statement.
 */
export type NativeDriver =
  | {
      engine: "sqlite";
      db: BetterSqlite3.Database;
      prepare(sql: string): BetterSqlite3.Statement;
      /** Resolves once everything the connection started (its checkpoint thread) has ended. */
      closed(): Promise<void>;
    }
  | { engine: "pglite"; pg: PGlite }
  | { engine: "postgres"; pool: PgPool; preparedStatements: boolean }
  | { engine: "mysql"; pool: MysqlPool };

const natives = new WeakMap<KyselyDialect, NativeDriver>();

export function nativeDriverOf(dialect: KyselyDialect): NativeDriver | undefined {
  return natives.get(dialect);
}

function register<D extends KyselyDialect>(dialect: D, native: NativeDriver): D {
  natives.set(dialect, native);
  return dialect;
}

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
  const checkpoints =
    memory || options.checkpoints === "inline" ? undefined : new BackgroundCheckpoints(db, file);
  const statements = new StatementCache(db, checkpoints);
  return register(new SqliteDialect({ database: statements }), {
    engine: "sqlite",
    db,
    prepare: (sql) => statements.native(sql),
    closed: () => checkpoints?.closed ?? Promise.resolve(),
  });
}

/**
 * better-sqlite3 under Kysely, with prepared statements kept by SQL text: Kysely prepares every
 * statement it runs, and preparing costs more than running a point read. Iteration gets a fresh
 * statement, because a statement that is being iterated cannot run anything else meanwhile.
 */
class StatementCache implements SqliteDatabase {
  private readonly statements = new Map<
    string,
    { native: BetterSqlite3.Statement; kysely: SqliteStatement }
  >();

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly checkpoints?: BackgroundCheckpoints,
  ) {}

  static readonly LIMIT = 1000;

  prepare(sql: string): SqliteStatement {
    return this.entry(sql).kysely;
  }

  native(sql: string): BetterSqlite3.Statement {
    return this.entry(sql).native;
  }

  close(): void {
    this.checkpoints?.close();
    this.statements.clear();
    this.db.close();
  }

  private entry(sql: string) {
    const found = this.statements.get(sql);
    if (found) return found;
    const native = this.db.prepare(sql);
    const db = this.db;
    const entry = {
      native,
      kysely: {
        reader: native.reader,
        all: (parameters: ReadonlyArray<unknown>) => native.all(parameters) as unknown[],
        run: (parameters: ReadonlyArray<unknown>) => native.run(parameters),
        iterate: (parameters: ReadonlyArray<unknown>) =>
          db.prepare(sql).iterate(parameters) as IterableIterator<unknown>,
      },
    };
    // Oldest first out: statements built from user input (IN lists of every length) must not pile up.
    if (this.statements.size >= StatementCache.LIMIT)
      this.statements.delete(this.statements.keys().next().value!);
    this.statements.set(sql, entry);
    return entry;
  }
}

async function pgliteDialect(dataDir: string | undefined): Promise<KyselyDialect> {
  const { PGlite, types } = await import("@electric-sql/pglite");
  const { PGlitePool } = await import("./pglite-pool.js");
  const pg = await PGlite.create(dataDir, {
    parsers: { [types.INT8]: (v: string) => toNumber(v), [types.DATE]: (v: string) => v },
  });
  return register(new PostgresDialect({ pool: new PGlitePool(pg) as any }), { engine: "pglite", pg });
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
  return register(new PostgresDialect({ pool }), {
    engine: "postgres",
    pool,
    preparedStatements: options.preparedStatements ?? true,
  });
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
  return register(dialect, { engine: "mysql", pool });
}

function toNumber(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}
