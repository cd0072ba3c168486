import { describe, expect, it } from "vitest";
import { lintExample, lintRule } from "./lint-example.js";

const rule = lintRule("rename-table");
const { bad, good } = rule.examples;

describe("rename-table", () => {
  it("fires on its bad example: running code still uses the old name", () => {
    expect(lintExample(bad, [rule])).toEqual([
      {
        rule: "rename-table",
        migration: "0002_x",
        operation: "rename table team to squad",
        message: "table team is renamed to squad: running code that uses team breaks",
        alternative:
          "deploy code that no longer needs the old name first, or migrate in expand/contract steps",
      },
    ]);
  });

  it("stays silent on its good example: the new table is created beside the old one and filled", () => {
    expect(lintExample(good, [rule])).toEqual([]);
  });
});
