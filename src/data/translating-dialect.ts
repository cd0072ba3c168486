import type {
  CompiledQuery,
  DatabaseConnection,
  DatabaseIntrospector,
  DialectAdapter,
  Driver,
  Kysely,
  Dialect as KyselyDialect,
  QueryCompiler,
  QueryResult,
  RootOperationNode,
  TransactionSettings,
} from "kysely";
import type { OpenedEngine } from "../dialect/driver.js";

/**
 * Told of every statement plinth sends, on every path (Kysely's, SQLite's synchronous one, the
 * pool's prepared statements): metrics and the slow-query log hang off this (see src/ops/).
 */
export interface StatementObserver {
  /** `startedAt` is the `performance.now()` at which the statement was sent. */
  done(query: CompiledQuery, startedAt: number, failed: boolean): void;
}

/** What a connection does around each statement: adjust parameters, translate failures, observe. */
export interface StatementHooks {
  parameters?(parameters: readonly unknown[]): readonly unknown[];
  observer?: StatementObserver;
  translateError(error: unknown, query: CompiledQuery): unknown;
  /** The error says the connection is gone (see SqlDialect.connectionLost). */
  connectionLost?(error: unknown): boolean;
}

/**
 * A statement that may run again on another connection after its own was lost: a query built with
 * Kysely's SELECT builder reads and writes nothing else. Raw SQL is never repeated (it may write, or
 * depend on the session: an advisory lock, a temporary table), nor anything inside a transaction.
 */
export function repeatableRead(query: CompiledQuery): boolean {
  return query.query.kind === "SelectQueryNode";
}

/** How many connections Kysely holds right now (acquired and not yet released). */
export interface ConnectionActivity {
  held: number;
}

/**
 * Wraps a Kysely dialect so that every statement, whether built with Kysely, written with `sql` or
 * run inside a transaction, passes through the same hooks. This is the one place driver errors become
 * plinth's typed errors.
 *
 * It also counts the connections Kysely holds: on SQLite (one connection behind a mutex) a count of
 * zero means no transaction is open and no statement is running, so a synchronous statement may use
 * the connection directly without seeing anyone's uncommitted writes.
 */
export class TranslatingDialect implements KyselyDialect {
  readonly activity: ConnectionActivity = { held: 0 };
  /** The Kysely dialect of the engine, which this one wraps. */
  readonly inner: KyselyDialect;

  constructor(
    /** The opened engine, with its driver's fast paths (see OpenedEngine). */
    readonly engine: OpenedEngine,
    readonly hooks: StatementHooks,
  ) {
    this.inner = engine.kysely;
  }

  createDriver(): Driver {
    return new TranslatingDriver(this.inner.createDriver(), this.hooks, this.activity);
  }
  createQueryCompiler(): QueryCompiler {
    return this.inner.createQueryCompiler();
  }
  createAdapter(): DialectAdapter {
    return this.inner.createAdapter();
  }
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return this.inner.createIntrospector(db);
  }
}

class TranslatingConnection implements DatabaseConnection {
  constructor(
    readonly inner: DatabaseConnection,
    private readonly hooks: StatementHooks,
    private readonly driver: TranslatingDriver,
  ) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { observer } = this.hooks;
    if (!observer) return this.execute(query);
    const startedAt = performance.now();
    let failed = true;
    try {
      const result = await this.execute<R>(query);
      failed = false;
      return result;
    } finally {
      observer.done(query, startedAt, failed);
    }
  }

  private async execute<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const adjusted = this.adjust(query);
    try {
      return await this.inner.executeQuery<R>(adjusted);
    } catch (error) {
      // A read on a connection the server dropped (a restart) is tried once more on a fresh one:
      // the pool has let go of the dead one, and the read changes nothing either way.
      if (this.hooks.connectionLost?.(error) && repeatableRead(query) && !this.driver.inTransaction(this)) {
        try {
          return await this.driver.onFreshConnection((c) => c.executeQuery<R>(adjusted));
        } catch (again) {
          throw this.hooks.translateError(again, adjusted);
        }
      }
      throw this.hooks.translateError(error, adjusted);
    }
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const adjusted = this.adjust(query);
    try {
      yield* this.inner.streamQuery<R>(adjusted, chunkSize);
    } catch (error) {
      throw this.hooks.translateError(error, adjusted);
    }
  }

  private adjust(query: CompiledQuery): CompiledQuery {
    if (!this.hooks.parameters) return query;
    return { ...query, parameters: this.hooks.parameters(query.parameters) };
  }
}

class TranslatingDriver implements Driver {
  private readonly wrapped = new WeakMap<DatabaseConnection, TranslatingConnection>();
  /** Connections inside BEGIN … COMMIT: nothing on them is ever repeated elsewhere. */
  private readonly transactions = new WeakSet<DatabaseConnection>();

  constructor(
    private readonly inner: Driver,
    private readonly hooks: StatementHooks,
    private readonly activity: ConnectionActivity,
  ) {}

  init(): Promise<void> {
    return this.inner.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const connection = await this.inner.acquireConnection();
    this.activity.held++;
    let wrapper = this.wrapped.get(connection);
    if (!wrapper) {
      wrapper = new TranslatingConnection(connection, this.hooks, this);
      this.wrapped.set(connection, wrapper);
    }
    return wrapper;
  }

  inTransaction(c: DatabaseConnection): boolean {
    return this.transactions.has(c);
  }

  /** Runs `fn` on a connection of its own, released afterwards whatever happens. */
  async onFreshConnection<T>(fn: (c: DatabaseConnection) => Promise<T>): Promise<T> {
    const connection = await this.inner.acquireConnection();
    try {
      return await fn(connection);
    } finally {
      await this.inner.releaseConnection(connection);
    }
  }

  async beginTransaction(c: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    await this.inner.beginTransaction(unwrap(c), settings);
    this.transactions.add(c);
  }
  commitTransaction(c: DatabaseConnection): Promise<void> {
    this.transactions.delete(c);
    return this.inner.commitTransaction(unwrap(c));
  }
  rollbackTransaction(c: DatabaseConnection): Promise<void> {
    this.transactions.delete(c);
    return this.inner.rollbackTransaction(unwrap(c));
  }
  async savepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.savepoint?.(unwrap(c), name, compile);
  }
  async rollbackToSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.rollbackToSavepoint?.(unwrap(c), name, compile);
  }
  async releaseSavepoint(
    c: DatabaseConnection,
    name: string,
    compile: QueryCompiler["compileQuery"],
  ): Promise<void> {
    await this.inner.releaseSavepoint?.(unwrap(c), name, compile);
  }
  releaseConnection(c: DatabaseConnection): Promise<void> {
    this.activity.held--;
    return this.inner.releaseConnection(unwrap(c));
  }
  destroy(): Promise<void> {
    return this.inner.destroy();
  }
}

const bound = new WeakMap<Kysely<any>, TranslatingDialect>();

/** Remembers which TranslatingDialect serves a Kysely instance (transactions share their root's). */
export function bindDialect(kysely: Kysely<any>, dialect: TranslatingDialect): void {
  bound.set(kysely, dialect);
}

export function translatingDialectOf(kysely: Kysely<any>): TranslatingDialect | undefined {
  return bound.get(kysely);
}

function unwrap(c: DatabaseConnection): DatabaseConnection {
  return c instanceof TranslatingConnection ? c.inner : c;
}

/** The table an INSERT, UPDATE or DELETE writes to, when the statement was built with Kysely. */
export function targetTable(node: RootOperationNode): string | undefined {
  const n = node as unknown as Record<string, any>;
  const table =
    node.kind === "InsertQueryNode"
      ? n.into
      : node.kind === "UpdateQueryNode"
        ? n.table
        : node.kind === "DeleteQueryNode"
          ? n.from?.froms?.[0]
          : undefined;
  return tableName(table);
}

/** Which kind of write a statement built with Kysely is, so errors can tell which constraints it could break. */
export function statementKind(node: RootOperationNode): "insert" | "update" | "delete" | undefined {
  return node.kind === "InsertQueryNode"
    ? "insert"
    : node.kind === "UpdateQueryNode"
      ? "update"
      : node.kind === "DeleteQueryNode"
        ? "delete"
        : undefined;
}

function tableName(node: any): string | undefined {
  if (!node) return undefined;
  if (node.kind === "TableNode") return node.table.identifier.name;
  if (node.kind === "AliasNode") return tableName(node.node);
  return undefined;
}
