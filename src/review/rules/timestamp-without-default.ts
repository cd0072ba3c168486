import type { Rule } from "../engine/types.js";

const CREATED = /^(created|inserted)(_at|_on)?$|^(createdAt|insertedAt|CreatedAt|CreateDate)$/;
const UPDATED = /^(updated|modified)(_at|_on)?$|^(updatedAt|modifiedAt|UpdatedAt|LastUpdate)$/;

/**
 * A creation or modification timestamp with no default: every writer must remember to fill it, and
 * rows written by a console or another service come without it (or fail when it is NOT NULL).
 *
 * Bad:  `created_at timestamp NOT NULL`
 * Good: `created_at timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP` (plinth: `...timestamps()`)
 */
export const timestampWithoutDefault: Rule = {
  id: "timestamp-without-default",
  group: "structure",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "S31",
  summary: "A created/updated timestamp column has no default.",
  why: "Rows written outside the application get no time, or fail to insert.",
  recipe: "give it DEFAULT CURRENT_TIMESTAMP (col.timestamp().defaultNow(), or ...timestamps())",
  check: ({ model }) =>
    model.tables.flatMap((t) =>
      t.columns
        .filter(
          (c) =>
            !c.default &&
            !c.computed &&
            // Any type: SQLite keeps timestamps as TEXT, other schemas as varchar or integers.
            (c.role === "createdAt" ||
              c.role === "updatedAt" ||
              CREATED.test(c.name) ||
              UPDATED.test(c.name)),
          // Any type: SQLite keeps timestamps as TEXT, other schemas as varchar or integers.
        )
        .map((c) => ({
          object: `${t.name}.${c.name}`,
          table: t.name,
          message: `${t.name}.${c.name} records when a row was written but has no default`,
        })),
    ),
};
