import type { Rule } from "../engine/types.js";
import { createIndexSql, isCovered } from "./model.js";

/**
 * A foreign key whose columns lead no index: every delete or key update of a parent row scans the
 * whole child table (and on SQLite and PostgreSQL takes its locks for as long). On SQLite this is
 * the "FK child columns without an index" check. MySQL (InnoDB) creates the index itself, so the
 * rule does not fire there.
 *
 * Bad:  `realm.account_id REFERENCES account (id)` and no index starting with account_id
 * Good: the same, plus `CREATE INDEX ix_realm_account_id ON realm (account_id)`
 */
export const fkWithoutIndex: Rule = {
  id: "fk-without-index",
  group: "indexing",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "X01",
  summary: "Foreign key columns are not the leading columns of any index.",
  why: "Deleting or re-keying a parent row scans the child table for references, under locks.",
  recipe: "index the foreign key columns (options.indexes), leading with them",
  check: (ctx) =>
    ctx.dialect?.capabilities.foreignKeysIndexed
      ? []
      : ctx.model.tables.flatMap((t) =>
          t.foreignKeys
            .filter((fk) => !isCovered(t, fk.columns))
            .map((fk) => ({
              object: `${t.name}(${fk.columns.join(",")})`,
              table: t.name,
              message: `foreign key ${fk.name} on ${t.name} (${fk.columns.join(", ")}) → ${fk.refTable} has no index leading with its columns`,
              fix: createIndexSql(ctx, t, fk.columns),
            })),
        ),
};
