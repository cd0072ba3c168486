import type { Dialect as KyselyDialect } from "kysely";
import { digitsAt, utcMillisAt } from "./calendar.js";
import type { ConnectFailure } from "./types.js";

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
  /**
   * The URL reaches a pooler in transaction mode (PgBouncer's `pool_mode = transaction`), which
   * hands each transaction to whichever server connection is free: nothing may outlive a
   * transaction on the server. plinth then sends no named prepared statements (unless
   * `preparedStatements: true`, for PgBouncer 1.21+ with `max_prepared_statements`), no session
   * settings at connect (the statement timeout is then the client's alone: set the server's on the
   * role), and refuses to migrate, whose lock lives in the session. Also `?pooler=transaction`.
   */
  pooler?: "transaction";
  /**
   * PostgreSQL and MySQL servers: how long opening a connection may take, the server's first answer
   * included (default 10 s, or a PostgreSQL URL's `connect_timeout`; 0 waits forever). A host that
   * accepts the connection and never answers then fails instead of hanging.
   */
  connectTimeoutMs?: number;
  /**
   * PostgreSQL: how long one statement may run (default 60 s; 0 for no limit). The server cancels
   * it (`statement_timeout`, so its locks are released), and the client gives up a few seconds later
   * should the server itself have stopped answering. Either way a StatementTimeoutError.
   */
  statementTimeoutMs?: number;
  /**
   * SQLite and PGlite: open only a database that exists, never create one (default false). For
   * commands that only read, so a mistyped path is an error rather than a new empty database.
   */
  mustExist?: boolean;
}

/** The default of EngineOptions.connectTimeoutMs. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** The default of EngineOptions.statementTimeoutMs. */
export const DEFAULT_STATEMENT_TIMEOUT_MS = 60_000;
/** How much longer than the server's statement timeout the client waits before giving up itself. */
export const CLIENT_TIMEOUT_GRACE_MS = 5_000;

type Row = Record<string, unknown>;

/** Socket-level failures every driver reports through Node's error codes. */
const SOCKET_GONE = new Set(["ECONNRESET", "EPIPE", "ECONNREFUSED", "ETIMEDOUT", "ENOTCONN"]);

/** Whether an error is Node's report of a socket that closed or never opened. */
export function socketGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && SOCKET_GONE.has(code);
}

/** Socket failures at connect time that waiting can fix: the server is not up or not reachable yet. */
const SOCKET_WAIT = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "EPIPE",
]);

/**
 * The connect-time failures every networked driver reports through Node: a refused or dropped socket
 * may recover (the database container starts after the service); an unknown host name does not.
 * Undefined when the error is not a socket-level one.
 */
export function socketConnectFailure(error: unknown): ConnectFailure | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === "ENOTFOUND") return { recoverable: false, advice: "check the host name in the URL" };
  if (typeof code === "string" && SOCKET_WAIT.has(code)) {
    return {
      recoverable: true,
      advice: "check that the server is running and listening on that host and port",
    };
  }
  return undefined;
}

/** A statement prepared once on a synchronous driver, run with each call's parameters. */
export interface SyncStatement {
  get(parameters: readonly unknown[]): Row | undefined;
  all(parameters: readonly unknown[]): Row[];
  run(parameters: readonly unknown[]): void;
}

/**
 * A driver that runs statements synchronously (better-sqlite3): no promise per statement, and a
 * multi-statement write that nothing else can interleave with, because nothing else runs until it
 * returns.
 */
export interface SyncDriver {
  /** A prepared statement for this SQL text, cached by the driver. */
  prepare(sql: string): SyncStatement;
  /**
   * Runs `fn` in one transaction that takes the write lock before its first read (a savepoint
   * inside an open transaction); a throw rolls it back.
   */
  atomic<T>(fn: () => T): T;
}

/**
 * A connection pool that runs a statement on a connection of its own, outside Kysely's executor:
 * as a named prepared statement (parsed and planned once per connection) when `prepared`.
 */
export interface PoolDriver {
  readonly prepared: boolean;
  /**
   * `read`: the statement changes nothing and needs no transaction, so a pool that routes reads
   * (read replicas) may serve it elsewhere.
   */
  query(sql: string, parameters: readonly unknown[], name?: string, read?: boolean): Promise<Row[]>;
  /**
   * Runs `fn` in one transaction on a connection of its own (BEGIN … COMMIT, ROLLBACK when it
   * throws); `query` runs a statement there, named as `query` above.
   */
  transaction<T>(
    fn: (query: (sql: string, parameters: readonly unknown[], name?: string) => Promise<Row[]>) => Promise<T>,
  ): Promise<T>;
}

/**
 * An engine opened for one URL: the Kysely dialect over its driver, plus the driver's own fast
 * paths where it has them. The data layer chooses its paths by which of these exist, not by name.
 */
export interface OpenedEngine {
  readonly kysely: KyselyDialect;
  readonly sync?: SyncDriver;
  readonly pool?: PoolDriver;
  /** The driver object itself (a better-sqlite3 Database, a pg Pool, a PGlite, a mysql2 Pool), for benchmarks. */
  readonly driver: unknown;
  /** Resolves once everything the connection started has ended (SQLite's checkpoint thread). */
  closed(): Promise<void>;
  /** The pool's connections right now, where there is a pool (an embedded engine has one connection). */
  poolStats?(): PoolStats;
}

export interface PoolStats {
  /** Connections open (busy or idle). */
  readonly total: number;
  readonly idle: number;
  /** Callers waiting for a connection. */
  readonly waiting: number;
  /** The most the pool will open. */
  readonly max: number;
}

/** PostgreSQL type OIDs whose default JavaScript conversion does not match the declared types. */
export const PG_INT8 = 20;
export const PG_DATE = 1082;
export const PG_TIMESTAMPTZ = 1184;

/** A 64-bit integer as a number when it fits, else its text: never a silently rounded number. */
export function toSafeNumber(v: string): number | string {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
}

/** PostgreSQL's timestamptz output: `2024-01-02 03:04:05.678+00`, an offset of hours and maybe minutes. */
const PG_TIMESTAMPTZ_TEXT = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}:\d{2}:\d{2})(\.\d+)?([+-]\d{2})(?::?(\d{2}))?$/;

/**
 * A timestamptz as PostgreSQL prints it, as a Date; undefined for what it does not recognise (BC
 * years, infinity). Read as ISO-8601, which keeps years below 100 (the drivers' own parsers build
 * dates with Date.UTC, which turns year 99 into 1999).
 */
export function parsePgTimestamptz(text: string): Date | undefined {
  const fast = pgTimestamptzByPosition(text);
  if (fast !== undefined) return new Date(fast);
  const m = PG_TIMESTAMPTZ_TEXT.exec(text);
  if (!m) return undefined;
  const fraction = (m[5] ?? ".000").slice(0, 4).padEnd(4, "0");
  return new Date(`${m[1]}-${m[2]}-${m[3]}T${m[4]}${fraction}${m[6]}:${m[7] ?? "00"}`);
}

/**
 * The common case of parsePgTimestamptz read by position, without building strings: milliseconds
 * since the epoch, or undefined for anything else (the regular expression then decides). The
 * fraction is cut to milliseconds, not rounded, as the ISO reading of it does.
 */
function pgTimestamptzByPosition(text: string): number | undefined {
  const n = text.length;
  if (
    n < 22 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 32 || // space
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58
  )
    return undefined;
  let i = 19;
  let ms = 0;
  if (text.charCodeAt(i) === 46) {
    let scale = 100;
    for (i++; i < n; i++) {
      const d = text.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      ms += d * scale;
      scale = scale >= 10 ? scale / 10 : 0;
    }
    if (i === 20) return undefined;
  }
  const sign = text.charCodeAt(i) === 43 ? 1 : text.charCodeAt(i) === 45 ? -1 : 0;
  if (sign === 0 || i + 3 > n) return undefined;
  const offsetHours = digitsAt(text, i + 1, 2);
  let offsetMinutes = 0;
  let end = i + 3;
  if (end < n) {
    if (text.charCodeAt(end) === 58) end++;
    offsetMinutes = digitsAt(text, end, 2);
    end += 2;
  }
  if (end !== n || offsetHours < 0 || offsetMinutes < 0) return undefined;
  const local = utcMillisAt(text, ms);
  return local === undefined ? undefined : local - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

/** MySQL's DATETIME text (`2024-01-02 03:04:05.678`), which holds UTC here, as a Date. */
export function parseUtcDatetime(text: string): Date {
  return new Date(`${text.replace(" ", "T")}Z`);
}
