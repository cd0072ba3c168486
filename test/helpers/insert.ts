import type { Insertable, InsertQueryBuilder, Kysely } from "kysely";
import { CamelCasePlugin } from "kysely";

/** Runs an insert of one row and returns its generated id: RETURNING where the engine has it, the driver's insert id on MySQL. */
export async function returningId(q: InsertQueryBuilder<any, any, any>, dialect: string): Promise<number> {
  if (dialect === "mysql") return Number((await q.executeTakeFirstOrThrow()).insertId);
  return ((await q.returning("id").executeTakeFirstOrThrow()) as { id: number }).id;
}

/** Inserts one row and returns its generated integer id on every engine. */
export function insertId<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  dialect: string,
  table: T,
  values: Insertable<DB[T]>,
): Promise<number> {
  return returningId(db.insertInto(table).values(values) as InsertQueryBuilder<any, any, any>, dialect);
}

/**
 * The handle's Kysely with names mapped but without plinth's value codec: statements reach the
 * database as written, so a test can prove the database's own constraint refuses what the codec
 * would have refused first.
 */
export function withoutCodec<DB>(db: Kysely<DB>): Kysely<DB> {
  return db.withoutPlugins().withPlugin(new CamelCasePlugin({ maintainNestedObjectKeys: true }));
}
