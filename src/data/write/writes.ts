import type { Kysely } from "kysely";
import { sql } from "kysely";
import { dialectOf } from "../../dialect/index.js";
import { NotFoundError, PlinthError, ValidationError } from "../../errors.js";
import type { Dialect } from "../../schema/index.js";
import { invalidateCounts } from "../count-cache.js";
import type { Id } from "../repository-types.js";
import type { AnyRow, TableAccess } from "../table-access.js";
import { inTransaction, runTransaction } from "../tx-context.js";
import { readCascades } from "./cascades.js";
import { WriteStatements } from "./write-statements.js";

/**
 * How a repository writes one table, for engines with RETURNING, through Kysely: each write is one
 * statement that returns its row, and hooks (the audit trail) get the read before and a transaction.
 * Engines differ in subclasses chosen once per table (see writesFor): reading the row back where
 * there is no RETURNING, and fast paths on a driver that can run statements synchronously or on a
 * pool of prepared statements.
 */
export class Writes {
  /** This table's INSERT and UPDATE compiled once per shape; absent on handles with extra plugins. */
  protected readonly statements?: WriteStatements;

  constructor(protected readonly t: TableAccess) {
    this.statements = WriteStatements.of(t);
  }

  create(values: AnyRow): Promise<AnyRow> {
    let row: AnyRow;
    try {
      row = this.t.prepareInsert(values);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.createRow(row);
  }

  /** Inserts one prepared row (validated, keys generated); the row as read back. */
  protected createRow(row: AnyRow): Promise<AnyRow> {
    return this.write(async (q) => {
      const created = await this.insertOne(q, row);
      await this.t.emit(q, "create", undefined, created);
      return this.t.visible(created);
    });
  }

  /**
   * Inserts many rows in one transaction, split into statements that stay below the engine's
   * bound-parameter limit. Returns the rows as read back, in input order.
   */
  async createMany(values: readonly AnyRow[]): Promise<AnyRow[]> {
    const issues: ValidationError["issues"] = [];
    const rows = values.map((v, i) => {
      try {
        return this.t.prepareInsert(v);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.issues.map((issue) => ({ ...issue, message: `row ${i}: ${issue.message}` })));
        return {};
      }
    });
    if (issues.length > 0) throw ValidationError.of(issues);
    if (rows.length === 0) return [];
    return this.insertMany(batches(rows, this.maxParameters));
  }

  /** Inserts prepared rows, batch by batch, in one transaction (or the caller's). */
  protected insertMany(batched: AnyRow[][]): Promise<AnyRow[]> {
    return this.write(
      async (q) => {
        const out: AnyRow[] = [];
        for (const batch of batched) {
          const created = await this.insertBatch(q, batch);
          if (this.t.hooks) for (const row of created) await this.t.emit(q, "create", undefined, row);
          for (const row of created) out.push(this.t.visible(row));
        }
        return out;
      },
      { always: true },
    );
  }

  /**
   * Updates one row. Tables with a version column get it incremented; with `expectedVersion` the
   * update only applies to that version (`WHERE id = ? AND version = ?`), else StaleVersionError.
   */
  update(id: Id, patch: AnyRow, expectedVersion: number | undefined): Promise<AnyRow> {
    const set = this.t.prepareUpdate(patch);
    if (expectedVersion !== undefined && !this.t.version)
      throw new PlinthError(`${this.t.name} has no version column`);
    return this.updateRow(id, set, expectedVersion);
  }

  /** The general update: in a transaction when hooks observe the table, with the row read before. */
  protected updateRow(id: Id, set: AnyRow, expectedVersion: number | undefined): Promise<AnyRow> {
    const { t } = this;
    return this.write(async (q) => {
      const before = t.hooks ? await t.lockedCurrent(q, id) : undefined;
      if (t.hooks && !before) throw new NotFoundError(t.name, id);
      const after = await this.updateReturning(q, id, set, expectedVersion);
      if (!after) throw t.notUpdated(id, await t.current(q, id), expectedVersion);
      await t.emit(q, "update", before, after);
      return t.visible(after);
    });
  }

  /** Runs the UPDATE of one row: the row as it is after, or undefined when nothing matched. */
  protected updateReturning(
    q: Kysely<any>,
    id: Id,
    set: AnyRow,
    expectedVersion: number | undefined,
  ): Promise<AnyRow | undefined> {
    const key = this.t.keyValues(id);
    const filled = key && this.statements?.update(key, set, expectedVersion);
    if (filled) return filled.statement.first(filled.values, { q });
    return this.t.updateOne(q, id, set, expectedVersion).returningAll().executeTakeFirst();
  }

  /** Updates every (live) row matching `where`; returns how many. */
  async updateMany(where: unknown, patch: AnyRow): Promise<number> {
    const { t } = this;
    const set = t.prepareUpdate(patch);
    return this.write(
      async (q) => {
        const select = t.select({ withHidden: true }, where, q);
        const locks = t.hooks !== undefined && t.db.adapter.capabilities.rowLocks;
        const before = (await (locks ? select.forUpdate() : select).execute()) as AnyRow[];
        const size = Math.floor((this.maxParameters - 1000) / t.pk.length);
        for (const chunk of chunks(before, size)) {
          await q
            .updateTable(t.name)
            .set(set)
            .where((eb: any) =>
              t.pk.length === 1
                ? eb(
                    t.pk[0]!,
                    "in",
                    chunk.map((r) => r[t.pk[0]!]),
                  )
                : eb.or(chunk.map((r) => t.idExpr(eb, t.idOf(r)))),
            )
            .execute();
          if (!t.hooks) continue;
          for (const row of chunk) await t.emit(q, "update", row, await t.current(q, t.idOf(row), true));
        }
        return before.length;
      },
      { always: true },
    );
  }

  /** Sets or clears deleted_at; false when the row is missing or already so. */
  setDeleted(id: Id, at: Date | null): Promise<boolean> {
    const { t } = this;
    const deletedAt = t.deletedAt!;
    return this.write(async (q) => {
      const before = t.hooks ? await t.lockedCurrent(q, id, true) : undefined;
      const result = await q
        .updateTable(t.name)
        .set({ [deletedAt]: at })
        .where((eb: any) => t.idExpr(eb, id))
        .where(deletedAt, at === null ? "is not" : "is", null)
        .executeTakeFirst();
      const changed = Number(result.numUpdatedRows) > 0;
      // A soft delete keeps the row, so the audit sees it as the update it is (deleted_at set).
      if (changed) await t.emit(q, "update", before, await t.current(q, id, true));
      return changed;
    });
  }

  /**
   * Deletes the row. When its ON DELETE rules reach tables the hooks observe, the rows they will
   * delete or set to null are read first (locked, in the same transaction) and reported after, so
   * the audit trail records a cascade as it records the delete that set it off.
   */
  hardDelete(id: Id): Promise<boolean> {
    const { t } = this;
    const cascades = t.cascades.length > 0;
    return this.write(
      async (q) => {
        const before = t.hooks || cascades ? await t.lockedCurrent(q, id, true) : undefined;
        const record =
          before && cascades
            ? await readCascades(q, t.model, [before], t.cascades, {
                locks: t.db.adapter.capabilities.rowLocks,
                maxParameters: this.maxParameters,
                observes: (table) => t.db.hooks?.observes?.(table) ?? true,
              })
            : undefined;
        const result = await q
          .deleteFrom(t.name)
          .where((eb: any) => t.idExpr(eb, id))
          .executeTakeFirst();
        const deleted = Number(result.numDeletedRows) > 0;
        if (!deleted) return false;
        await t.emit(q, "delete", before, undefined);
        if (record) for (const change of await record.changes(q)) await t.db.hooks!.afterWrite(q, change);
        return true;
      },
      { always: cascades },
    );
  }

  /**
   * Inserts, or updates the row that has the same `conflict` columns, which must be exactly a primary
   * key or a unique constraint: a collision on any other unique key is a UniqueViolation, never an
   * update of the row it collided with.
   */
  upsert(values: AnyRow, conflict: string[]): Promise<AnyRow> {
    const { t } = this;
    const scope = t.requireUniqueKey(conflict);
    const row = t.prepareInsert(values);
    const patch: AnyRow = {};
    for (const [k, v] of Object.entries(row)) if (!conflict.includes(k) && !t.pk.includes(k)) patch[k] = v;
    if (t.version) patch[t.version] = sql`${sql.ref(`${t.name}.${t.version}`)} + 1`;
    if (Object.keys(patch).length === 0) patch[conflict[0]!] = sql.ref(`${t.name}.${conflict[0]!}`);
    const key = Object.fromEntries(conflict.map((c) => [c, row[c]]));
    return this.write(async (q) => {
      const before = t.hooks ? await t.findIn(q, key, scope) : undefined;
      const after = await this.upsertRow(q, row, conflict, patch, key, scope);
      await t.emit(q, before ? "update" : "create", before, after);
      return t.visible(after);
    });
  }

  // ---- what engines do differently ----

  protected async insertOne(q: Kysely<any>, row: AnyRow): Promise<AnyRow> {
    return (await this.insertBatch(q, [row]))[0]!;
  }

  /** Rows with the same keys (see batches), through the compiled INSERT when they have one. */
  protected async insertBatch(q: Kysely<any>, rows: AnyRow[]): Promise<AnyRow[]> {
    // A row of defaults only has no column list: `DEFAULT VALUES`, which takes one row at a time.
    // (Rows of a batch share their keys, so the first tells for all.)
    if (Object.keys(rows[0] ?? { key: true }).length === 0) {
      const out: AnyRow[] = [];
      for (const _ of rows)
        out.push(await q.insertInto(this.t.name).defaultValues().returningAll().executeTakeFirstOrThrow());
      return out;
    }
    const filled = this.statements?.insert(rows);
    const created = filled
      ? rows.length === 1
        ? [(await filled.statement.first(filled.values, { q }))!]
        : await filled.statement.rows(filled.values, { q })
      : await q.insertInto(this.t.name).values(rows).returningAll().execute();
    await this.afterExplicitKeys(q, rows);
    return created;
  }

  /**
   * Rows that name their identity key leave an engine's counter where it was on PostgreSQL (SQLite
   * and MySQL move it past them): move it on, so the next generated key does not collide.
   */
  protected async afterExplicitKeys(q: Kysely<any>, rows: AnyRow[]): Promise<void> {
    const { t } = this;
    if (!t.identityKey() || !rows.some((r) => r[t.pk[0]!] !== undefined)) return;
    await t.db.adapter.identityPastExplicitKeys(q, t.name, t.model.primaryKey.columns[0]!);
  }

  protected upsertRow(
    q: Kysely<any>,
    row: AnyRow,
    conflict: string[],
    patch: AnyRow,
    _key: AnyRow,
    scope: "all" | "live",
  ): Promise<AnyRow> {
    const { deletedAt } = this.t;
    return q
      .insertInto(this.t.name)
      .values(row)
      .onConflict((oc: any) => {
        const target = oc.columns(conflict);
        // A key unique among live rows is a partial index: the target names its predicate.
        return (scope === "live" && deletedAt ? target.where(deletedAt, "is", null) : target).doUpdateSet(
          patch,
        );
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /**
   * Whether one statement needs a transaction of its own: with RETURNING it does not, so without
   * hooks a write is one autocommitted statement (which also keeps a synchronous driver from holding
   * a lock across an await).
   */
  protected readonly singleStatementNeedsTransaction: boolean = false;

  protected get maxParameters(): number {
    return this.t.db.adapter.capabilities.maxParameters;
  }

  /**
   * Runs a write. Hooks, a read-back and multi-statement writes get a transaction, or join the
   * caller's; a single statement without hooks runs on its own. Cached counts of the table are
   * invalidated however it ends.
   */
  protected async write<T>(fn: (q: Kysely<any>) => Promise<T>, opts: { always?: boolean } = {}): Promise<T> {
    const { root } = this.t;
    const needsTx = opts.always || this.t.hooks !== undefined || this.singleStatementNeedsTransaction;
    try {
      if (inTransaction(root) || !needsTx) return await fn(this.t.q);
      return await runTransaction(root, (trx) => fn(trx));
    } finally {
      await invalidateCounts(root, this.t.db.counts, this.t.name);
    }
  }
}

/**
 * Consecutive runs of rows with the same columns in the same order (a multi-row VALUES needs one
 * column list, and the compiled INSERT fills each row by the first row's keys), capped by parameters.
 */
function batches(rows: AnyRow[], maxParameters: number): AnyRow[][] {
  const out: AnyRow[][] = [];
  let current: AnyRow[] = [];
  let keys: string[] = [];
  let cap = 0;
  for (const row of rows) {
    const next = Object.keys(row);
    if (!sameKeys(next, keys) || current.length >= cap) {
      if (current.length > 0) out.push(current);
      current = [];
      keys = next;
      cap = rowsWithin(maxParameters, next.length);
    }
    current.push(row);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Rows per INSERT so that rows × columns stays within the engine's parameter limit. */
export function rowsPerStatement(dialect: Dialect, columns: number): number {
  return rowsWithin(dialectOf(dialect).capabilities.maxParameters, columns);
}

function rowsWithin(maxParameters: number, columns: number): number {
  return Math.max(1, Math.floor(maxParameters / Math.max(1, columns)));
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
