import type { Rule, RuleHit } from "../engine/types.js";
import { dropIndexSql, searchableKeys } from "./model.js";

/**
 * A plain index whose columns are the leading columns of another index: any search the short one
 * serves, the long one serves too.
 *
 * Bad:  `ix_job_status (status)` beside `ix_job_status_created (status, created_at)`
 * Good: `ix_job_status_created (status, created_at)` alone
 */
export const redundantPrefixIndex: Rule = {
  id: "redundant-prefix-index",
  group: "indexing",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "X03",
  summary: "A plain index is a leading prefix of another index.",
  why: "The longer index serves every search the shorter one does; the shorter one only costs writes.",
  recipe: "drop the shorter index",
  check: (ctx) => {
    const hits: RuleHit[] = [];
    for (const t of ctx.model.tables) {
      const keys = searchableKeys(t);
      for (const ix of t.indexes) {
        if (ix.unique || ix.where || (ix.method && ix.method !== "btree")) continue;
        const longer = keys.find(
          (k) => k.length > ix.columns.length && ix.columns.every((c, i) => k[i] === c),
        );
        if (!longer) continue;
        hits.push({
          object: `${t.name}/${ix.name}`,
          table: t.name,
          message: `index ${ix.name} on ${t.name} (${ix.columns.join(", ")}) is a prefix of (${longer.join(", ")})`,
          fix: dropIndexSql(ctx, t, ix.name),
        });
      }
    }
    return hits;
  },
};
