import type { Rule } from "../engine/types.js";

/**
 * A table without a primary key: rows cannot be addressed one by one, so updates, deletes,
 * replication and the audit trail cannot name the row they touch.
 *
 * Bad:  `CREATE TABLE track_play (track_id integer, played_at timestamp)`
 * Good: `CREATE TABLE track_play (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, …)`
 */
export const noPrimaryKey: Rule = {
  id: "no-primary-key",
  group: "structure",
  severity: "error",
  needs: [["declaration", "catalog"]],
  catalog: "S01",
  summary: "Table has no primary key.",
  why: "Without a key a row cannot be updated, deleted, replicated or audited on its own.",
  recipe: "add a surrogate key (col.id()) or declare the natural key as options.primaryKey",
  check: ({ model }) =>
    model.tables
      .filter((t) => t.primaryKey.columns.length === 0)
      .map((t) => ({ object: t.name, table: t.name, message: `table ${t.name} has no primary key` })),
};
