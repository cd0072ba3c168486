import type { Rule } from "../engine/types.js";

/**
 * An SQLite table created without STRICT: declared types are only affinities, so `'abc'` goes into
 * an INTEGER column and `'1'` comes back as text from another. plinth creates STRICT tables.
 *
 * Bad:  `CREATE TABLE track (id INTEGER PRIMARY KEY, milliseconds INTEGER)`
 * Good: `CREATE TABLE track (id INTEGER PRIMARY KEY, milliseconds INTEGER) STRICT`
 */
export const sqliteNotStrict: Rule = {
  id: "sqlite-not-strict",
  group: "structure",
  dialects: ["sqlite"],
  severity: "warning",
  needs: ["catalog"],
  summary: "SQLite table without STRICT: declared types are not enforced.",
  why: "Type affinity stores any value in any column; bugs surface far from where they were written.",
  recipe: "rebuild the table with STRICT (plinth's table rebuild does it: declare the table and migrate)",
  check: ({ catalog }) =>
    (catalog?.tables ?? [])
      .filter((t) => t.strict === false)
      .map((t) => ({
        object: t.name,
        table: t.name,
        message: `${t.name} is not STRICT: its column types are affinities only`,
      })),
};
