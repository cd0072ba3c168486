import type { Rule } from "../engine/types.js";
import { columnOf } from "./model.js";

/**
 * A multi-column foreign key with a nullable column: under MATCH SIMPLE (every engine's default) a
 * NULL in any one column switches the whole check off, so `(tenant_id, NULL)` passes although
 * `tenant_id` names no parent row.
 *
 * Bad:  `FOREIGN KEY (tenant_id, project_id) REFERENCES project` with `project_id` nullable
 * Good: both columns NOT NULL, or a CHECK that both are NULL or neither
 */
export const nullableInMulticolumnFk: Rule = {
  id: "nullable-in-multicolumn-fk",
  group: "integrity",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "I09",
  summary: "A multi-column foreign key has a nullable column.",
  why: "One NULL column disables the whole foreign-key check for that row (MATCH SIMPLE).",
  recipe: "make the columns NOT NULL, or add CHECK ((a IS NULL) = (b IS NULL))",
  check: ({ model }) =>
    model.tables.flatMap((t) =>
      t.foreignKeys
        .filter((fk) => fk.columns.length > 1)
        .flatMap((fk) =>
          fk.columns
            .filter((c) => columnOf(t, c)?.nullable)
            .map((c) => ({
              object: `${t.name}.${c}/${fk.name}`,
              table: t.name,
              message: `${t.name}.${c} is nullable inside the multi-column foreign key ${fk.name}: a NULL there skips the whole check`,
            })),
        ),
    ),
};
