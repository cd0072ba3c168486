import type { Kysely } from "kysely";
import type { Id } from "../repository-types.js";
import type { AnyRow } from "../table-access.js";
import { Writes } from "./writes.js";

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
    const result = await q.insertInto(t.name).values(rows).executeTakeFirstOrThrow();
    const key = t.pk[0]!;
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

  protected override async upsertRow(
    q: Kysely<any>,
    row: AnyRow,
    _conflict: string[],
    patch: AnyRow,
    key: AnyRow,
  ): Promise<AnyRow> {
    await q.insertInto(this.t.name).values(row).onDuplicateKeyUpdate(patch).execute();
    return (await this.t.findIn(q, key))!;
  }
}
