/** Shared by the count cache tests: a one-table schema and a counter of COUNT statements. */
import type {
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryResult,
  RootOperationNode,
  UnknownRow,
} from "kysely";
import type { Db } from "plinth";
import { col, schema, table } from "plinth/schema";

/** Counts the `SELECT COUNT(...)` statements a database handle sends (the totals of pagination). */
export class CountQueries implements KyselyPlugin {
  n = 0;
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (node.kind === "SelectQueryNode" && JSON.stringify(node.selections ?? []).includes('"func":"count"'))
      this.n++;
    return node;
  }
  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

export const item = table("item", { id: col.id(), name: col.varchar(40), kind: col.varchar(20) });
export const countSchema = schema({ item });

/** `n` items named `${prefix}_<i>` of one kind, through the repository. */
export async function createItems(db: Db<typeof countSchema>, prefix: string, n: number, kind = "a") {
  for (let i = 0; i < n; i++) await db.repo("item").create({ name: `${prefix}_${i}`, kind });
}
