import type { ColumnModel, SchemaModel } from "plinth";
import type { Operation } from "plinth/migrate";
import { formatFinding, LINT_RULES, lintMigration, migration, op } from "plinth/migrate";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";

const account = table("account", {
  id: col.id(),
  name: col.varchar(255),
  email: col.varchar(255).nullable(),
  bio: col.text().nullable(),
});
const realm = table("realm", { id: col.id(), accountId: col.integer(), label: col.varchar(40) });
const base: SchemaModel = schema({ account, realm }).model;
const column = (t: string, c: string) =>
  base.tables.find((x) => x.name === t)!.columns.find((x) => x.name === c)!;
const phone: ColumnModel = {
  name: "phone",
  key: "phone",
  type: { kind: "varchar", length: 20 },
  nullable: false,
};
const fk = {
  name: "fk_realm_account_id_account",
  columns: ["account_id"],
  refTable: "account",
  refColumns: ["id"],
  onDelete: "cascade" as const,
  onUpdate: "no action" as const,
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

/** For each rule: operations that must trigger it, and safe ones that must not. */
const fixtures: Record<string, { bad: Operation[]; good: Operation[] }> = {
  "add-not-null-column-without-default": {
    bad: [op.addColumn("account", phone)],
    good: [
      op.addColumn("account", { ...phone, nullable: true }),
      op.addColumn("account", { ...phone, default: { kind: "literal", value: "" } }),
      op.createTable(newTable),
    ],
  },
  "drop-table": { bad: [op.dropTable(base.tables[1]!)], good: [op.createTable(newTable)] },
  "drop-column": {
    bad: [op.dropColumn("account", column("account", "bio"))],
    good: [op.addColumn("account", { ...phone, nullable: true })],
  },
  "narrowed-type": {
    bad: [
      op.alterColumn("account", column("account", "name"), {
        ...column("account", "name"),
        type: { kind: "varchar", length: 80 },
      }),
      op.alterColumn("account", column("account", "bio"), {
        ...column("account", "bio"),
        type: { kind: "varchar", length: 80 },
      }),
    ],
    good: [
      op.alterColumn("account", column("account", "name"), {
        ...column("account", "name"),
        type: { kind: "text" },
      }),
    ],
  },
  "set-not-null": {
    bad: [
      op.alterColumn("account", column("account", "email"), {
        ...column("account", "email"),
        nullable: false,
      }),
    ],
    good: [
      op.alterColumn("account", column("account", "name"), { ...column("account", "name"), nullable: true }),
    ],
  },
  "create-index-non-concurrently": {
    bad: [op.addIndex("realm", index)],
    good: [op.addIndex("realm", index, { concurrently: true }), op.createTable(newTable)],
  },
  "add-foreign-key-without-not-valid": {
    bad: [op.addForeignKey("realm", fk)],
    good: [op.addForeignKey("realm", fk, { notValid: true }), op.createTable(newTable)],
  },
  "rename-column": {
    bad: [op.renameColumn("account", "bio", "about")],
    good: [op.addColumn("account", { ...phone, nullable: true })],
  },
  "rename-table": { bad: [op.renameTable("realm", "zone")], good: [op.createTable(newTable)] },
};

const lint = (operations: Operation[]) =>
  lintMigration(migration({ id: "0002_x", description: "x", parents: ["0001"], operations }), base);

describe("migration lint", () => {
  it("every rule has an id, a catalogue reference, an explanation and bad/good examples", () => {
    for (const rule of LINT_RULES) {
      expect(rule.id).toMatch(/^[a-z-]+$/);
      expect(rule.catalog).toMatch(/^M\d\d$/);
      expect(rule.why.length).toBeGreaterThan(20);
      expect(rule.bad).not.toBe(rule.good);
      expect(fixtures[rule.id], `fixtures for ${rule.id}`).toBeDefined();
    }
  });

  for (const [id, { bad, good }] of Object.entries(fixtures)) {
    it(`${id}: fires on the unsafe form, not on the safe one`, () => {
      for (const o of bad) expect(lint([o]).map((f) => f.rule)).toContain(id);
      for (const o of good) expect(lint([o]).map((f) => f.rule)).not.toContain(id);
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
