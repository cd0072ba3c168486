import type { CompiledQuery, Kysely } from "kysely";
import type { SyncStatement } from "../dialect/driver.js";
import type { RowDecoder } from "./codec-plugin.js";
import { PoolExecutor } from "./pool-executor.js";
import { StatementTemplate } from "./statement-template.js";
import { SyncExecutor } from "./sync-executor.js";
import { executorFor } from "./tx-context.js";

type AnyRow = Record<string, unknown>;

/** A handle's Kysely and the driver's own fast paths under it, looked up once per table. */
export interface Drivers {
  root: Kysely<any>;
  /** The synchronous driver (SQLite), when the handle runs only plinth's plugins. */
  sync?: SyncExecutor;
  /** The pool of prepared statements (a PostgreSQL server), under the same condition. */
  pool?: PoolExecutor;
}

export function driversOf(root: Kysely<any>): Drivers {
  return { root, sync: SyncExecutor.of(root), pool: PoolExecutor.of(root) };
}

/** The same statement as the driver itself runs it, and how to decode its rows into what Kysely would return. */
export interface NativeForm {
  query: CompiledQuery;
  decode: RowDecoder;
}

/**
 * A statement compiled once per shape, with Slots where each call's values go, run the fastest way
 * that is safe at the moment of the call:
 * - on the synchronous driver (SQLite) when SyncExecutor says so: a cached prepared statement, no
 *   promise per statement;
 * - on the pool as a named prepared statement (a PostgreSQL server) outside a transaction;
 * - otherwise through Kysely's executor (the caller's transaction, MySQL, PGlite), whose result
 *   plugins decode the rows as they decode any query's.
 * Each way returns the rows Kysely's builder would return: TypeScript keys, decoded values.
 */
export class ReusableStatement {
  readonly template: StatementTemplate;
  private readonly statement?: SyncStatement;
  private readonly nativeSql?: string;
  private readonly decode?: RowDecoder;

  /**
   * `compiled` went through the handle's plugins (it is what Kysely itself would send); `native`,
   * when given, must bind the same parameters in the same places, or it is not used.
   */
  constructor(
    private readonly drivers: Drivers,
    compiled: CompiledQuery,
    native: NativeForm | undefined,
    required = 0,
  ) {
    this.template = new StatementTemplate(compiled, required);
    if (!native || (!drivers.sync && !drivers.pool)) return;
    const same =
      native.query.parameters.length === compiled.parameters.length &&
      native.query.parameters.every((p, i) => p === compiled.parameters[i]);
    if (!same) return;
    if (drivers.sync) this.statement = drivers.sync.prepare(native.query.sql);
    else this.nativeSql = native.query.sql;
    this.decode = native.decode;
  }

  /** Whether `rowsNow` can run right now (SQLite, with the connection free or ours). */
  get synchronous(): boolean {
    return this.statement !== undefined && this.drivers.sync!.usable();
  }

  /** The rows, synchronously; only when `synchronous`. */
  rowsNow(values: readonly unknown[]): AnyRow[] {
    const rows = this.drivers.sync!.all(
      this.statement!,
      this.template.parameters(values),
      this.template.compiled,
    );
    return this.decodeAll(rows);
  }

  /**
   * The first row, synchronously; only when `synchronous`. For statements that return at most one
   * row (a write by primary key, a one-row INSERT): better-sqlite3's `get` finishes such a write
   * in about two thirds of the time `all` takes (SQLite makes every change of a RETURNING
   * statement in its first step, so nothing is left undone).
   */
  rowNow(values: readonly unknown[]): AnyRow | undefined {
    const row = this.drivers.sync!.get(
      this.statement!,
      this.template.parameters(values),
      this.template.compiled,
    );
    return row === undefined ? undefined : this.decode!(row);
  }

  /** `rows` for a statement that returns at most one row: that row, or undefined. */
  first(
    values: readonly unknown[],
    options: { read?: boolean; q?: Kysely<any> } = {},
  ): Promise<AnyRow | undefined> {
    try {
      if (this.synchronous) return Promise.resolve(this.rowNow(values));
    } catch (error) {
      return Promise.reject(error);
    }
    return this.rows(values, options).then((rows) => rows[0]);
  }

  /**
   * The rows of the statement with these values. Not an async function: the SQLite path settles
   * without a detour through the event loop. `read`: a statement that changes nothing, which the
   * pool may try once more on a fresh connection after losing one.
   */
  rows(values: readonly unknown[], options: { read?: boolean; q?: Kysely<any> } = {}): Promise<AnyRow[]> {
    try {
      if (this.synchronous) return Promise.resolve(this.rowsNow(values));
    } catch (error) {
      return Promise.reject(error);
    }
    const compiled = this.template.compiled;
    const parameters = this.template.parameters(values);
    const pool = this.drivers.pool;
    if (this.nativeSql && pool!.usable())
      return pool!
        .rows({ ...compiled, sql: this.nativeSql, parameters }, options)
        .then((rows) => this.decodeAll(rows));
    const q = options.q ?? executorFor(this.drivers.root);
    return q.executeQuery<AnyRow>({ ...compiled, parameters }).then((result) => result.rows as AnyRow[]);
  }

  /** The statement with these values as the pool runs it (see PoolExecutor.transaction), when it has that form. */
  pooled(values: readonly unknown[]): CompiledQuery | undefined {
    if (!this.nativeSql) return undefined;
    return { ...this.template.compiled, sql: this.nativeSql, parameters: this.template.parameters(values) };
  }

  /** Rows the driver returned for `pooled`'s statement, as Kysely would return them. */
  decodeAll(rows: AnyRow[]): AnyRow[] {
    const decode = this.decode!;
    for (let i = 0; i < rows.length; i++) rows[i] = decode(rows[i]!);
    return rows;
  }
}

/** Statements by shape, bounded: shapes built from callers' input (IN lists of many lengths) must not pile up. */
export class ShapeCache<T> {
  private readonly entries = new Map<string, T>();

  constructor(private readonly limit = 200) {}

  get(shape: string, build: () => T): T {
    let entry = this.entries.get(shape);
    if (entry === undefined) {
      entry = build();
      if (this.entries.size >= this.limit) this.entries.clear();
      this.entries.set(shape, entry);
    }
    return entry;
  }
}
