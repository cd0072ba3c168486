import type { Kysely, OperationNode } from "kysely";
import { CamelCasePlugin } from "kysely";
import type { TableModel } from "../../schema/index.js";
import type { ReviewContext, Rule, RuleHit } from "../engine/types.js";
import { rolledBack } from "./live.js";
import { createIndexSql, indexName } from "./model.js";

/**
 * Each query a table declares in `hotQueries`, EXPLAINed on the live engine (read as if the table
 * were large: see SqlDialect.review.readPlan): a hot query that reads the whole table, or sorts
 * rows no index gives in order, fails. The finding proposes an index on the query's columns
 * (equality filters, then the sort, then ranges) and, where DDL is transactional (PostgreSQL,
 * SQLite), proves it: the index is created inside a transaction, the query EXPLAINed again and the
 * transaction rolled back; the finding says whether the plan would use it.
 *
 * Bad:  `hotQueries: { recent: (db) => db.selectFrom("job").where("status", "=", "queued").orderBy("createdAt") }`
 *       and no index on job (status, created_at)
 * Good: `indexes: [["status", "createdAt"]]` beside it
 */
export const hotQueryScan: Rule = {
  id: "hot-query-scan",
  group: "performance-ops",
  severity: "error",
  catalog: "X17, X18",
  needs: ["declaration", "explain"],
  summary: "A declared hot query reads its whole table or sorts without an index.",
  why: "A query declared hot runs often; a full scan or sort grows with the table and becomes the outage.",
  recipe:
    "add the proposed index (declared in the table's `indexes`, then a migration; CONCURRENTLY on PostgreSQL)",
  check: async (ctx) => {
    const hits: RuleHit[] = [];
    const camel = ctx.db!.withPlugin(new CamelCasePlugin({ maintainNestedObjectKeys: true }));
    const present = new Set(ctx.catalog?.tables.map((t) => t.name));
    for (const t of ctx.declaration!.model.tables) {
      if (ctx.catalog && !present.has(t.name)) continue;
      for (const [name, hot] of Object.entries(ctx.declaration!.hotQueries(t.name))) {
        const builder = hot(camel) as { compile?: () => unknown; toOperationNode?: () => OperationNode };
        if (typeof builder?.compile !== "function" || typeof builder.toOperationNode !== "function") continue;
        const hit = await checkOne(ctx, t, name, builder as Required<typeof builder>);
        if (hit) hits.push(hit);
      }
    }
    return hits;
  },
};

async function checkOne(
  ctx: ReviewContext,
  t: TableModel,
  name: string,
  builder: { compile: () => unknown; toOperationNode: () => OperationNode },
): Promise<RuleHit | undefined> {
  const dialect = ctx.dialect!;
  const compiled = builder.compile() as Parameters<typeof dialect.review.readPlan>[1];
  const columns = proposedColumns(t, builder.toOperationNode());
  const object = `${t.name}:${name}`;
  return rolledBack(ctx.db!, async (trx: Kysely<any>) => {
    const before = await dialect.review.readPlan(trx, compiled);
    const scans = before.scans.includes(t.name);
    ctx.observations?.push({
      rule: "hot-query-scan",
      object,
      table: t.name,
      kind: "plan",
      text: before.plan,
      scans,
      sorts: before.sorts,
    });
    if (!scans && !before.sorts) return undefined;
    const what = [scans && `reads the whole table ${t.name}`, before.sorts && "sorts without an index"]
      .filter(Boolean)
      .join(" and ");
    if (columns.length === 0)
      return {
        object,
        table: t.name,
        message: `hot query ${name} on ${t.name} ${what}; it filters and sorts by no column of ${t.name} an index could serve`,
      };
    const fix = createIndexSql(ctx, t, columns);
    let proof = "";
    if (dialect.capabilities.transactionalDdl) {
      await trx.executeQuery({
        sql: fix,
        parameters: [],
        query: undefined as never,
        queryId: undefined as never,
      });
      const after = await dialect.review.readPlan(trx, compiled);
      const used = after.plan.includes(indexName(t.name, columns));
      const fixed = !after.scans.includes(t.name) && !after.sorts;
      proof = used
        ? fixed
          ? "; proven: with it the plan uses the index and neither scans nor sorts"
          : "; with it the plan uses the index but still scans or sorts"
        : "; with it the plan would still not use an index: the query itself needs changing";
    }
    return {
      object,
      table: t.name,
      message: `hot query ${name} on ${t.name} ${what}; proposed index on (${columns.join(", ")})${proof}`,
      fix,
    };
  });
}

/**
 * The columns of `table` an index for the query would hold: those compared with `=` / IN / IS
 * first, then the ORDER BY columns, then those compared by range.
 */
function proposedColumns(t: TableModel, node: OperationNode): string[] {
  const toName = (key: string) => t.columns.find((c) => c.key === key || c.name === key)?.name;
  const equal: string[] = [];
  const range: string[] = [];
  const order: string[] = [];
  const n = node as unknown as Record<string, unknown>;
  const visitWhere = (x: unknown): void => {
    if (!x || typeof x !== "object") return;
    const o = x as Record<string, unknown>;
    if (o.kind === "BinaryOperationNode") {
      const column = columnOf(o.leftOperand);
      const op = String((o.operator as { operator?: string })?.operator ?? "").toLowerCase();
      if (column) (["=", "in", "is"].includes(op) ? equal : range).push(column);
      return;
    }
    for (const v of Object.values(o)) {
      if (Array.isArray(v)) v.forEach(visitWhere);
      else visitWhere(v);
    }
  };
  visitWhere(n.where);
  const orderBy = n.orderBy as { items?: unknown[] } | undefined;
  for (const item of orderBy?.items ?? []) {
    const column = columnOf((item as { orderBy?: unknown }).orderBy);
    if (column) order.push(column);
  }
  const out: string[] = [];
  for (const key of [...equal, ...order, ...range]) {
    const name = toName(key);
    if (name && !out.includes(name)) out.push(name);
  }
  return out;
}

function columnOf(x: unknown): string | undefined {
  const o = x as { kind?: string; column?: { column?: { name?: string } } } | undefined;
  if (o?.kind === "ReferenceNode") return o.column?.column?.name;
  if (o?.kind === "ColumnNode") return (o as unknown as { column: { name: string } }).column.name;
  return undefined;
}
