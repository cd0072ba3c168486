import type { CompiledQuery, KyselyPlugin, Transaction } from "kysely";
import { CamelCasePlugin, Kysely, sql } from "kysely";
import type { Keyring } from "../crypto/encryption.js";
import { resolveKeyring } from "../crypto/encryption.js";
import type { EngineOptions } from "../dialect/driver.js";
import { CLIENT_TIMEOUT_GRACE_MS, DEFAULT_CONNECT_TIMEOUT_MS } from "../dialect/driver.js";
import { openEngine } from "../dialect/engines.js";
import type { SqlDialect } from "../dialect/index.js";
import { ConstraintCatalog, dialectOf } from "../dialect/index.js";
import type { Target } from "../dialect/url.js";
import { parseDatabaseUrl, sameEngine } from "../dialect/url.js";
import type { StatementContext } from "../dialect/violation.js";
import { ConnectionError, DatabaseUrlError } from "../errors.js";
import type { Database, Dialect, Schema } from "../schema/index.js";
import { CodecPlugin } from "./codec-plugin.js";
import type { CountCache } from "./count-cache.js";
import { MemoryCountCache } from "./count-cache.js";
import type { CreateSchemaResult } from "./create-schema.js";
import { createSchema } from "./create-schema.js";
import type { WriteHooks } from "./hooks.js";
import type { ReplicaOptions, ReplicaStatus } from "./read-routing.js";
import { ReadRouter } from "./read-routing.js";
import { Repository } from "./repository.js";
import type { TableName } from "./repository-types.js";
import type { RetryOptions } from "./retry.js";
import { describeCause, retry, withDeadline } from "./retry.js";
import { routeReads } from "./routed-engine.js";
import type { StatementObserver } from "./translating-dialect.js";
import {
  bindDialect,
  statementKind,
  TranslatingDialect,
  targetTable,
  translatingDialectOf,
} from "./translating-dialect.js";
import { executorFor, runTransaction } from "./tx-context.js";

/**
 * How long a cached page total lives unless `countTtlMs` says otherwise: five minutes, the TTL of
 * the pagination count cache in service-audit's design. Writes through a repository invalidate a
 * table's totals at once, so the TTL only bounds how stale a total can get after writes that bypass
 * plinth.
 */
export const DEFAULT_COUNT_TTL_MS = 5 * 60_000;

/** A primary server and the read replicas that follow it (streaming replicas of the same database). */
export interface Replicated {
  primary: string;
  /** Reads outside transactions go to these in turn (see ReplicaOptions for the rules). */
  replicas?: readonly string[];
}

export interface ConnectOptions extends EngineOptions {
  /** How reads are routed when connecting to `{ primary, replicas }`. */
  replication?: ReplicaOptions;
  /** Waiting for the database at start-up: 5 attempts, 5 s apart, unless told otherwise. */
  retry?: RetryOptions;
  /**
   * Called by repositories inside each write's transaction. `connect` from "plinth" puts the audit
   * trail here when the schema declares one; hooks given here replace it.
   */
  hooks?: WriteHooks;
  /**
   * The audit trail of tables declared `audit: true`: wired by `connect` when the schema has
   * auditLog() (default), with these options when an object (`{ redactKeys }`), or `false` to write
   * to audited tables without recording anything, on purpose. Without a trail and without `false`,
   * a write to an audited table is refused (AuditTrailMissingError).
   */
  audit?: boolean | { redactKeys?: readonly string[] };
  /** Where pagination totals are cached; an in-memory TTL cache unless given. */
  countCache?: CountCache;
  /** How long a cached count lives (default 5 minutes); repository writes invalidate it sooner. */
  countTtlMs?: number;
  /**
   * Told of every statement on every path, fast paths included: `queryMetrics()` from plinth/ops
   * gives Prometheus metrics and a slow-query log.
   */
  observer?: StatementObserver;
  /** Extra Kysely plugins, run after plinth's own (e.g. to observe or count statements). */
  plugins?: KyselyPlugin[];
  /**
   * Keys for encrypted columns, as PLINTH_ENCRYPTION_KEYS writes them (`<keyId>:<base64 32-byte key>`,
   * comma-separated, the first encrypts) or a Keyring; PLINTH_ENCRYPTION_KEYS unless given.
   */
  encryptionKeys?: string | Keyring;
}

/** A connected database: the typed Kysely handle plus what plinth adds around it. */
export interface Db<S extends Schema = Schema> {
  /** Typed Kysely: table names as declared, columns by their camelCase keys. */
  readonly kysely: Kysely<Database<S>>;
  readonly schema: S;
  readonly dialect: Dialect;
  /**
   * The engine's adapter: its capabilities and the SQL that differs between engines (JSON and time
   * functions, EXPLAIN, DDL). Code that must work on every engine asks it instead of the name.
   */
  readonly adapter: SqlDialect;
  /** Which engine serves the URL: sqlite, pglite, postgres or mysql. */
  readonly engine: string;
  /**
   * Runs `fn` in a transaction; it commits when `fn` resolves and rolls back when it throws. Nested
   * calls use a savepoint, and repositories used inside `fn` join the transaction automatically.
   */
  transaction<T>(fn: (trx: Transaction<Database<S>>) => Promise<T>): Promise<T>;
  /**
   * The Kysely to query with right now: inside `db.transaction` (anywhere down its async call
   * chain) the open transaction, otherwise `kysely`. Code that must join the caller's transaction
   * without being handed `trx` queries through this.
   */
  readonly current: Kysely<Database<S>>;
  /** The repository of a declared table (one instance per table and handle). */
  repo<N extends TableName<S>>(table: N): Repository<S, N>;
  readonly hooks?: WriteHooks;
  /** Connected with `{ audit: false }`: writes to audited tables go unrecorded, as asked. */
  readonly unaudited: boolean;
  readonly counts: CountCache;
  readonly countTtlMs: number;
  /** The keys of encrypted columns (key rotation reads them here). */
  readonly keyring?: Keyring;
  /**
   * Each read replica's state, lag and reads served, as last measured (empty without replicas).
   * Measured again every `replication.checkIntervalMs`; `checkReplicas()` measures now.
   */
  replicas(): ReplicaStatus[];
  checkReplicas(): Promise<ReplicaStatus[]>;
  /** Declared with `pooler: "transaction"` (or `?pooler=transaction` in the URL). */
  readonly pooler?: "transaction";
  /** Creates every declared table that does not exist yet; safe to call again. */
  createSchema(): Promise<CreateSchemaResult>;
  close(): Promise<void>;
}

/**
 * Connects to `url` and waits until the database answers: with bounded retries, because in
 * deployments the database container often starts after the service. Fails with a message naming
 * the host and the cause.
 */
export async function connect<S extends Schema>(
  url: string | Replicated,
  schema: S,
  options: ConnectOptions = {},
): Promise<Db<S>> {
  const { primary, replicas = [] } = typeof url === "string" ? { primary: url } : url;
  const target = parseDatabaseUrl(primary);
  options = withPooler(target, options);
  // Missing keys are a start-up error, before any connection is opened.
  const keyring = resolveKeyring(schema.model, options.encryptionKeys);
  const dialect = dialectOf(target.dialect);
  const catalog = new ConstraintCatalog(schema.model, dialect);
  const replicaTargets = replicaTargetsOf(replicas, target, dialect);
  let engine = await openEngine(target, options);
  let router: ReadRouter | undefined;
  if (replicaTargets.length > 0) {
    const opened = await Promise.all(
      replicaTargets.map(async (t) => ({ display: t.display, engine: await openEngine(t, options) })),
    );
    ({ engine, router } = routeReads(
      engine,
      opened,
      (members) => new ReadRouter(members, (db) => dialect.replicaState!(db), options.replication),
      (error) => dialect.connectionLost(error) || dialect.connectFailure(error).recoverable,
    ));
  }
  const translating = new TranslatingDialect(engine, {
    parameters: dialect.values.bindParameters,
    observer: options.observer,
    connectionLost: (error: unknown) => dialect.connectionLost(error),
    translateError: (error: unknown, query: CompiledQuery) => {
      const context: StatementContext = {
        catalog,
        table: targetTable(query.query),
        statement: statementKind(query.query),
      };
      return dialect.translateError(error, context) ?? error;
    },
  });
  const kysely = new Kysely<Database<S>>({
    dialect: translating,
    // CamelCase first: the codec then sees database names in queries and TypeScript keys in results.
    // maintainNestedObjectKeys: keys inside JSON values are data, not column names.
    plugins: [
      new CamelCasePlugin({ maintainNestedObjectKeys: true }),
      new CodecPlugin(schema, dialect.values, keyring),
      ...(options.plugins ?? []),
    ],
  });

  bindDialect(kysely, translating);

  try {
    await retry(
      () => probe(kysely, probeDeadline(options, target)),
      options.retry,
      (error) => dialect.connectFailure(error).recoverable,
      ({ error, tries, final }) => {
        const { advice } = dialect.connectFailure(error);
        const after = final ? "" : ` after ${tries} attempt${tries === 1 ? "" : "s"}`;
        return new ConnectionError(
          `could not connect to ${target.display}${after}: ${describeCause(error)}${advice ? `; ${advice}` : ""}`,
          { cause: error },
        );
      },
    );
  } catch (error) {
    // Not awaited without bound: a pool whose client hangs would make destroy() hang with it.
    await Promise.race([kysely.destroy().catch(() => {}), new Promise((r) => setTimeout(r, 1000).unref())]);
    throw error;
  }
  if (router) {
    // A replica that cannot be reached now is left out until a later measurement finds it well.
    await router.check();
    router.start();
  }
  return handle(kysely, schema, dialect, target.engine, { ...options, keyring, router });
}

/** Replicas must be servers of the primary's engine, and the engine must be able to measure them. */
function replicaTargetsOf(urls: readonly string[], primary: Target, dialect: SqlDialect): Target[] {
  if (urls.length === 0) return [];
  // An embedded engine (a file, PGlite) has no server that could stream to a replica.
  if (!dialect.replicaState || !("url" in primary))
    throw new DatabaseUrlError(
      `replicas: ${primary.display} has no read replicas plinth can route to; connect with a server URL (PostgreSQL, MySQL)`,
    );
  return urls.map((url) => {
    const target = parseDatabaseUrl(url);
    if (!sameEngine(target, primary))
      throw new DatabaseUrlError(
        `replicas: ${target.display} is a ${target.engine} URL but the primary is ${primary.engine}; a replica follows its primary`,
      );
    return target;
  });
}

/** `?pooler=transaction` in the URL declares the pooler as the option does. */
function withPooler(target: Target, options: ConnectOptions): ConnectOptions {
  const pooler = options.pooler ?? ("pooler" in target ? target.pooler : undefined);
  return pooler ? { ...options, pooler } : options;
}

function handle<S extends Schema>(
  kysely: Kysely<Database<S>>,
  schema: S,
  dialect: SqlDialect,
  engine: string,
  options: ConnectOptions & { keyring?: Keyring; router?: ReadRouter },
): Db<S> {
  const { router } = options;
  const repos = new Map<string, Repository<S, any>>();
  const db: Db<S> = {
    kysely,
    schema,
    dialect: dialect.name,
    adapter: dialect,
    engine,
    hooks: options.hooks,
    unaudited: options.audit === false,
    counts: options.countCache ?? new MemoryCountCache(),
    countTtlMs: options.countTtlMs ?? DEFAULT_COUNT_TTL_MS,
    keyring: options.keyring,
    transaction: (fn) => runTransaction(kysely, fn),
    get current() {
      return executorFor(kysely as Kysely<any>) as Kysely<Database<S>>;
    },
    repo: (table) => {
      const cached = repos.get(table);
      if (cached) return cached;
      const repo = new Repository(db, table);
      repos.set(table, repo);
      return repo;
    },
    replicas: () => router?.status() ?? [],
    checkReplicas: async () => {
      await router?.check();
      return router?.status() ?? [];
    },
    ...(options.pooler ? { pooler: options.pooler } : {}),
    createSchema: () => createSchema(kysely as Kysely<any>, schema.model, dialect),
    close: async () => {
      router?.stop();
      await kysely.destroy();
      // A SQLite file's checkpoint thread holds the file open until it has ended.
      await translatingDialectOf(kysely as Kysely<any>)?.engine.closed();
    },
  };
  return db;
}

/**
 * The first statement, bounded even when the driver's own timeouts are off (statementTimeoutMs: 0):
 * a host that accepts the connection and then never answers must fail, not hang start-up.
 */
async function probe(kysely: Kysely<any>, deadlineMs: number): Promise<void> {
  await withDeadline(sql`SELECT 1`.execute(kysely), deadlineMs);
}

/** The connect timeout plus the client's grace: past the drivers' own limits, never before them. */
function probeDeadline(options: ConnectOptions, target: Target): number {
  const connectMs =
    options.connectTimeoutMs ??
    ("connectTimeoutMs" in target ? target.connectTimeoutMs : undefined) ??
    DEFAULT_CONNECT_TIMEOUT_MS;
  return connectMs > 0 ? connectMs + CLIENT_TIMEOUT_GRACE_MS : 0;
}
