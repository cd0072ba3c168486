import type { Rule } from "../engine/types.js";

/**
 * PostgreSQL's `json` keeps the text as written: no equality operator, no GIN index, and every read
 * parses it again. plinth declares JSON columns as `jsonb`; this finds the `json` ones in a database.
 *
 * Bad:  `settings json`
 * Good: `settings jsonb`
 */
export const jsonNotJsonb: Rule = {
  id: "json-not-jsonb",
  group: "structure",
  dialects: ["postgres"],
  severity: "warning",
  needs: ["catalog"],
  catalog: "S10",
  summary: "A json column where jsonb would do.",
  why: "json has no equality or GIN indexing and is re-parsed on every read.",
  recipe: "ALTER TABLE … ALTER COLUMN … TYPE jsonb (rewrites the table: do it in a quiet window)",
  check: ({ catalog }) =>
    (catalog?.tables ?? []).flatMap((t) =>
      t.columns
        .filter((c) => c.type.kind === "native" && c.type.type.toLowerCase() === "json")
        .map((c) => ({
          object: `${t.name}.${c.name}`,
          table: t.name,
          message: `${t.name}.${c.name} is json, not jsonb`,
          fix: `ALTER TABLE "${t.name}" ALTER COLUMN "${c.name}" TYPE jsonb USING "${c.name}"::jsonb`,
        })),
    ),
};
