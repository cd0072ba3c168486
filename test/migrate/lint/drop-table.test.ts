import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("drop-table");
const { bad, good } = rule.examples;

describe("drop-table", () => {
  it("fires on its bad example: the table and its rows are dropped", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "drop-table",
        migration: "0002_x",
        operation: "drop table legacy_login",
        message: "table legacy_login and all its rows are dropped (down recreates it empty)",
        alternative: "remove its use from the code first, keep a backup, and drop it in a later release",
      },
    ]);
  });

  it("stays silent on its good example: the table is backed up and kept", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("stays silent when a table is created", () => {
    const fresh = schema({ fresh: table("fresh", { id: col.id() }) }).model.tables[0]!;
    expect(findingsOf(rule, bad.before, op.createTable(fresh))).toEqual([]);
  });
});
