import type { CompiledQuery } from "kysely";
import { invalidateCounts } from "../count-cache.js";
import type { PoolExecutor } from "../pool-executor.js";
import type { Id } from "../repository-types.js";
import type { AnyRow, TableAccess } from "../table-access.js";
import type { Filled } from "./write-statements.js";
import { Writes } from "./writes.js";

/** A statement for the pool and how to decode the row it returns, or a compiled one with its values. */
type OneStatement = { statement: CompiledQuery; decode: (row: AnyRow) => AnyRow } | { filled: Filled };

/**
 * Writes on a server reached through a pool of prepared statements (a PostgreSQL server). Outside a
 * transaction, an update that needs one statement runs on the pool as a prepared statement: the
 * UPDATE … RETURNING itself when no hooks observe the table, or the hooks' single statement for it
 * (the audit trail: lock, update and audit INSERT together, in place of BEGIN, read, UPDATE, INSERT
 * and COMMIT). Planning that statement costs more than running it, hence prepared. Inside a
 * transaction the general path is as fast.
 */
export class PoolWrites extends Writes {
  constructor(
    t: TableAccess,
    private readonly pool: PoolExecutor,
  ) {
    super(t);
  }

  /**
   * A bulk insert outside a transaction, with no hooks to tell and no identity keys given: its
   * compiled INSERTs as named prepared statements in one transaction on a connection of its own.
   * A statement of thousands of rows is parsed once per connection rather than once per batch.
   */
  protected override async insertMany(batched: AnyRow[][]): Promise<AnyRow[]> {
    const { t } = this;
    if (t.hooks || !this.pool.usable() || !this.statements) return super.insertMany(batched);
    const identity = t.identityKey() ? t.pk[0]! : undefined;
    const queries: { statement: Filled["statement"]; query: CompiledQuery }[] = [];
    for (const batch of batched) {
      if (identity && batch.some((r) => r[identity] !== undefined)) return super.insertMany(batched);
      const filled = this.statements.insert(batch);
      const query = filled?.statement.pooled(filled.values);
      if (!filled || !query) return super.insertMany(batched);
      queries.push({ statement: filled.statement, query });
    }
    try {
      return await this.pool.transaction(async (rows) => {
        const out: AnyRow[] = [];
        for (const { statement, query } of queries)
          for (const row of statement.decodeAll(await rows(query))) out.push(t.visible(row));
        return out;
      });
    } finally {
      await invalidateCounts(t.root, t.db.counts, t.name);
    }
  }

  protected override updateRow(id: Id, set: AnyRow, expectedVersion: number | undefined): Promise<AnyRow> {
    const key = this.t.keyValues(id);
    const single = key && this.pool.usable() ? this.oneStatement(id, key, set, expectedVersion) : undefined;
    if (!single) return super.updateRow(id, set, expectedVersion);
    return this.run(id, single, expectedVersion);
  }

  private oneStatement(
    id: Id,
    key: readonly unknown[],
    set: AnyRow,
    expectedVersion: number | undefined,
  ): OneStatement | undefined {
    const { t } = this;
    if (!t.hooks) {
      const filled = this.statements?.update(key, set, expectedVersion);
      if (filled) return { filled };
      const statement = t.updateOne(t.q, id, set, expectedVersion).returningAll().compile();
      return { statement, decode: (row) => t.decodeNamed(row) };
    }
    if (!t.hooks.updateStatement || !t.codec) return undefined;
    const named: AnyRow = {};
    const nameOf = (k: string) => t.columnNames.get(k)!;
    for (const [k, value] of Object.entries(set)) {
      if (k === t.version) continue;
      named[nameOf(k)] = t.codec.encodeValue(t.name, nameOf(k), value);
    }
    const keyNamed: AnyRow = {};
    t.pk.forEach((k, i) => {
      keyNamed[nameOf(k)] = key[i];
    });
    const statement = t.hooks.updateStatement({
      table: t.name,
      set: named,
      key: keyNamed,
      version: t.version && nameOf(t.version),
      expectedVersion,
      deletedAt: t.deletedAt && nameOf(t.deletedAt),
    });
    // The hooks' statement returns every column under its TypeScript key already.
    return statement && { statement, decode: (row) => t.decodeKeyed(row) };
  }

  /** Runs the single statement: one round trip, atomic on its own. */
  private async run(id: Id, single: OneStatement, expectedVersion: number | undefined): Promise<AnyRow> {
    const { t } = this;
    try {
      const row =
        "filled" in single
          ? (await single.filled.statement.rows(single.filled.values))[0]
          : await this.pool.rows(single.statement).then(([r]) => r && single.decode(r));
      if (row) return t.visible(row);
      throw t.notUpdated(id, await t.current(t.q, id), expectedVersion);
    } finally {
      await invalidateCounts(t.root, t.db.counts, t.name);
    }
  }
}
