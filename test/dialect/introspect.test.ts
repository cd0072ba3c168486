import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import type { Db } from "plinth";
import { connect, dialectOf } from "plinth";
import type { Schema } from "plinth/schema";
import {
  col,
  enumOf,
  expr,
  ref,
  schema,
  softDelete,
  table,
  timestamps,
  uuidPrimaryKey,
  version,
} from "plinth/schema";
import { generateEncryptionKey } from "plinth/security";
import { describe, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";

const Stage = enumOf("stage", ["draft", "live", "it's gone"]);

/** Every column kind, every kind of default, every constraint plinth declares. */
const org = table(
  "org",
  {
    ...uuidPrimaryKey(),
    name: col.varchar(80).minLength(2).doc("Display name"),
    slug: col.varchar(40).unique(),
    ...timestamps(),
    ...softDelete(),
    ...version(),
  },
  {
    doc: "An organisation",
    audit: true,
    growth: "slow",
    indexes: [{ columns: ["name"], where: expr.isNull("deletedAt"), name: "ix_org_live_name" }],
  },
);
const item = table(
  "item",
  {
    id: col.bigId(),
    orgId: ref(() => org.id, { onDelete: "cascade" }),
    parentId: ref((): any => item.id, { onDelete: "set null" })
      .nullable()
      .doc("Self reference"),
    code: col.varchar(20),
    title: col.text(),
    body: col.text().nullable(),
    count: col.integer().default(0),
    big: col.bigint().default(-5),
    price: col.decimal(10, 2).default("9.90"),
    ratio: col.double().default(0.5).between(0, 1),
    active: col.boolean().default(true),
    flagged: col.boolean().default(false),
    born: col.date().nullable().default("2020-01-31"),
    seenAt: col.timestamp().nullable(),
    tags: col.json<string[]>().default(["a", "b"]),
    settings: col.json().default({ theme: "dark", n: 1 }),
    external: col.uuid().nullable(),
    stage: col.enum(Stage).default("draft"),
    note: col.varchar(100).default("it's \\ here"),
  },
  {
    doc: "Things an org has",
    unique: [["orgId", "code"]],
    indexes: [["stage", "seenAt"], { columns: ["code"], unique: true, name: "ux_item_code" }],
    checks: [
      { name: "ck_item_count_positive", predicate: expr.min("count", 0) },
      { name: "ck_item_body_title", predicate: expr.or(expr.isNull("body"), expr.isNotNull("title")) },
    ],
  },
);
const itemLink = table(
  "item_link",
  {
    itemId: ref(() => item.id, { onDelete: "cascade", onUpdate: "cascade" }),
    orgId: ref(() => org.id, { onDelete: "restrict" }),
    label: col.varchar(30),
  },
  { primaryKey: ["itemId", "label"] },
);
const rich = schema({ org, item, itemLink });

/**
 * Spellings engines reprint (escapes, JSON, decimals) and constraint names long enough to be hashed.
 * MySQL refuses a partial unique index, so it gets none.
 */
function edges(d: "sqlite" | "postgres" | "mysql"): Schema {
  const Odd = enumOf("odd", ["a,b", "x)", "it's", "back\\slash"]);
  const parent = table("parent", { code: col.varchar(10).primaryKey(), n: col.integer() });
  const longTable = table(
    "a_table_name_long_enough_that_constraint_names_must_be_hashed",
    {
      id: col.integer().primaryKey(),
      aLongishColumnNameForHashedConstraintNames: col.boolean().default(false),
      odd: col.enum(Odd).default("x)"),
      tiny: col.double().default(1e-7),
      dec: col.decimal(6, 3).default("0.5"),
      str: col.json().default("str"),
      nested: col.json().default({ a: [1, { b: null }], "q'": 'x"y' }),
      parentCode: ref(() => parent.code, { onDelete: "set null", onUpdate: "cascade" })
        .nullable()
        .doc('it\'s "quoted"\nand two lines'),
      email: col.varchar(100).nullable(),
    },
    {
      doc: "it's",
      indexes:
        d === "mysql"
          ? []
          : [{ columns: ["email"], unique: true, where: expr.isNotNull("email"), name: "ux_live" }],
    },
  );
  return schema({ parent, longTable });
}

const TEST_KEYS = generateEncryptionKey("test");

async function withDb<T>(engine: TestEngine, s: Schema, fn: (db: Db<any>) => Promise<T>): Promise<T> {
  const fresh = await engine.freshDatabase();
  // Only the structure matters here; encrypted columns still need a key to connect, and the audited
  // table is declared for its metadata, with no audit table to record into.
  const db = await connect(fresh.url, s, { retry: { attempts: 1 }, encryptionKeys: TEST_KEYS, audit: false });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await fresh.drop();
  }
}

const samples = "/work/shared/reference/samples";

/** A DDL script as single statements: drivers run one at a time. */
function statements(file: string): string[] {
  return readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*--.*$/gm, "")
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter(Boolean);
}

describeEngines("introspection", (engine) => {
  const d = engine.dialect;

  for (const [title, declared] of [
    ["the dns-filter blueprint", dnsFilter],
    ["a schema using every feature", rich],
    ["awkward names, literals and defaults", edges(d)],
  ] as const) {
    it(`reads back ${title} as declared`, async () => {
      await withDb(engine, declared, async (db) => {
        await db.createSchema();
        const live = await introspect(db.kysely, d);
        const expected = comparable(declared.model, d);
        const actual = comparable(live, d);
        expect(describeDifferences(expected, actual)).toEqual([]);
        expect(actual).toEqual(expected);
      });
    });
  }

  it("reads what the live database has, not what the model says", async () => {
    await withDb(engine, rich, async (db) => {
      await db.createSchema();
      const model = await introspect(db.kysely, d);
      const itemModel = model.tables.find((t) => t.name === "item")!;
      expect(itemModel.columns.map((c) => c.key).slice(0, 3)).toEqual(["id", "orgId", "parentId"]);
      const column = (name: string) => itemModel.columns.find((c) => c.name === name);
      expect(column("stage")).toMatchObject({
        type: { kind: "enum", values: ["draft", "live", "it's gone"] },
        default: { kind: "literal", value: "draft" },
      });
      expect(column("note")!.default).toEqual({ kind: "literal", value: "it's \\ here" });
      expect(column("settings")!.default).toEqual({ kind: "literal", value: { theme: "dark", n: 1 } });
      expect(column("active")!.default).toEqual({ kind: "literal", value: true });
      expect(column("big")!.default).toEqual({ kind: "literal", value: -5 });
      const orgModel = model.tables.find((t) => t.name === "org")!;
      expect(orgModel.columns.find((c) => c.name === "updated_at")).toMatchObject({
        default: { kind: "now" },
        autoUpdate: true,
      });
      const check = itemModel.checks.find((c) => c.name === "ck_item_count_positive")!;
      expect(check.predicate).toMatchObject({ op: "raw", sql: { [d]: expect.stringContaining("count") } });
      expect(itemModel.checks.map((c) => c.name)).not.toContain("ck_item_stage_enum");
    });
  });

  it("sees changes made by hand, and names them", async () => {
    await withDb(engine, rich, async (db) => {
      await db.createSchema();
      const dialect = dialectOf(d);
      const itemModel = rich.model.tables.find((t) => t.name === "item")!;
      await sql.raw(`ALTER TABLE ${dialect.quote("item")} ADD COLUMN extra INTEGER`).execute(db.kysely);
      await sql.raw(dialect.dropIndexStatement(itemModel, "ix_item_stage_seen_at")).execute(db.kysely);
      const expected = comparable(rich.model, d);
      const actual = comparable(await introspect(db.kysely, d), d);
      expect(actual).not.toEqual(expected);
      expect(describeDifferences(expected, actual)).toEqual([
        "unexpected column extra on item",
        "missing index ix_item_stage_seen_at on item",
      ]);
    });
  });

  it("reads an empty database as no tables", async () => {
    await withDb(engine, schema({}), async (db) => {
      expect(await introspect(db.kysely, d)).toEqual({ tables: [] });
    });
  });

  it("leaves plinth's own tables out unless told otherwise", async () => {
    await withDb(engine, schema({}), async (db) => {
      await sql.raw("CREATE TABLE plinth_migrations (id INTEGER PRIMARY KEY)").execute(db.kysely);
      expect(await introspect(db.kysely, d)).toEqual({ tables: [] });
      const all = await introspect(db.kysely, d, { exclude: () => false });
      expect(all.tables.map((t) => t.name)).toEqual(["plinth_migrations"]);
    });
  });

  const chinook = join(samples, "chinook", `chinook_${d === "postgres" ? "postgresql" : d}_ddl.sql`);
  const haveSamples = existsSync(chinook);
  if (!haveSamples) {
    console.warn(
      `\n!!! ${samples} is missing: third-party schema introspection tests are SKIPPED (${engine.name}) !!!\n`,
    );
  }
  it.skipIf(!haveSamples)("reads a third-party schema (Chinook) it did not create", async () => {
    await withDb(engine, schema({}), async (db) => {
      for (const statement of statements(chinook)) await sql.raw(statement).execute(db.kysely);
      const model = await introspect(db.kysely, d);
      expect(model.tables).toHaveLength(11);
      expect(model.tables.flatMap((t) => t.foreignKeys)).toHaveLength(11);
      expect(model.tables.flatMap((t) => t.indexes)).toHaveLength(11);
      const track = model.tables.find((t) => t.name.toLowerCase() === "track")!;
      expect(track.foreignKeys.map((f) => f.refTable.toLowerCase()).sort()).toEqual([
        "album",
        "genre",
        expect.stringMatching(/^media_?type$/),
      ]);
      const playlistTrack = model.tables.find((t) => /^playlist_?track$/i.test(t.name))!;
      expect(playlistTrack.primaryKey.columns).toHaveLength(2);
    });
  });
});

describe("describeDifferences", () => {
  it("names each difference on one line", () => {
    const expected = comparable(dnsFilter.model, "postgres");
    const actual = structuredClone(expected);
    const realm = actual.tables.find((t) => t.name === "realm")!;
    realm.columns.find((c) => c.name === "record_types")!.nullable = false;
    realm.indexes = [];
    actual.tables = actual.tables.filter((t) => t.name !== "settings");
    actual.tables.push({ ...realm, name: "zzz" });
    expect(describeDifferences(expected, actual)).toEqual([
      "table realm: column record_types: nullable true ≠ false",
      "missing index ix_realm_realm_value on realm",
      "missing table settings",
      "unexpected table zzz",
    ]);
  });
});
