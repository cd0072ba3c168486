import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("create-index-non-concurrently");
const { bad, good } = rule.examples;

describe("create-index-non-concurrently", () => {
  it("fires on its bad example, for PostgreSQL, offering the concurrent statement", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "create-index-non-concurrently",
        migration: "0002_x",
        operation: "add index ix_activity_log_action on activity_log",
        message: "index ix_activity_log_action on activity_log blocks writes while it is built",
        alternative:
          'op.addIndex("activity_log", index, { concurrently: true }) → ' +
          'CREATE INDEX CONCURRENTLY "ix_activity_log_action" ON "activity_log" ("action") (run outside a transaction)',
        dialects: ["postgres"],
      },
    ]);
  });

  it("stays silent on its good example: the index is built concurrently", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("stays silent on the indexes of a new table", () => {
    const fresh = schema({
      fresh: table("fresh", { id: col.id(), n: col.integer() }, { indexes: [["n"]] }),
    }).model.tables[0]!;
    expect(findingsOf(rule, bad.before, op.createTable(fresh))).toEqual([]);
  });
});
