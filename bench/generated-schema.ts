/**
 * A generated schema of `n` tables for the benches that measure work per table (migrations, review):
 * each table references the previous one, has a unique name, an enum, a decimal, JSON, timestamps,
 * one composite index, and a declared hot query that index serves.
 */
import { col, enumOf, ref, schema, table, timestamps } from "../src/schema/index.js";

const Status = enumOf("status", ["new", "active", "archived"]);

export function generatedSchema(n: number) {
  const tables: Record<string, any> = {};
  let previous: any;
  for (let i = 0; i < n; i++) {
    const parent = previous;
    const name = `t${String(i).padStart(3, "0")}`;
    const t = table(
      name,
      {
        id: col.id(),
        ...(parent ? { parentId: ref(() => parent.id, { onDelete: "cascade" }).nullable() } : {}),
        name: col.varchar(80).unique(),
        status: col.enum(Status).default("new"),
        amount: col.decimal(12, 2).default("0"),
        flags: col.json<string[]>().nullable(),
        active: col.boolean().default(true),
        ...timestamps(),
      },
      {
        indexes: [["status", "createdAt"]],
        hotQueries: {
          recentByStatus: (db: any) =>
            db
              .selectFrom(name)
              .selectAll()
              .where("status", "=", "active")
              .orderBy("createdAt", "desc")
              .limit(20),
        },
      },
    );
    tables[`t${i}`] = t;
    previous = t;
  }
  return schema(tables);
}
