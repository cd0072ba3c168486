import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("add-not-null-column-without-default");
const { bad, good } = rule.examples;
const phone = {
  name: "phone",
  key: "phone",
  type: { kind: "varchar", length: 20 },
  nullable: false,
} as const;

describe("add-not-null-column-without-default", () => {
  it("fires on its bad example: a NOT NULL column without a default on an existing table", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "add-not-null-column-without-default",
        migration: "0002_x",
        operation: "add column account.phone",
        message: "account.phone is NOT NULL without a default on an existing table",
        alternative:
          "add it nullable (or with a default), backfill it, then set NOT NULL in a later migration",
      },
    ]);
  });

  it("stays silent on its good example: added nullable, then backfilled", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("stays silent when the column has a default for the existing rows", () => {
    const withDefault = op.addColumn("account", { ...phone, default: { kind: "literal", value: "" } });
    expect(findingsOf(rule, bad.before, withDefault)).toEqual([]);
  });

  it("stays silent on the NOT NULL columns of a new table", () => {
    const fresh = schema({ fresh: table("fresh", { id: col.id(), n: col.integer() }) }).model.tables[0]!;
    expect(findingsOf(rule, bad.before, op.createTable(fresh))).toEqual([]);
  });
});
