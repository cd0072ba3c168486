/**
 * Every schema change, rendered by every engine's schema editor, as SQL snapshots: a change to any
 * renderer shows up here as a diff to review. The samples are typed by change kind, so a kind added
 * to SchemaChange without a sample here fails to compile, as an editor without its renderer does.
 */
import type { ChangeOf, Dialect, SchemaChangeKind, SchemaModel, TableModel } from "plinth/schema";
import { col, DIALECTS, enumOf, ref, schema, table, timestamps } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { dialectOf } from "../../src/dialect/index.js";
import { renderOperation } from "../../src/migrate/render/index.js";

const Level = enumOf("level", ["low", "high"]);

const team = table(
  "team",
  { id: col.id(), name: col.varchar(40).unique(), ...timestamps() },
  { doc: "A team." },
);
const member = table(
  "member",
  {
    id: col.id(),
    teamId: ref(() => team.id, { onDelete: "cascade" }),
    nick: col.varchar(20).doc("What the team calls them."),
    level: col.enum(Level).default("low"),
    score: col.integer().default(0).between(0, 100),
    bio: col.text().nullable(),
    ...timestamps(),
  },
  {
    indexes: [["nick"], { columns: ["score"], unique: true, where: { op: "isNotNull", column: "bio" } }],
    fullText: { columns: { nick: "A", bio: "B" } },
  },
);
const declared: SchemaModel = schema({ team, member }).model;
/** Plus what declarations cannot say yet but databases have: a partitioned table and a sequence. */
const event = {
  ...declared.tables.find((t) => t.name === "team")!,
  name: "event",
  primaryKey: { name: "pk_event", columns: ["id", "created_at"] },
  uniques: [],
  partition: {
    dialect: "postgres" as const,
    key: "RANGE (created_at)",
    partitions: [{ name: "event_2024", bound: "FOR VALUES FROM ('2024-01-01') TO ('2025-01-01')" }],
  },
};
const before: SchemaModel = {
  tables: [...declared.tables, event].sort((a, b) => (a.name < b.name ? -1 : 1)),
  sequences: [{ name: "invoice_no", start: 1000, increment: 1 }],
  types: [{ name: "year", dialect: "postgres", definition: "CREATE DOMAIN year AS integer" }],
};
const tableOf = (name: string): TableModel => before.tables.find((t) => t.name === name)!;
const columnOf = (t: string, c: string) => tableOf(t).columns.find((x) => x.name === c)!;
const m = tableOf("member");

const SAMPLES: { [K in SchemaChangeKind]: ChangeOf<K>[] } = {
  createTable: [
    {
      op: "createTable",
      table: {
        ...tableOf("team"),
        name: "squad",
        primaryKey: { name: "pk_squad", columns: ["id"] },
        uniques: [],
      },
    },
  ],
  dropTable: [{ op: "dropTable", table: m }],
  renameTable: [{ op: "renameTable", from: "member", to: "player" }],
  alterTable: [{ op: "alterTable", table: "team", from: { doc: "A team.", meta: {} }, to: { meta: {} } }],
  addColumn: [
    {
      op: "addColumn",
      table: "team",
      column: { name: "motto", key: "motto", type: { kind: "text" }, nullable: true },
    },
    {
      op: "addColumn",
      table: "team",
      column: {
        name: "rank",
        key: "rank",
        type: { kind: "integer" },
        nullable: false,
        default: { kind: "literal", value: 1 },
      },
    },
  ],
  dropColumn: [{ op: "dropColumn", table: "member", column: columnOf("member", "bio") }],
  renameColumn: [
    { op: "renameColumn", table: "member", from: "score", to: "points" },
    { op: "renameColumn", table: "member", from: "level", to: "tier" },
  ],
  alterColumn: [
    {
      op: "alterColumn",
      table: "member",
      from: columnOf("member", "nick"),
      to: { ...columnOf("member", "nick"), type: { kind: "varchar", length: 40 }, nullable: true },
    },
  ],
  addIndex: [
    {
      op: "addIndex",
      table: "team",
      index: { name: "ix_team_name_updated", columns: ["name", "updated_at"], unique: false },
    },
    {
      op: "addIndex",
      table: "team",
      index: { name: "ix_team_created", columns: ["created_at"], unique: false },
      concurrently: true,
    },
  ],
  dropIndex: [
    { op: "dropIndex", table: "member", index: m.indexes.find((i) => !i.unique)! },
    { op: "dropIndex", table: "member", index: m.indexes.find((i) => i.unique)!, concurrently: true },
  ],
  addFullText: [
    {
      op: "addFullText",
      table: "team",
      fullText: { name: "ft_team", columns: [{ column: "name", weight: "A" }], language: "english" },
    },
  ],
  dropFullText: [{ op: "dropFullText", table: "member", fullText: m.fullText! }],
  addUnique: [{ op: "addUnique", table: "member", unique: { name: "uq_member_nick", columns: ["nick"] } }],
  dropUnique: [{ op: "dropUnique", table: "team", unique: tableOf("team").uniques[0]! }],
  addCheck: [
    {
      op: "addCheck",
      table: "member",
      check: {
        name: "ck_member_nick_length",
        predicate: { op: "length", column: "nick", cmp: ">=", value: 2 },
      },
    },
    {
      op: "addCheck",
      table: "member",
      check: {
        name: "ck_member_score_small",
        predicate: { op: "compare", column: "score", cmp: "<", value: 50 },
      },
      notValid: true,
    },
  ],
  dropCheck: [{ op: "dropCheck", table: "member", check: m.checks[0]! }],
  addForeignKey: [
    {
      op: "addForeignKey",
      table: "team",
      foreignKey: {
        name: "fk_team_id_member",
        columns: ["id"],
        refTable: "member",
        refColumns: ["id"],
        onDelete: "restrict",
        onUpdate: "no action",
      },
      notValid: true,
    },
  ],
  validateConstraint: [{ op: "validateConstraint", table: "member", name: m.checks[0]!.name }],
  dropForeignKey: [{ op: "dropForeignKey", table: "member", foreignKey: m.foreignKeys[0]! }],
  createType: [
    {
      op: "createType",
      type: { name: "mood", dialect: "postgres", definition: "CREATE TYPE mood AS ENUM ('ok', 'sad')" },
    },
  ],
  dropType: [
    {
      op: "dropType",
      type: { name: "year", dialect: "postgres", definition: "CREATE DOMAIN year AS integer" },
    },
  ],
  createSequence: [{ op: "createSequence", sequence: { name: "ticket_no", start: 1, increment: 10 } }],
  dropSequence: [{ op: "dropSequence", sequence: { name: "invoice_no", start: 1000, increment: 1 } }],
  addPartition: [
    {
      op: "addPartition",
      table: "event",
      partition: { name: "event_2025", bound: "FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')" },
    },
  ],
  dropPartition: [{ op: "dropPartition", table: "event", partition: event.partition.partitions[0]! }],
  renameConstraint: [
    {
      op: "renameConstraint",
      table: "member",
      kind: "index",
      from: m.indexes[0]!.name,
      to: "ix_member_renamed",
    },
    {
      op: "renameConstraint",
      table: "member",
      kind: "check",
      from: m.checks[0]!.name,
      to: "ck_member_renamed",
    },
    {
      op: "renameConstraint",
      table: "member",
      kind: "foreignKey",
      from: m.foreignKeys[0]!.name,
      to: "fk_member_renamed",
    },
  ],
};

/** A step as the snapshot shows it: the SQL, marked when it runs outside a transaction or under a guard. */
function show(dialect: Dialect, change: ChangeOf<SchemaChangeKind>): string[] {
  let rendered: ReturnType<typeof renderOperation>;
  try {
    rendered = renderOperation(change, before, dialect);
  } catch (error) {
    return [`-- refused: ${(error as Error).message}`];
  }
  return rendered.map((step) => {
    if (!("sql" in step)) return `-- data step: ${step.description}`;
    const marks = [
      step.outsideTransaction ? "-- outside a transaction" : "",
      step.onlyIf ? `-- only if: ${step.onlyIf}` : "",
      step.resume ? `-- done when resuming if: ${step.resume.done}` : "",
      step.resume?.cleanup ? `-- else first: ${step.resume.cleanup}` : "",
    ];
    return [...marks.filter(Boolean), `${step.sql};`].join("\n");
  });
}

describe("schema editors", () => {
  it("every engine renders every kind of change", () => {
    for (const d of DIALECTS) {
      const editor = dialectOf(d).editor;
      for (const kind of Object.keys(SAMPLES) as SchemaChangeKind[])
        expect(typeof editor[kind], `${d} ${kind}`).toBe("function");
    }
  });

  for (const d of DIALECTS) {
    describe(d, () => {
      for (const [kind, samples] of Object.entries(SAMPLES) as [
        SchemaChangeKind,
        ChangeOf<SchemaChangeKind>[],
      ][]) {
        it(kind, () => {
          expect(samples.map((change) => show(d, change))).toMatchSnapshot();
        });
      }
    });
  }

  it("renders CONCURRENTLY where the engine has it, outside a transaction, and never patches it in", () => {
    const [plain, concurrent] = SAMPLES.addIndex;
    for (const d of DIALECTS) {
      const steps = renderOperation(concurrent!, before, d);
      const sql = steps.map((s) => ("sql" in s ? s.sql : "")).join("\n");
      const has = dialectOf(d).capabilities.concurrentIndexes;
      expect(/CONCURRENTLY/.test(sql), d).toBe(has);
      expect(
        steps.some((s) => "sql" in s && s.outsideTransaction),
        d,
      ).toBe(has);
      expect(renderOperation(plain!, before, d).some((s) => "sql" in s && /CONCURRENTLY/.test(s.sql))).toBe(
        false,
      );
    }
  });
});
