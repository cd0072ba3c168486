import type { CompiledQuery, Kysely } from "kysely";
import { CamelCasePlugin } from "kysely";
import type { SyncDriver, SyncStatement } from "../dialect/driver.js";
import { CodecPlugin } from "./codec-plugin.js";
import type { TranslatingDialect } from "./translating-dialect.js";
import { translatingDialectOf } from "./translating-dialect.js";
import { inTransaction } from "./tx-context.js";

type AnyRow = Record<string, unknown>;

/**
 * Whether a handle runs only plinth's own plugins. Statements compiled once and reused, or run on
 * the driver itself, skip the plugins, so handles with extra plugins (statement observers) keep
 * going through Kysely for every statement.
 */
export function onlyOwnPlugins(kysely: Kysely<any>): boolean {
  return kysely.getExecutor().plugins.every((p) => p instanceof CamelCasePlugin || p instanceof CodecPlugin);
}

/**
 * A synchronous driver (better-sqlite3) under a plinth handle, for the hot paths that run statements
 * synchronously: no promise per statement, and a multi-statement write that cannot interleave with
 * anything else, because nothing else runs until it returns.
 *
 * It is only `usable()` when that cannot see anyone else's uncommitted writes: when Kysely holds no
 * connection at all (no transaction open, nothing running), or when the caller is inside this
 * database's transaction, whose connection is the only one there is. Failures are translated into
 * plinth's typed errors exactly as Kysely's path translates them.
 */
export class SyncExecutor {
  private constructor(
    private readonly root: Kysely<any>,
    private readonly driver: SyncDriver,
    private readonly dialect: TranslatingDialect,
  ) {}

  /** The synchronous driver under `root`, when it has one and the handle runs only plinth's plugins. */
  static of(root: Kysely<any>): SyncExecutor | undefined {
    const dialect = translatingDialectOf(root);
    const driver = dialect?.engine.sync;
    if (!dialect || !driver || !onlyOwnPlugins(root)) return undefined;
    return new SyncExecutor(root, driver, dialect);
  }

  usable(): boolean {
    return this.dialect.activity.held === 0 || inTransaction(this.root);
  }

  /** A cached prepared statement for this SQL text. */
  prepare(sql: string): SyncStatement {
    return this.driver.prepare(sql);
  }

  /** The first row of `statement` run with these parameters; `query` names it in a translated error. */
  get(statement: SyncStatement, parameters: readonly unknown[], query: CompiledQuery): AnyRow | undefined {
    return this.observed(query, statement, "get", parameters) as AnyRow | undefined;
  }

  /** Every row of `statement` run with these parameters. */
  all(statement: SyncStatement, parameters: readonly unknown[], query: CompiledQuery): AnyRow[] {
    return this.observed(query, statement, "all", parameters) as AnyRow[];
  }

  /** Runs a compiled statement (its parameters as the driver takes them) for its first row. */
  getCompiled(query: CompiledQuery): AnyRow | undefined {
    return this.get(this.prepare(query.sql), query.parameters, query);
  }

  runCompiled(query: CompiledQuery): void {
    this.observed(query, this.prepare(query.sql), "run", query.parameters);
  }

  /** Runs `fn` in one transaction (a savepoint inside an open one); a throw rolls it back. */
  atomic<T>(fn: () => T): T {
    return this.driver.atomic(fn);
  }

  /**
   * Runs one statement: its failure translated, and the observer (if any) told how long it took.
   * The method by name rather than a closure: nothing is allocated per statement on this path.
   */
  private observed(
    query: CompiledQuery,
    statement: SyncStatement,
    method: "get" | "all" | "run",
    parameters: readonly unknown[],
  ): unknown {
    const { observer, translateError } = this.dialect.hooks;
    const startedAt = observer ? performance.now() : 0;
    let failed = true;
    try {
      const result = statement[method](this.adjust(parameters));
      failed = false;
      return result;
    } catch (error) {
      throw translateError(error, query);
    } finally {
      observer?.done(query, startedAt, failed);
    }
  }

  private adjust(parameters: readonly unknown[]): readonly unknown[] {
    const { hooks } = this.dialect;
    return hooks.parameters ? hooks.parameters(parameters) : parameters;
  }
}
