import { createHash } from "node:crypto";
import type { CompiledQuery, Kysely } from "kysely";
import type { PoolDriver } from "../dialect/driver.js";
import { onlyOwnPlugins } from "./sync-executor.js";
import type { TranslatingDialect } from "./translating-dialect.js";
import { translatingDialectOf } from "./translating-dialect.js";
import { inTransaction } from "./tx-context.js";

type AnyRow = Record<string, unknown>;

/** Statement names remembered per pool; past this, names are derived again (cheaply) rather than kept. */
const NAME_CACHE_LIMIT = 1000;

/**
 * A server's connection pool under a plinth handle, for the hot paths that skip Kysely's executor.
 *
 * Only `usable()` outside a transaction: a statement there takes a connection of its own, the same
 * one Kysely would take. Statements run as named prepared statements (unless the handle was opened
 * with `preparedStatements: false`), so each connection parses and plans a statement once; for a
 * statement as large as the single-statement audited update, planning costs more than running it.
 * The name is a hash of the SQL text, so equal text shares one name and different text never does.
 */
export class PoolExecutor {
  private readonly names = new Map<string, string>();

  private constructor(
    private readonly root: Kysely<any>,
    private readonly pool: PoolDriver,
    private readonly dialect: TranslatingDialect,
  ) {}

  /** The pool under `root`, when the engine has one and the handle runs only plinth's plugins. */
  static of(root: Kysely<any>): PoolExecutor | undefined {
    const dialect = translatingDialectOf(root);
    const pool = dialect?.engine.pool;
    if (!dialect || !pool || !onlyOwnPlugins(root)) return undefined;
    return new PoolExecutor(root, pool, dialect);
  }

  usable(): boolean {
    return !inTransaction(this.root);
  }

  /**
   * The rows of `query`, as the driver returns them; failures become plinth's typed errors. A
   * `read` whose connection the server dropped is tried once more (the pool hands out another).
   */
  async rows(query: CompiledQuery, options: { read?: boolean } = {}): Promise<AnyRow[]> {
    const { observer } = this.dialect.hooks;
    if (!observer) return this.run(query, options);
    const startedAt = performance.now();
    let failed = true;
    try {
      const rows = await this.run(query, options);
      failed = false;
      return rows;
    } finally {
      observer.done(query, startedAt, failed);
    }
  }

  private async run(query: CompiledQuery, options: { read?: boolean }): Promise<AnyRow[]> {
    const name = this.pool.prepared ? this.nameOf(query.sql) : undefined;
    try {
      return await this.pool.query(query.sql, query.parameters, name, options.read);
    } catch (error) {
      if (!options.read || !this.dialect.hooks.connectionLost?.(error))
        throw this.dialect.hooks.translateError(error, query);
      try {
        return await this.pool.query(query.sql, query.parameters, name, options.read);
      } catch (again) {
        throw this.dialect.hooks.translateError(again, query);
      }
    }
  }

  /**
   * Runs `fn` in one transaction on a connection of its own; `rows` runs a statement there, named
   * as `rows` names it, its failures plinth's typed errors. Only for work that needs no statement of
   * Kysely's in the same transaction.
   */
  transaction<T>(fn: (rows: (query: CompiledQuery) => Promise<AnyRow[]>) => Promise<T>): Promise<T> {
    return this.pool.transaction((query) =>
      fn(async (q) => {
        const { observer, translateError } = this.dialect.hooks;
        const startedAt = observer ? performance.now() : 0;
        let failed = true;
        try {
          const rows = await query(q.sql, q.parameters, this.pool.prepared ? this.nameOf(q.sql) : undefined);
          failed = false;
          return rows;
        } catch (error) {
          throw translateError(error, q);
        } finally {
          observer?.done(q, startedAt, failed);
        }
      }),
    );
  }

  private nameOf(sql: string): string {
    let name = this.names.get(sql);
    if (!name) {
      name = `plinth_${createHash("sha1").update(sql).digest("base64url")}`;
      if (this.names.size >= NAME_CACHE_LIMIT) this.names.clear();
      this.names.set(sql, name);
    }
    return name;
  }
}
