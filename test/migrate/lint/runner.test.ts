import { existsSync } from "node:fs";
import type { ColumnModel, SchemaModel } from "plinth";
import type { Operation } from "plinth/migrate";
import { formatFinding, LINT_RULES, lintMigration, migration, op } from "plinth/migrate";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { lintExample } from "./lint-example.js";

const account = table("account", {
  id: col.id(),
  name: col.varchar(255),
  email: col.varchar(255).nullable(),
  bio: col.text().nullable(),
});
const realm = table("realm", { id: col.id(), accountId: col.integer(), label: col.varchar(40) });
const base: SchemaModel = schema({ account, realm }).model;
const phone: ColumnModel = {
  name: "phone",
  key: "phone",
  type: { kind: "varchar", length: 20 },
  nullable: false,
};
const index = { name: "ix_realm_label", columns: ["label"], unique: false };
const newTable = schema({
  t: table(
    "fresh",
    { id: col.id(), n: col.integer(), parentId: ref(() => account.id) },
    { indexes: [["n"]] },
  ),
  account,
}).model.tables.find((t) => t.name === "fresh")!;

const lint = (operations: Operation[]) =>
  lintMigration(migration({ id: "0002_x", description: "x", parents: ["0001"], operations }), base);

describe("migration lint", () => {
  it("every rule has an id, a catalogue reference, an explanation, bad/good examples and its own test", () => {
    for (const rule of LINT_RULES) {
      expect(rule.id).toMatch(/^[a-z-]+$/);
      expect(rule.catalog).toMatch(/^M\d\d$/);
      expect(rule.why.length).toBeGreaterThan(20);
      expect(rule.bad).not.toBe(rule.good);
      expect(rule.examples.bad.operations.length, `bad example of ${rule.id}`).toBeGreaterThan(0);
      expect(rule.examples.good.operations.length, `good example of ${rule.id}`).toBeGreaterThan(0);
      expect(existsSync(new URL(`./${rule.id}.test.ts`, import.meta.url)), `test of ${rule.id}`).toBe(true);
    }
    expect(new Set(LINT_RULES.map((r) => r.id)).size).toBe(LINT_RULES.length);
  });

  for (const rule of LINT_RULES) {
    it(`${rule.id}: fires on its bad example; its good example passes every rule`, () => {
      expect(lintExample(rule.examples.bad).map((f) => f.rule)).toContain(rule.id);
      expect(lintExample(rule.examples.good)).toEqual([]);
    });
  }

  it("offers the concurrent form with its SQL, for PostgreSQL only", () => {
    const [finding] = lint([op.addIndex("realm", index)]);
    expect(finding!.dialects).toEqual(["postgres"]);
    expect(finding!.alternative).toContain(`CREATE INDEX CONCURRENTLY "ix_realm_label" ON "realm" ("label")`);
    expect(formatFinding(finding!)).toMatch(
      /^create-index-non-concurrently \[postgres\]: index ix_realm_label on realm/,
    );
  });

  it("judges each operation against the schema as it is at that point", () => {
    // The table is created by this very migration, so adding to it meets no rows.
    const findings = lint([
      op.createTable(newTable),
      op.addColumn("fresh", phone),
      op.addIndex("fresh", { ...index, name: "ix_fresh_x", columns: ["n"] }),
    ]);
    expect(findings).toEqual([]);
  });
});
