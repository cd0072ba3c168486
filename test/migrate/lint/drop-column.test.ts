import { op } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { columnOf, findingsOf, lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("drop-column");
const { bad, good } = rule.examples;

describe("drop-column", () => {
  it("fires on its bad example, and says the NOT NULL column cannot come back on a table with rows", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "drop-column",
        migration: "0002_x",
        operation: "drop column account.phone",
        message:
          "account.phone and its data are dropped (down recreates it empty, and fails on a table with rows: it is NOT NULL without a default)",
        alternative: "stop using it in the code first; drop it in a later release",
      },
    ]);
  });

  it("stays silent on its good example: the column is made nullable and kept", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });

  it("fires on a nullable column too, which down can recreate", () => {
    const before = schema({ account: table("account", { id: col.id(), bio: col.text().nullable() }) }).model;
    const [finding] = findingsOf(rule, before, op.dropColumn("account", columnOf(before, "account", "bio")));
    expect(finding?.message).toBe("account.bio and its data are dropped (down recreates it empty)");
  });

  it("stays silent when a column is added", () => {
    const mobile = {
      name: "mobile",
      key: "mobile",
      type: { kind: "varchar", length: 20 },
      nullable: true,
    } as const;
    expect(findingsOf(rule, bad.before, op.addColumn("account", mobile))).toEqual([]);
  });
});
