import { createHash } from "node:crypto";
import type { CompiledQuery, Kysely } from "kysely";
import type { Pool } from "pg";
import { nativeDriverOf } from "./engines.js";
import { onlyOwnPlugins } from "./native-sqlite.js";
import type { TranslatingDialect } from "./translating-dialect.js";
import { translatingDialectOf } from "./translating-dialect.js";
import { inTransaction } from "./tx-context.js";

type AnyRow = Record<string, unknown>;

/** Statement names remembered per pool; past this, names are derived again (cheaply) rather than kept. */
const NAME_CACHE_LIMIT = 1000;

/**
 * The PostgreSQL server's pool under a plinth handle, for the hot paths that skip Kysely's executor.
 *
 * Only `usable()` outside a transaction: a statement there takes a connection of its own, the same
 * one Kysely would take. Statements run as named prepared statements (unless the handle was opened
 * with `preparedStatements: false`), so each connection parses and plans a statement once; for a
 * statement as large as the single-statement audited update, planning costs more than running it.
 * The name is a hash of the SQL text, so equal text shares one name and different text never does.
 */
export class NativePostgres {
  private readonly names = new Map<string, string>();

  private constructor(
    private readonly root: Kysely<any>,
    private readonly pool: Pool,
    private readonly dialect: TranslatingDialect,
    private readonly prepared: boolean,
  ) {}

  /** The pool under `root`, when it is a PostgreSQL server and the handle runs only plinth's plugins. */
  static of(root: Kysely<any>): NativePostgres | undefined {
    const dialect = translatingDialectOf(root);
    const native = dialect ? nativeDriverOf(dialect.inner) : undefined;
    if (!dialect || native?.engine !== "postgres" || !onlyOwnPlugins(root)) return undefined;
    return new NativePostgres(root, native.pool, dialect, native.preparedStatements);
  }

  usable(): boolean {
    return !inTransaction(this.root);
  }

  /** The rows of `query`, as the driver returns them; failures become plinth's typed errors. */
  async rows(query: CompiledQuery): Promise<AnyRow[]> {
    const values = query.parameters as unknown[];
    try {
      const result = this.prepared
        ? await this.pool.query({ name: this.nameOf(query.sql), text: query.sql, values })
        : await this.pool.query(query.sql, values);
      return result.rows;
    } catch (error) {
      throw this.dialect.hooks.translateError(error, query);
    }
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
