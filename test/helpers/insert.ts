import type { Insertable, Kysely } from "kysely";

/**
 * Inserts one row and returns its generated integer id on every engine: RETURNING where the engine
 * has it, the driver's insert id on MySQL.
 */
export async function insertId<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  dialect: string,
  table: T,
  values: Insertable<DB[T]>,
): Promise<number> {
  const q = db.insertInto(table).values(values);
  if (dialect === "mysql") return Number((await q.executeTakeFirstOrThrow()).insertId);
  const row = (await (q as any).returning("id").executeTakeFirstOrThrow()) as { id: number };
  return row.id;
}
