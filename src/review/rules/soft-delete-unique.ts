import type { Rule, RuleHit } from "../engine/types.js";

/**
 * A soft-delete table (rows are marked deleted, not removed) whose unique keys still count deleted
 * rows: once `alice` is soft-deleted, nobody can sign up as `alice` again.
 *
 * Bad:  `UNIQUE (username)` on a table with `deleted_at`
 * Good: `CREATE UNIQUE INDEX … ON account (username) WHERE deleted_at IS NULL` (PostgreSQL, SQLite;
 *       on MySQL, a unique key over username and a generated "alive" column)
 */
export const softDeleteUnique: Rule = {
  id: "soft-delete-unique",
  group: "integrity",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  summary: "A soft-delete table's unique keys count deleted rows.",
  why: "A deleted row keeps its value reserved: the same name or email can never be used again.",
  recipe:
    "make the unique index partial (where deleted_at IS NULL), or include the deletion marker in the key",
  check: ({ model }) => {
    const hits: RuleHit[] = [];
    for (const t of model.tables) {
      const marker = t.columns.find(
        (c) => c.role === "deletedAt" || /^(deleted_at|deletedAt|is_deleted)$/.test(c.name),
      );
      if (!marker) continue;
      const keys = [
        ...t.uniques.map((u) => ({ name: u.name, columns: u.columns })),
        ...t.indexes
          .filter((ix) => ix.unique && !ix.where)
          .map((ix) => ({ name: ix.name, columns: ix.columns })),
      ];
      for (const k of keys) {
        if (k.columns.includes(marker.name)) continue;
        hits.push({
          object: `${t.name}/${k.name}`,
          table: t.name,
          message: `unique key ${k.name} on ${t.name} (${k.columns.join(", ")}) counts rows soft-deleted through ${marker.name}`,
        });
      }
    }
    return hits;
  },
};
