/** Shared by the count cache tests: a one-table schema and a counter of COUNT statements. */
import type { Db } from "plinth";
import { col, schema, table } from "plinth/schema";
import { StatementCounter } from "../helpers/statement-counter.js";

/** Counts the `SELECT COUNT(...)` statements a database handle sends (the totals of pagination). */
export const countQueries = () =>
  new StatementCounter(
    (node) =>
      node.kind === "SelectQueryNode" && JSON.stringify(node.selections ?? []).includes('"func":"count"'),
  );

export const item = table("item", { id: col.id(), name: col.varchar(40), kind: col.varchar(20) });
export const countSchema = schema({ item });

/** `n` items named `${prefix}_<i>` of one kind, through the repository. */
export async function createItems(db: Db<typeof countSchema>, prefix: string, n: number, kind = "a") {
  for (let i = 0; i < n; i++) await db.repo("item").create({ name: `${prefix}_${i}`, kind });
}
