import type { Rule, RuleHit } from "../engine/types.js";
import { allIndexes, dropIndexSql } from "./model.js";

/**
 * Two indexes (or an index and a unique constraint, or the primary key) over the same columns in
 * the same order: every write maintains both, and the planner uses one.
 *
 * Bad:  `UNIQUE (email)` and `CREATE INDEX ix_account_email ON account (email)`
 * Good: the unique constraint alone
 */
export const duplicateIndex: Rule = {
  id: "duplicate-index",
  group: "indexing",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "X02",
  summary: "Two indexes cover the same columns in the same order.",
  why: "Each write maintains both; reads use one. The copy costs space and write time for nothing.",
  recipe: "drop the plain index and keep the unique one (or either, when both are plain)",
  check: (ctx) => {
    const hits: RuleHit[] = [];
    for (const t of ctx.model.tables) {
      const seen = new Map<string, string>();
      const key = (cols: readonly string[], where?: unknown, method?: string) =>
        `${cols.join(",")}|${JSON.stringify(where ?? null)}|${method ?? "btree"}`;
      seen.set(key(t.primaryKey.columns), `primary key ${t.primaryKey.name}`);
      // Unique ones first, so the plain duplicate is the one reported and dropped.
      const list = allIndexes(t).sort((a, b) => Number(b.unique) - Number(a.unique));
      for (const ix of list) {
        const k = key(ix.columns, ix.where, ix.method);
        const other = seen.get(k);
        if (other === undefined) {
          seen.set(k, `${ix.unique ? "unique " : ""}index ${ix.name}`);
          continue;
        }
        const hit: RuleHit = {
          object: `${t.name}/${ix.name}`,
          table: t.name,
          message: `index ${ix.name} on ${t.name} (${ix.columns.join(", ")}) duplicates ${other}`,
        };
        if (!ix.constraint) hit.fix = dropIndexSql(ctx, t, ix.name);
        hits.push(hit);
      }
    }
    return hits;
  },
};
