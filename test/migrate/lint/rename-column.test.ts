import { describe, expect, it } from "vitest";
import { lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("rename-column");
const { bad, good } = rule.examples;

describe("rename-column", () => {
  it("fires on its bad example: running code still uses the old name", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "rename-column",
        migration: "0002_x",
        operation: "rename column account.phone to mobile",
        message: "account.phone is renamed to mobile: running code that uses phone breaks",
        alternative: "add the new column, write both, backfill, switch reads, drop the old column later",
      },
    ]);
  });

  it("stays silent on its good example: the new column is added beside the old one and filled", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });
});
