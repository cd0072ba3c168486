import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { SqliteDatabase, SqliteStatement } from "kysely";
import { SqliteDialect } from "kysely";
import { ConnectionError } from "../../errors.js";
import type { EngineOptions, OpenedEngine, SyncDriver, SyncStatement } from "../driver.js";
import { BackgroundCheckpoints } from "./checkpoints.js";

/** better-sqlite3 on a file (or `:memory:`), configured as plinth expects every SQLite database to be. */
export async function openSqlite(file: string, options: EngineOptions): Promise<OpenedEngine> {
  const { default: Database } = await import("better-sqlite3");
  const memory = file === ":memory:";
  if (!memory && options.mustExist && !existsSync(file)) {
    throw new ConnectionError(
      `no SQLite database at ${resolve(file)} (nothing was created); check the path, or create it with \`plinth up\``,
    );
  }
  if (!memory) mkdirSync(dirname(file), { recursive: true });
  // fileMustExist as well: a file removed between the check and the open is not created either.
  const db = new Database(file, { fileMustExist: Boolean(options.mustExist) });
  // WAL lets readers work while one connection writes; foreign keys are off in SQLite unless asked.
  if (!memory) db.pragma("journal_mode = WAL");
  db.pragma("foreign_keys = ON");
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma("synchronous = NORMAL");
  const checkpoints =
    memory || options.checkpoints === "inline" ? undefined : new BackgroundCheckpoints(db, file);
  const statements = new StatementCache(db, checkpoints);
  // IMMEDIATE takes the write lock before the first read, so waiting for another connection goes
  // through the busy timeout instead of failing when the read turns into a write.
  const atomically = db.transaction((fn: () => unknown) => fn()).immediate;
  const sync: SyncDriver = {
    prepare: (sql) => statements.native(sql) as SyncStatement,
    atomic: <T>(fn: () => T) => atomically(fn) as T,
  };
  return {
    kysely: new SqliteDialect({ database: statements }),
    sync,
    driver: db,
    closed: () => checkpoints?.closed ?? Promise.resolve(),
  };
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
