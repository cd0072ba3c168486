import type { CompiledQuery, Expression, InsertQueryBuilder, Kysely, RawBuilder } from "kysely";
import type { PlinthError } from "../errors.js";
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  Dialect,
  FullTextModel,
  SchemaModel,
  TableModel,
} from "../schema/index.js";
import type { ConstraintCatalog } from "./catalog.js";
import type { SchemaEditor } from "./editor.js";

/** What plinth knows when translating a driver error: the schema's constraints and the failing SQL. */
export interface ErrorContext {
  catalog: ConstraintCatalog;
  /** The table the failing statement wrote to, when the statement names one. */
  table?: string;
}

/**
 * What an engine can do, as flags the rest of plinth branches on. Code outside `src/dialect/` asks
 * "does this engine have RETURNING?", never "is this MySQL?", so a new engine is a new adapter, not
 * a search through the code base for name comparisons.
 */
export interface Capabilities {
  /** DDL runs inside a transaction and rolls back with it (MySQL commits each DDL statement by itself). */
  readonly transactionalDdl: boolean;
  /** INSERT / UPDATE … RETURNING. Without it a write reads its row back. */
  readonly returning: boolean;
  /** CREATE INDEX … WHERE. */
  readonly partialIndexes: boolean;
  /** Constraints checked at commit (DEFERRABLE). */
  readonly deferrableConstraints: boolean;
  /** CREATE / DROP INDEX CONCURRENTLY, which must run outside a transaction. */
  readonly concurrentIndexes: boolean;
  /** Constraints added NOT VALID and validated later. */
  readonly notValidConstraints: boolean;
  /** SELECT … FOR UPDATE locks the rows it reads (SQLite has one writer and no row locks). */
  readonly rowLocks: boolean;
  /**
   * A foreign key's target must exist when CREATE TABLE runs, so a cycle of references is closed with
   * ALTER TABLE afterwards. SQLite checks targets only when rows are written.
   */
  readonly foreignKeyTargetsAtCreate: boolean;
  /** Table and column comments are stored. */
  readonly comments: boolean;
  /**
   * An upsert names the unique key it resolves (ON CONFLICT (columns)). MySQL's ON DUPLICATE KEY
   * UPDATE resolves a collision on any unique key.
   */
  readonly conflictTarget: boolean;
  /**
   * The engine creates an index for every foreign key that has none (InnoDB), so a foreign key is
   * never left unindexed; introspection leaves those implicit indexes out.
   */
  readonly foreignKeysIndexed: boolean;
  /** Bound parameters one statement may carry (SQLite's default since 3.32). */
  readonly maxParameters: number;
}

/**
 * How the engine hands values back and takes them in, where that differs from the declared type.
 * The value codec reads this instead of the engine's name.
 */
export interface ValueForms {
  /** Booleans come back as 0 / 1. */
  readonly booleansAsIntegers: boolean;
  /** JSON comes back as text (not parsed by the driver). */
  readonly jsonAsText: boolean;
  /** Timestamps come back as ISO-8601 text (not as Date). */
  readonly timestampsAsText: boolean;
  /**
   * SQL to set autoUpdate columns to in every UPDATE, where the engine's own mechanism (a trigger)
   * runs after the statement, so RETURNING would show the old value.
   */
  readonly touchInStatement?: string;
  /**
   * Integers always come back as JavaScript numbers (never a bigint or text), so reading them needs
   * no conversion at all.
   */
  readonly integersAsNumbers?: boolean;
  /**
   * Decimals of at most this many digits are stored as floating point: written as numbers and read
   * back as numbers, which the codec prints at the column's scale.
   */
  readonly realDecimalDigits?: number;
  /** Converts parameters the driver cannot bind as given (booleans, Dates on better-sqlite3). */
  bindParameters?(parameters: readonly unknown[]): readonly unknown[];
}

/**
 * What the engine keeps of a declaration, so a declared model and an introspected one can be
 * compared with deep equality (see comparable()).
 */
export interface StoredForms {
  /** The type as the engine stores it (SQLite keeps storage classes, not declared types). */
  type(type: ColumnType): ColumnType;
  /** A literal default of a column of `type`, as the engine reprints it. */
  literalDefault(value: DefaultValue & { kind: "literal" }, type: ColumnType): DefaultValue;
  /** The full-text index as the engine can describe it back. */
  fullText(ft: FullTextModel): FullTextModel;
  /** A lone integer primary key is the table's rowid: an identity however it was declared. */
  readonly rowidKeys: boolean;
  /** A unique index and a UNIQUE constraint are one thing (MySQL's unique keys). */
  readonly uniqueIndexesAreConstraints: boolean;
  /** The primary key's constraint name is kept (SQLite forgets it; MySQL calls every one PRIMARY). */
  readonly primaryKeyNames: boolean;
}

/** One statement of DDL, with what the runner must know to run it. */
export interface DdlStep {
  sql: string;
  /** A query that must return a row for the statement to run (where an engine has no IF EXISTS). */
  onlyIf?: string;
  /** The engine refuses the statement inside a transaction block (CREATE INDEX CONCURRENTLY). */
  outsideTransaction?: boolean;
  /**
   * For a statement that commits by itself (MySQL DDL, CONCURRENTLY): how a run resuming after a
   * stopped one tells whether this statement had already taken effect. `done` returns a row when it
   * had (the step is then recorded, not repeated); otherwise `cleanup` removes what a statement
   * killed half-way leaves behind (PostgreSQL's INVALID index) before it runs again.
   */
  resume?: { done: string; cleanup?: string };
}

/** The unit of a time bucket: timestamps truncated to it, as `YYYY-MM-DD HH:MM:SS` text. */
export type TimeUnit = "minute" | "hour" | "day" | "month";

/** Options of the migration lock. */
export interface LockOptions {
  /** How long to wait for another runner before giving up (default 10 minutes). */
  timeoutMs?: number;
  /** Called once when the lock is taken by someone else and this runner starts waiting. */
  onWait?: () => void;
}

export interface CreateTableOptions {
  ifNotExists?: boolean;
  /** Create the table under this name instead (a rebuild's temporary copy); nothing else changes. */
  as?: string;
}

/**
 * Rendering DDL: types, CREATE TABLE and what belongs to a table. The shared renderers in
 * render.ts take this part of an adapter.
 */
export interface DdlDialect {
  readonly name: Dialect;
  quote(identifier: string): string;
  /** A string literal, escaped for this engine. */
  literal(value: string): string;
  /** Character length function: counts characters, not bytes. */
  readonly lengthFunction: string;
  /** The database's clock in UTC, as an SQL expression in the type of a timestamp column. */
  readonly now: string;
  columnType(column: ColumnModel): string;
  /** The DEFAULT expression of a column, without the keyword; undefined when it has none. */
  defaultExpression(column: ColumnModel): string | undefined;
  /**
   * The identity key is written inline with its column and keeps no constraint name (SQLite's
   * INTEGER PRIMARY KEY, which is the rowid).
   */
  readonly identityKeyInline: boolean;
  /** Statements that must exist before any table (e.g. shared trigger functions). */
  prelude(model: SchemaModel): string[];
  /**
   * CREATE TABLE and everything that belongs to it (indexes, comments, triggers). Foreign keys whose
   * target is in `deferred` are left out and added later with `addForeignKey`.
   */
  createTable(table: TableModel, deferred: ReadonlySet<string>, options?: CreateTableOptions): string[];
  addForeignKey(table: TableModel, foreignKeyName: string): string;
  /** One column as it appears in CREATE TABLE and ALTER TABLE ... ADD COLUMN. */
  columnDefinition(table: TableModel, column: ColumnModel): string;
  indexStatement(
    table: TableModel,
    index: TableModel["indexes"][number],
    options?: { concurrently?: boolean },
  ): string;
  dropIndexStatement(table: TableModel, indexName: string, options?: { concurrently?: boolean }): string;
  /** COMMENT statements for the table's doc and, when `column` is given, that column's doc only. */
  commentStatements(table: TableModel, column?: ColumnModel): string[];
  /** What keeps an autoUpdate column current (triggers), and what removes it. */
  touchStatements(table: TableModel, column: ColumnModel): string[];
  dropTouchStatements(table: TableModel, column: ColumnModel): string[];
  /** What creates the table's full-text index (and fills it from existing rows), and what removes it. */
  fullTextStatements(table: TableModel): string[];
  dropFullTextStatements(table: TableModel): string[];
  /** CHECKs the engine needs for a column type (enum domains, varchar length on SQLite, ...). */
  implicitChecks(table: TableModel, column: ColumnModel): { name: string; sql: string }[];
  /**
   * Triggers that refuse UPDATE and DELETE (and TRUNCATE where the engine can) on a table, each
   * dropped first so the list can run again. `uniqueKeys` (the primary key first) lets an engine
   * whose conflict resolution deletes rows without firing delete triggers (SQLite's REPLACE) refuse
   * an insert that would collide; the rowid when not given.
   *
   * `setNull` names the table's foreign keys whose rule is ON DELETE SET NULL: the one UPDATE an
   * append-only table lets through is that rule's own, emptying those columns (and changing nothing
   * else) once the referenced row is gone, so a trail outlives the user it names. `columns` lists
   * every column of the table, for engines that compare the other columns one by one.
   */
  appendOnlyStatements(table: string, uniqueKeys?: string[][], options?: AppendOnlyOptions): string[];
  /** Undoes appendOnlyStatements: the triggers (and PostgreSQL's function) it created, if there. */
  dropAppendOnlyStatements(table: string): string[];
}

/** One range partition: its table name and bounds (`from` inclusive, `to` exclusive). */
export interface RangePartition {
  name: string;
  /** Absent for the default partition. */
  from?: Date;
  to?: Date;
}

/** See SqlDialect.rangePartitions. */
export interface RangePartitions {
  /** The partitions attached to `table` now. */
  list(db: Kysely<any>, table: string): Promise<RangePartition[]>;
  /** Creates partition `name` of `table` for [from, to) unless it exists. */
  create(db: Kysely<any>, table: TableModel, partition: Required<RangePartition>): Promise<void>;
  /**
   * Detaches partition `name` from `table` and drops it, inside `trx`: the parent's lock lasts
   * only as long as the detach, and no row is deleted one by one.
   */
  detachAndDrop(trx: Kysely<any>, table: string, name: string): Promise<void>;
}

/** See SqlDialect.appendOnlyStatements. */
export interface AppendOnlyOptions {
  setNull?: { columns: string[]; refTable: string; refColumns: string[] }[];
  columns?: string[];
  /**
   * The table's declared retention: a DELETE passes only while retention is opened for the table
   * (SqlDialect.openRetention, inside the deleting transaction) and only for a row whose `column`
   * is before the cutoff given there. Every other DELETE is still refused.
   */
  retention?: { column: string };
}

/**
 * What the review asks of a live database beyond its catalog: the engine's own consistency checks,
 * triggers, and runtime statistics. A method answers undefined where the engine keeps no such thing,
 * so the rule that needs it reports that it could not run instead of a false all-clear.
 */
export interface ReviewProbes {
  /**
   * The connection the review runs on enforces foreign keys (SQLite's `foreign_keys` pragma, MySQL's
   * `foreign_key_checks`, PostgreSQL's `session_replication_role` not being `replica`).
   */
  foreignKeysEnforced(db: Kysely<any>): Promise<boolean>;
  /**
   * What the engine's own consistency checks report, one line each, without row values (SQLite's
   * integrity_check and foreign_key_check, PostgreSQL's constraints left NOT VALID); undefined where
   * the engine has no cheap check.
   */
  integrityProblems(db: Kysely<any>): Promise<string[] | undefined>;
  /** Per table, the row events (update, delete) that a BEFORE trigger can refuse. */
  guardedEvents(db: Kysely<any>): Promise<Map<string, Set<"update" | "delete">>>;
  /**
   * `query`'s plan read as if its tables were large: the tables (or aliases) it reads whole and
   * whether it sorts rows no index gives in order. PostgreSQL is told to avoid sequential scans and
   * sorts (SET LOCAL), so one that remains has no index to avoid it: call it inside a transaction.
   */
  readPlan(trx: Kysely<any>, query: CompiledQuery): Promise<PlanReading>;
  /**
   * The last value the generator of `table`'s identity `column` gave out (PostgreSQL's sequence,
   * MySQL's AUTO_INCREMENT less one, SQLite's sqlite_sequence), or undefined where it keeps none
   * (a SQLite rowid without AUTOINCREMENT: the largest key is the counter).
   */
  keyCounter(db: Kysely<any>, table: string, column: string): Promise<number | undefined>;
}

/** See ReviewProbes.readPlan. */
export interface PlanReading {
  /** The engine's plan, as SqlDialect.explain gives it. */
  plan: string;
  /** Tables (or their aliases) read row by row from start to end. */
  scans: string[];
  /** Rows are sorted after they are read (a filesort, a temp B-tree, a Sort node). */
  sorts: boolean;
}

/** See SqlDialect.connectFailure. */
export interface ConnectFailure {
  /** Waiting and trying again may succeed. */
  recoverable: boolean;
  /** What the user can do about it, as a clause ("check the user name and password in the URL"). */
  advice?: string;
}

/**
 * One engine, whole: everything the rest of plinth asks of it. One object per engine lives in
 * `src/dialect/<engine>/index.ts`; nothing outside `src/dialect/` compares engine names.
 */
export interface SqlDialect extends DdlDialect {
  readonly capabilities: Capabilities;
  readonly values: ValueForms;
  readonly stored: StoredForms;
  /** Renders each migration operation forwards (its reverse is another operation). */
  readonly editor: SchemaEditor;

  /** A driver error as plinth's typed error (a constraint violation, a statement timeout), or undefined. */
  translateError(error: unknown, context: ErrorContext): PlinthError | undefined;
  /**
   * Why opening a connection failed, as far as the engine can tell: whether waiting can fix it (the
   * server is down, starting or full) or not (a wrong password, a missing database), and what to do.
   */
  connectFailure(error: unknown): ConnectFailure;
  /**
   * The error says the connection is gone (the server restarted or dropped it), not that the
   * statement was wrong: an idempotent read may be tried again on a fresh connection.
   */
  connectionLost(error: unknown): boolean;

  /**
   * Opens the one way past an append-only table's triggers (see AppendOnlyOptions.retention): until
   * closeRetention or the end of `trx`'s transaction, DELETEs on `table` of rows older than `cutoff`
   * pass. Call it inside the transaction that deletes; nothing outside that transaction sees it.
   */
  openRetention(trx: Kysely<any>, table: string, cutoff: Date): Promise<void>;
  closeRetention(trx: Kysely<any>, table: string): Promise<void>;

  /**
   * The engine's native range partitions of a table declared `partition: { by, interval }`
   * (PostgreSQL); absent where plinth keeps such a table unpartitioned and prunes it in batches.
   */
  readonly rangePartitions?: RangePartitions;

  /** Reads the live database (current schema / database) back into a model. */
  introspect(db: Kysely<any>): Promise<SchemaModel>;
  /** Names of the tables in the current schema / database. */
  listTables(db: Kysely<any>): Promise<Set<string>>;

  /**
   * Serialises migration runners with a lock held by `conn`'s session for the whole run, released
   * when the session ends. Engines without session locks take their write lock per migration in
   * `migrationTransaction` instead, and this does nothing.
   */
  acquireMigrationLock(conn: Kysely<any>, options?: LockOptions): Promise<void>;
  releaseMigrationLock(conn: Kysely<any>): Promise<void>;
  /**
   * Runs `fn` (a migration, or creating the history table) as one transaction on `conn`, holding
   * whatever lock serialises migrations on this engine. Only for engines with transactional DDL.
   */
  migrationTransaction<T>(
    conn: Kysely<any>,
    lock: LockOptions,
    fn: (trx: Kysely<any>) => Promise<T>,
  ): Promise<T>;
  /**
   * Rows whose foreign keys are broken, for engines that let a migration break them in the middle
   * (SQLite's table rebuilds run with foreign keys off): the check that found them and what it
   * found, or undefined.
   */
  brokenForeignKeys(db: Kysely<any>): Promise<{ statement: string; message: string } | undefined>;

  /**
   * What a printed migration script runs before and after its statements so it applies as one
   * transaction (SQLite also turns foreign keys off around it, as its table rebuilds need); undefined
   * where DDL cannot be one (MySQL).
   */
  readonly scriptTransaction?: { begin: string[]; end: string[] };

  /** The review's probes of a live database (see plinth/review). */
  readonly review: ReviewProbes;

  /** The engine's plan for a statement, as text (see queryPlan in plinth/review). */
  explain(db: Kysely<any>, query: CompiledQuery): Promise<string>;
  /**
   * What the server says about itself right now: version, buffer-cache hit ratio and replication
   * lag where the engine keeps them. Figures it cannot give are absent, with a note saying why.
   */
  serverFacts(db: Kysely<any>): Promise<ServerFacts>;
  /**
   * Table and index sizes, index usage, connections by state and statements running longer than
   * `longRunningSeconds`, from the engine's own statistics; what it (or the user's permissions)
   * cannot tell is left out with a note.
   */
  diagnostics(db: Kysely<any>, options: { longRunningSeconds: number }): Promise<Diagnostics>;
  /**
   * Where a read replica stands, asked of the replica itself: whether it replays another server's
   * changes and how far behind it is. Absent on engines without server replicas (SQLite), where
   * `connect` refuses `replicas`.
   */
  replicaState?(db: Kysely<any>): Promise<ReplicaState>;

  /**
   * The INSERT, skipping rows whose `key` (a unique key) already exists. MySQL has no conflict
   * target: there it is an ON DUPLICATE KEY UPDATE that changes nothing (INSERT IGNORE would also
   * swallow foreign-key and NOT NULL errors), which skips a collision on any unique key.
   */
  skipDuplicates<Q extends InsertQueryBuilder<any, any, any>>(insert: Q, key: readonly string[]): Q;
  /**
   * After rows were inserted with explicit values for `column` (an identity), makes sure the next
   * generated value is past them. PostgreSQL's identity sequence does not move by itself; the other
   * engines' counters do, and this does nothing there.
   */
  identityPastExplicitKeys(db: Kysely<any>, table: string, column: string): Promise<void>;
  /** `column` (a JSON array of strings) holds `value`. */
  jsonArrayContains(column: string, value: string): RawBuilder<boolean>;
  /** A timestamp column truncated to `unit` in UTC, as `YYYY-MM-DD HH:MM:SS` text. */
  timeBucket(column: string, unit: TimeUnit): RawBuilder<string>;
  /** `text` compared byte for byte, whatever the collation of the column it comes from. */
  exactly(text: Expression<unknown>): Expression<unknown>;
  /**
   * Ranked full-text matching of `words` over the table's declared full-text index: joins or filters
   * `select` and adds a `rank` column, higher for better matches.
   */
  fullTextMatch(select: any, table: TableModel, words: string[]): any;
}

export interface ServerFacts {
  readonly version: string;
  /** Reads served from the buffer cache, 0…1, since the server's statistics were last reset. */
  readonly cacheHitRatio?: number;
  /** Whether this server is a read replica (in recovery, replicating from another). */
  readonly replica?: boolean;
  /** Seconds behind the primary (on a replica), or the largest lag of its replicas (on a primary). */
  readonly replicationLagSeconds?: number;
  readonly notes: readonly string[];
}

/** See SqlDialect.replicaState. */
export interface ReplicaState {
  /** The server replays another's changes (in recovery; a configured replica). */
  readonly replica: boolean;
  /**
   * Seconds behind its primary: 0 when it has replayed everything it received, absent when the
   * server cannot tell (replication stopped, nothing replayed yet).
   */
  readonly lagSeconds?: number;
}

export interface TableStats {
  readonly table: string;
  /** The engine's estimate (exact on SQLite, which counts). */
  readonly rows?: number;
  readonly bytes?: number;
  readonly indexBytes?: number;
}

export interface IndexStats {
  readonly table: string;
  readonly index: string;
  readonly bytes?: number;
  /** Times the index was used since statistics were reset; absent where the engine does not count. */
  readonly scans?: number;
  /** Backs a primary key or unique constraint: unused or not, it cannot go. */
  readonly enforcesUniqueness: boolean;
}

export interface Diagnostics {
  readonly tables: readonly TableStats[];
  readonly indexes: readonly IndexStats[];
  /** Indexes never used since statistics were reset that enforce nothing. */
  readonly unusedIndexes: readonly IndexStats[];
  readonly connections: readonly { state: string; count: number }[];
  readonly longRunning: readonly { id: string; state: string; seconds: number; query: string }[];
  readonly notes: readonly string[];
}
