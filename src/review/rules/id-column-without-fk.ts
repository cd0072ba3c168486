import type { Rule } from "../engine/types.js";

/**
 * A column named after another table's key (`account_id`, `AccountId`) that no foreign key
 * constrains: nothing stops it from pointing at a row that does not exist. Only columns whose
 * prefix names a table of the schema are reported, so `request_id` correlation ids stay quiet.
 *
 * Bad:  `realm.account_id integer NOT NULL` and no constraint
 * Good: `realm.account_id integer NOT NULL REFERENCES account (id)`
 */
export const idColumnWithoutFk: Rule = {
  id: "id-column-without-fk",
  group: "integrity",
  severity: "warning",
  needs: [["declaration", "catalog"]],
  catalog: "I01",
  summary: "A *_id column names a table but has no foreign key.",
  why: "Without the constraint the database accepts ids of rows that never existed or were deleted.",
  recipe:
    "declare it with ref(() => parent.id) (ALTER TABLE … ADD FOREIGN KEY … NOT VALID, then VALIDATE, on PostgreSQL)",
  check: ({ model }) => {
    const tables = new Map<string, string>();
    for (const t of model.tables) {
      const flat = t.name.toLowerCase().replace(/_/g, "");
      tables.set(flat, t.name);
      tables.set(flat.replace(/s$/, ""), t.name);
    }
    return model.tables.flatMap((t) => {
      const constrained = new Set(t.foreignKeys.flatMap((fk) => fk.columns));
      return t.columns
        .filter((c) => !constrained.has(c.name) && !t.primaryKey.columns.includes(c.name))
        .flatMap((c) => {
          const m = /^(.+?)_?id$/i.exec(c.name);
          if (!m || !/(_id|[a-z]Id)$/.test(c.name)) return [];
          const parent = tables.get(m[1]!.toLowerCase().replace(/_/g, ""));
          if (!parent) return [];
          return [
            {
              object: `${t.name}.${c.name}`,
              table: t.name,
              message: `${t.name}.${c.name} looks like a reference to ${parent} but has no foreign key`,
            },
          ];
        });
    });
  },
};
