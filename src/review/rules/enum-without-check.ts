import type { TableModel } from "../../schema/index.js";
import { predicateColumns } from "../../schema/index.js";
import type { Rule, RuleHit } from "../engine/types.js";

/** Column names that hold one of a few values: a status, a kind, a level. */
const ENUM_LIKE = /(^|_)(status|state|type|kind|level|severity|priority|role|category)$/i;

function checked(t: TableModel, column: string): boolean {
  return t.checks.some((k) =>
    k.predicate.op === "raw"
      ? Object.values(k.predicate.sql).some((text) => text?.includes(column))
      : predicateColumns(k.predicate).includes(column),
  );
}

/**
 * A column that holds one of a fixed set of values (a status, a type) stored as free text with
 * nothing in the database keeping it in its domain: any typo is stored. plinth's `col.enum()` adds
 * the CHECK itself; this finds declared enums whose CHECK the database lacks, and status-like text
 * columns of other schemas that have none.
 *
 * Bad:  `status varchar(20) NOT NULL` and no constraint
 * Good: `status varchar(20) NOT NULL CHECK (status IN ('queued', 'running', 'done'))`
 */
export const enumWithoutCheck: Rule = {
  id: "enum-without-check",
  group: "integrity",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  summary: "An enum-like column has no CHECK (or native enum) keeping it in its domain.",
  why: "The application's list of values is not the database's: a typo or an old client stores anything.",
  recipe: "declare it col.enum(enumOf(…)), which renders the CHECK on every engine",
  check: ({ model, catalog, declaration }) => {
    const hits: RuleHit[] = [];
    // Declared enums whose domain the live database does not enforce.
    if (declaration && catalog) {
      for (const t of declaration.model.tables) {
        const live = catalog.tables.find((x) => x.name === t.name);
        if (!live) continue;
        for (const c of t.columns) {
          const lc = live.columns.find((x) => x.name === c.name);
          if (c.type.kind !== "enum" || !lc || lc.type.kind === "enum" || lc.type.kind === "native") continue;
          if (checked(live, c.name)) continue;
          hits.push({
            object: `${t.name}.${c.name}`,
            table: t.name,
            message: `${t.name}.${c.name} is declared as an enum, but the database has no CHECK keeping it to ${c.type.values.join(", ")}`,
          });
        }
      }
    }
    for (const t of model.tables) {
      const constrained = new Set(t.foreignKeys.flatMap((fk) => fk.columns));
      for (const c of t.columns) {
        if (c.type.kind !== "varchar" && c.type.kind !== "text") continue;
        if (!ENUM_LIKE.test(c.name) || constrained.has(c.name) || checked(t, c.name)) continue;
        if (hits.some((h) => h.object === `${t.name}.${c.name}`)) continue;
        hits.push({
          object: `${t.name}.${c.name}`,
          table: t.name,
          message: `${t.name}.${c.name} looks like an enum (a ${c.type.kind} named like a status or kind) with no CHECK on its values`,
        });
      }
    }
    return hits;
  },
};
