import type { Rule } from "../engine/types.js";
import { sameSet, tableOf, uniqueKeys } from "./model.js";

/**
 * A foreign key whose referenced columns are not exactly a primary key or unique key of the parent:
 * one child row may then match several parents. PostgreSQL and SQLite refuse to create it; MySQL
 * before 8.4 (and MariaDB) accept it with any index.
 *
 * Bad:  `FOREIGN KEY (realm_value) REFERENCES realm (realm_value)` where realm_value is only indexed
 * Good: `UNIQUE (realm_value)` on realm first, or reference realm's primary key
 */
export const fkTargetNotUnique: Rule = {
  id: "fk-target-not-unique",
  group: "integrity",
  severity: "error",
  needs: [["declaration", "catalog"]],
  catalog: "I03",
  summary: "Foreign key target is not exactly a primary or unique key.",
  why: "A child row could match several parent rows; deletes and joins become ambiguous.",
  recipe: "reference the parent's primary key, or make the referenced columns unique",
  check: ({ model }) =>
    model.tables.flatMap((t) =>
      t.foreignKeys.flatMap((fk) => {
        const parent = tableOf(model, fk.refTable);
        if (!parent)
          return [
            {
              object: `${t.name}/${fk.name}`,
              table: t.name,
              message: `foreign key ${fk.name} on ${t.name} references ${fk.refTable}, which does not exist`,
            },
          ];
        if (uniqueKeys(parent).some((k) => sameSet(k, fk.refColumns))) return [];
        return [
          {
            object: `${t.name}/${fk.name}`,
            table: t.name,
            message: `foreign key ${fk.name} on ${t.name} references ${fk.refTable} (${fk.refColumns.join(", ")}), which is not a primary or unique key`,
          },
        ];
      }),
    ),
};
