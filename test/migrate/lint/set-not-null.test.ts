import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { columnOf, findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("set-not-null");
const { bad, good } = rule.examples;

describe("set-not-null", () => {
  it("fires on its bad example: an existing nullable column becomes NOT NULL", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "set-not-null",
        migration: "0002_x",
        operation: "alter column account.email",
        message:
          "account.email becomes NOT NULL: fails if any row is NULL, and locks the table while checking",
        alternative: "backfill NULLs with a data step first",
      },
    ]);
  });

  it("stays silent on its good example: backfilled, then a CHECK added NOT VALID", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("stays silent when a NOT NULL column becomes nullable", () => {
    const before = schema({ account: table("account", { id: col.id(), name: col.varchar(255) }) }).model;
    const name = columnOf(before, "account", "name");
    expect(findingsOf(rule, before, op.alterColumn("account", name, { ...name, nullable: true }))).toEqual(
      [],
    );
  });
});
