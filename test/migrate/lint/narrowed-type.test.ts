import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { columnOf, findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("narrowed-type");
const { bad, good } = rule.examples;
const before = schema({
  account: table("account", { id: col.id(), name: col.varchar(255), bio: col.text().nullable() }),
}).model;
const name = columnOf(before, "account", "name");
const bio = columnOf(before, "account", "bio");

describe("narrowed-type", () => {
  it("fires on its bad example: varchar(255) → varchar(80)", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "narrowed-type",
        migration: "0002_x",
        operation: "alter column account.name",
        message: "account.name: varchar(255) → varchar(80)",
        alternative: "verify existing values fit (or migrate them with a data step) before narrowing",
      },
    ]);
  });

  it("stays silent on its good example: a new column, filled by a data step", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("fires on text → varchar", () => {
    const narrowed = op.alterColumn("account", bio, { ...bio, type: { kind: "varchar", length: 80 } });
    expect(findingsOf(rule, before, narrowed).map((f) => f.message)).toEqual(["account.bio: text → varchar"]);
  });

  it("stays silent when the type is widened", () => {
    const widened = op.alterColumn("account", name, { ...name, type: { kind: "text" } });
    expect(findingsOf(rule, before, widened)).toEqual([]);
  });
});
