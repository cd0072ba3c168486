import type { CompiledQuery, Kysely } from "kysely";
import type { SyncStatement } from "../dialect/driver.js";
import type { ColumnModel, TableModel } from "../schema/index.js";
import type { RowDecoder } from "./codec-plugin.js";
import { CodecPlugin } from "./codec-plugin.js";
import { PoolExecutor } from "./pool-executor.js";
import { StatementTemplate, slots } from "./statement-template.js";
import { onlyOwnPlugins, SyncExecutor } from "./sync-executor.js";
import { executorFor } from "./tx-context.js";

type AnyRow = Record<string, unknown>;

/** Which rows of a soft-delete table a read sees. */
export type Liveness = "live" | "all" | "deleted";

/** The columns a read returns: without hidden columns unless asked. */
export function readColumns(model: TableModel, withHidden: boolean): ColumnModel[] {
  return withHidden ? model.columns : model.columns.filter((c) => !c.hidden);
}

interface Prepared {
  /** Compiled once through the Kysely handle, with its plugins; the key values fill it per call. */
  template: StatementTemplate;
  /** SQLite: the same statement in database names, aliased to TypeScript keys, on the driver itself. */
  native?: SyncStatement;
  /** PostgreSQL server: that statement's text, for the pool itself. */
  nativeSql?: string;
  /** For the native statements: the codec's decoding of their rows, fixed once. */
  decode?: RowDecoder;
}

const LIVENESS: Liveness[] = ["live", "all", "deleted"];

/**
 * Reads one row by primary key without building a query per call. Each variant (visibility, hidden
 * columns) is compiled once; a call swaps the key values into the compiled parameters. The result
 * still goes through the handle's result plugins (key mapping, codec), so rows come back exactly as
 * the query builder would return them.
 *
 * On SQLite the statement runs on better-sqlite3 directly (a cached prepared statement, no
 * promises) whenever SyncExecutor says that is safe; otherwise the compiled query waits for the
 * connection like any other.
 *
 * On a PostgreSQL server, a read outside a transaction goes to the pool directly (a connection of
 * its own, as Kysely would take); inside one it runs on the transaction's connection.
 *
 * Connections with extra plugins (statement observers) get no shortcut: they see every statement
 * built, so `available` is false there.
 */
export class PointReader {
  readonly available: boolean;
  /** By liveness (index in LIVENESS) × 2 + withHidden. */
  private readonly variants: (Prepared | undefined)[] = [];
  private readonly native?: SyncExecutor;
  private readonly pool?: PoolExecutor;
  private readonly codec?: CodecPlugin;

  constructor(
    private readonly root: Kysely<any>,
    private readonly model: TableModel,
    private readonly pk: ColumnModel[],
    private readonly deletedAt: ColumnModel | undefined,
  ) {
    const plugins = root.getExecutor().plugins;
    this.available = onlyOwnPlugins(root);
    this.codec = plugins.find((p): p is CodecPlugin => p instanceof CodecPlugin);
    this.native = SyncExecutor.of(root);
    this.pool = PoolExecutor.of(root);
  }

  /**
   * The row with these key values (in primary-key order), or undefined. Not an async function on
   * purpose: the SQLite path settles without a detour through the event loop.
   */
  read(key: readonly unknown[], liveness: Liveness, withHidden: boolean): Promise<AnyRow | undefined> {
    let prepared: Prepared;
    try {
      prepared = this.prepared(liveness, withHidden);
    } catch (error) {
      return Promise.reject(error);
    }
    const parameters = prepared.template.parameters(key);
    if (prepared.native && this.native!.usable()) {
      try {
        return Promise.resolve(this.readNative(prepared, parameters));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    // A pool query takes a connection of its own: outside a transaction it is the same read Kysely
    // would make, minus the executor around it.
    if (prepared.nativeSql && this.pool!.usable()) return this.readPooled(prepared, parameters);
    return executorFor(this.root)
      .executeQuery<AnyRow>({ ...prepared.template.compiled, parameters })
      .then((result) => result.rows[0]);
  }

  /**
   * The same read, synchronously, for writes that run whole on SQLite's driver (see SyncExecutor);
   * undefined as a function result when this table has no native statement.
   */
  readNow(key: readonly unknown[], liveness: Liveness, withHidden: boolean): AnyRow | undefined {
    const prepared = this.prepared(liveness, withHidden);
    if (!prepared.native) throw new Error(`${this.model.name}: no native point read`);
    return this.readNative(prepared, prepared.template.parameters(key));
  }

  /** Whether `readNow` can serve this table. */
  get nativeReads(): boolean {
    return this.available && this.native !== undefined;
  }

  private readNative(prepared: Prepared, parameters: unknown[]): AnyRow | undefined {
    const row = this.native!.get(prepared.native!, parameters, prepared.template.compiled);
    return row && prepared.decode ? prepared.decode(row) : row;
  }

  private async readPooled(prepared: Prepared, parameters: unknown[]): Promise<AnyRow | undefined> {
    const [row] = await this.pool!.rows(
      {
        ...prepared.template.compiled,
        sql: prepared.nativeSql!,
        parameters,
      },
      { read: true },
    );
    return row && prepared.decode ? prepared.decode(row) : row;
  }

  private prepared(liveness: Liveness, withHidden: boolean): Prepared {
    const index = LIVENESS.indexOf(liveness) * 2 + (withHidden ? 1 : 0);
    let prepared = this.variants[index];
    if (!prepared) {
      prepared = this.prepare(liveness, withHidden);
      this.variants[index] = prepared;
    }
    return prepared;
  }

  private prepare(liveness: Liveness, withHidden: boolean): Prepared {
    const columns = readColumns(this.model, withHidden);
    const marks = slots(this.pk.length);
    const build = (q: any, name: (c: ColumnModel) => string) => {
      for (let i = 0; i < this.pk.length; i++) q = q.where(name(this.pk[i]!), "=", marks[i]);
      if (this.deletedAt && liveness !== "all")
        q = q.where(name(this.deletedAt), liveness === "live" ? "is" : "is not", null);
      return q;
    };
    const compiled: CompiledQuery = build(
      this.root.selectFrom(this.model.name).select(columns.map((c) => c.key)),
      (c) => c.key,
    ).compile();
    const prepared: Prepared = { template: new StatementTemplate(compiled, this.pk.length) };
    if (this.native || this.pool) {
      const plain = this.root.withoutPlugins();
      const nativeQuery = build(
        plain.selectFrom(this.model.name).select(columns.map((c) => `${c.name} as ${c.key}`)),
        (c) => c.name,
      ).compile();
      // Both compilations must bind the same parameters in the same places to share the template.
      if (nativeQuery.parameters.every((p: unknown, i: number) => p === compiled.parameters[i])) {
        if (this.native) prepared.native = this.native.prepare(nativeQuery.sql);
        else prepared.nativeSql = nativeQuery.sql;
        // The rows come back under the TypeScript keys already (the aliases above).
        prepared.decode = this.codec?.rowDecoder(
          this.model.name,
          columns.map((c) => c.key),
        );
      }
    }
    return prepared;
  }
}
