import { op } from "plinth/migrate";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("add-foreign-key-without-not-valid");
const { bad, good } = rule.examples;

describe("add-foreign-key-without-not-valid", () => {
  it("fires on its bad example, for PostgreSQL, offering NOT VALID and a later validation", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "add-foreign-key-without-not-valid",
        migration: "0002_x",
        operation: "add foreign key fk_realm_account_id_account on realm",
        message: "foreign key fk_realm_account_id_account on realm scans the table under lock",
        alternative:
          'op.addForeignKey("realm", fk, { notValid: true }) → ' +
          'ALTER TABLE "realm" ADD CONSTRAINT "fk_realm_account_id_account" ... NOT VALID; ' +
          'then op.validateConstraint("realm", "fk_realm_account_id_account") in a later migration',
        dialects: ["postgres"],
      },
    ]);
  });

  it("stays silent on its good example: the foreign key is added NOT VALID", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("stays silent on the foreign keys of a new table", () => {
    const account = table("account", { id: col.id() });
    const fresh = schema({
      account,
      fresh: table("fresh", { id: col.id(), parentId: ref(() => account.id) }),
    }).model.tables.find((t) => t.name === "fresh")!;
    expect(findingsOf(rule, bad.before, op.createTable(fresh))).toEqual([]);
  });
});
