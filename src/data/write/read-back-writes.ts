import type { Kysely } from "kysely";
import { UniqueViolation } from "../../errors.js";
import type { Id } from "../repository-types.js";
import type { AnyRow } from "../table-access.js";
import { Writes } from "./writes.js";

function sameColumns(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/**
 * Writes on an engine without RETURNING (MySQL): each statement is followed by a read of the row it
 * wrote, in the same transaction, so the caller gets the row as stored (defaults, generated keys,
 * timestamps) as on every other engine.
 */
export class ReadBackWrites extends Writes {
  protected override readonly singleStatementNeedsTransaction = true;

  protected override async updateReturning(
    q: Kysely<any>,
    id: Id,
    set: AnyRow,
    expectedVersion: number | undefined,
  ): Promise<AnyRow | undefined> {
    const result = await this.t.updateOne(q, id, set, expectedVersion).executeTakeFirst();
    // A versioned update that matched nothing must not read the row: the caller tells stale from missing.
    if (Number(result.numUpdatedRows) > 0 || expectedVersion === undefined) return this.t.current(q, id);
    return undefined;
  }

  protected override async insertOne(q: Kysely<any>, row: AnyRow): Promise<AnyRow> {
    const { t } = this;
    const result = await q.insertInto(t.name).values(row).executeTakeFirstOrThrow();
    const id = t.identityKey() ? { [t.pk[0]!]: Number(result.insertId) } : t.idOf(row);
    return (await t.current(q, id, true))!;
  }

  protected override async insertBatch(q: Kysely<any>, rows: AnyRow[]): Promise<AnyRow[]> {
    const { t } = this;
    const key = t.pk[0]!;
    // insertId numbers only the rows the engine numbered: with keys given, each row is read back by its own.
    if (t.identityKey() && rows.some((r) => r[key] !== undefined)) {
      const out: AnyRow[] = [];
      for (const row of rows) out.push(await this.insertOne(q, row));
      return out;
    }
    const result = await q.insertInto(t.name).values(rows).executeTakeFirstOrThrow();
    if (t.identityKey()) {
      // InnoDB gives one multi-row INSERT consecutive ids ("simple insert"), starting at insertId.
      const first = Number(result.insertId);
      return q
        .selectFrom(t.name)
        .selectAll()
        .where(key, ">=", first)
        .where(key, "<", first + rows.length)
        .orderBy(key)
        .execute();
    }
    const found: AnyRow[] = [];
    for (const row of rows) found.push((await t.current(q, t.idOf(row), true))!);
    return found;
  }

  /**
   * ON DUPLICATE KEY UPDATE resolves a collision on any unique key, not the declared one, and would
   * update whichever row collided. So the upsert is done by hand, in the transaction: the row with
   * the conflict key (locked), updated by its primary key; or an INSERT, whose collision on any other
   * key is a UniqueViolation. An insert that loses a race for the same key becomes the update.
   */
  protected override async upsertRow(
    q: Kysely<any>,
    row: AnyRow,
    conflict: string[],
    patch: AnyRow,
    key: AnyRow,
    scope: "all" | "live",
  ): Promise<AnyRow> {
    const { t } = this;
    const existing = await t.findIn(q, key, scope);
    if (existing) return this.updateFound(q, existing, patch);
    try {
      return await this.insertOne(q, row);
    } catch (error) {
      const raced =
        error instanceof UniqueViolation &&
        sameColumns(
          error.columns,
          conflict.map((k) => t.columnNames.get(k)!),
        );
      const found = raced ? await t.findIn(q, key, scope) : undefined;
      if (!found) throw error;
      return this.updateFound(q, found, patch);
    }
  }

  private async updateFound(q: Kysely<any>, found: AnyRow, patch: AnyRow): Promise<AnyRow> {
    const { t } = this;
    const id = t.idOf(found);
    await q
      .updateTable(t.name)
      .set(patch)
      .where((eb: any) => t.idExpr(eb, id))
      .execute();
    return (await t.current(q, id, true))!;
  }
}
