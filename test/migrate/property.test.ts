import fc from "fast-check";
import { sql } from "kysely";
import type { ColumnModel, Db, SchemaModel, TableModel } from "plinth";
import { connect } from "plinth";
import { autodetect, EMPTY_STATE, migration } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeAll, expect, it } from "vitest";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";
import { applyMigration } from "../helpers/apply.js";

/**
 * Random schema pairs A → B: the migration the autodetector makes must turn a database holding rows
 * for A into exactly B (as introspection reads it back), and its reverse must restore A with the rows
 * of every surviving column intact.
 */

type Kind = "varchar" | "integer" | "boolean" | "text" | "enum" | "json" | "timestamp";

interface ColumnSpec {
  name: string;
  kind: Kind;
  nullable: boolean;
  length: number;
}

interface TableSpec {
  name: string;
  columns: ColumnSpec[];
  indexed: string[];
  unique: string[];
}

const columnName = fc.constantFrom("alpha", "beta", "gamma", "delta", "epsilon", "zeta");
const column: fc.Arbitrary<ColumnSpec> = fc.record({
  name: columnName,
  kind: fc.constantFrom<Kind>("varchar", "integer", "boolean", "text", "enum", "json", "timestamp"),
  nullable: fc.boolean(),
  length: fc.integer({ min: 20, max: 60 }),
});
const tableSpec = (name: string): fc.Arbitrary<TableSpec> =>
  fc.uniqueArray(column, { minLength: 1, maxLength: 4, selector: (c) => c.name }).chain((columns) =>
    fc.record({
      name: fc.constant(name),
      columns: fc.constant(columns),
      indexed: atMostOne(columns.filter((c) => indexable(c)).map((c) => c.name)),
      unique: atMostOne(columns.filter((c) => indexable(c) && c.kind !== "boolean").map((c) => c.name)),
    }),
  );
const indexable = (c: ColumnSpec) => c.kind !== "text" && c.kind !== "json";
const atMostOne = (names: string[]) => fc.subarray(names, { maxLength: Math.min(1, names.length) });

/** A change that keeps data: only additions, widenings, relaxations and drops of optional columns. */
type Change =
  | { kind: "addColumn"; column: ColumnSpec }
  | { kind: "dropOptionalColumn" }
  | { kind: "widen" }
  | { kind: "relax" }
  | { kind: "toggleIndex" }
  | { kind: "dropUnique" }
  | { kind: "addTable" }
  | { kind: "renameColumn" };

const change: fc.Arbitrary<Change> = fc.oneof(
  column.map((c) => ({
    kind: "addColumn" as const,
    column: { ...c, name: `new_${c.name}`, nullable: true },
  })),
  fc.constant({ kind: "dropOptionalColumn" as const }),
  fc.constant({ kind: "widen" as const }),
  fc.constant({ kind: "relax" as const }),
  fc.constant({ kind: "toggleIndex" as const }),
  fc.constant({ kind: "dropUnique" as const }),
  fc.constant({ kind: "addTable" as const }),
  fc.constant({ kind: "renameColumn" as const }),
);

/** Applies the changes to a copy of A; `renames` collects "item.old" → "new" for the autodetector. */
function mutate(
  a: TableSpec[],
  changes: Change[],
  extra: TableSpec,
  renames: Record<string, string> = {},
): TableSpec[] {
  const b: TableSpec[] = structuredClone(a);
  const t = b[0]!;
  for (const c of changes) {
    switch (c.kind) {
      case "addColumn":
        if (!t.columns.some((x) => x.name === c.column.name)) t.columns.push(c.column);
        break;
      case "dropOptionalColumn": {
        // Optional in A: a column A requires cannot come back with its rows (see the drop-column lint).
        const victim = t.columns.find(
          (x) => a[0]!.columns.find((o) => o.name === x.name)?.nullable && t.columns.length > 1,
        );
        if (victim) {
          t.columns = t.columns.filter((x) => x !== victim);
          t.indexed = t.indexed.filter((x) => x !== victim.name);
          t.unique = t.unique.filter((x) => x !== victim.name);
        }
        break;
      }
      case "widen":
        for (const x of t.columns) if (x.kind === "varchar") x.length += 10;
        break;
      case "relax":
        for (const x of t.columns) x.nullable = true;
        break;
      case "toggleIndex": {
        const candidate = t.columns.find(indexable);
        if (candidate) t.indexed = t.indexed.length ? [] : [candidate.name];
        break;
      }
      case "dropUnique":
        t.unique = [];
        break;
      case "addTable":
        if (!b.some((x) => x.name === extra.name)) b.push(extra);
        break;
      case "renameColumn": {
        // Only columns of A, once each: the rename is declared to the autodetector like --rename.
        const victim = t.columns.find(
          (x) => a[0]!.columns.some((o) => o.name === x.name) && !x.name.endsWith("_renamed"),
        );
        if (!victim) break;
        const to = `${victim.name}_renamed`;
        renames[`${t.name}.${victim.name}`] = to;
        t.indexed = t.indexed.map((n) => (n === victim.name ? to : n));
        t.unique = t.unique.map((n) => (n === victim.name ? to : n));
        victim.name = to;
        break;
      }
    }
  }
  return b;
}

const Mood = ["calm", "busy", "away"] as const;

function declare(specs: TableSpec[]): SchemaModel {
  const tables = Object.fromEntries(
    specs.map((s) => {
      const columns: Record<string, any> = { id: col.id() };
      for (const c of s.columns) {
        let column: any;
        switch (c.kind) {
          case "varchar":
            column = col.varchar(c.length);
            break;
          case "integer":
            column = col.integer();
            break;
          case "boolean":
            column = col.boolean();
            break;
          case "text":
            column = col.text();
            break;
          case "enum":
            column = col.enum({ name: "mood", values: Mood });
            break;
          case "json":
            column = col.json();
            break;
          case "timestamp":
            column = col.timestamp();
            break;
        }
        columns[c.name] = c.nullable ? column.nullable() : column;
      }
      return [
        s.name,
        table(s.name, columns, { indexes: s.indexed.map((n) => [n]), unique: s.unique.map((n) => [n]) }),
      ];
    }),
  );
  return schema(tables).model;
}

/** A value for row `i` that is distinct per row, so unique constraints hold. */
function value(c: ColumnModel, i: number, dialect: string): unknown {
  switch (c.type.kind) {
    case "varchar":
    case "text":
      return `v${i}`;
    case "integer":
      return i * 7;
    case "boolean":
      return dialect === "postgres" ? i % 2 === 0 : i % 2;
    case "enum":
      return Mood[i % 3];
    case "json":
      return JSON.stringify({ i });
    case "timestamp":
      return dialect === "sqlite"
        ? new Date(Date.UTC(2024, 0, 1 + i)).toISOString()
        : new Date(Date.UTC(2024, 0, 1 + i));
    default:
      return null;
  }
}

async function insertRows(db: Db<any>, t: TableModel, dialect: string, count: number): Promise<void> {
  for (let i = 1; i <= count; i++) {
    const cols = t.columns.filter((c) => c.generated !== "identity");
    const q = db.dialect === "mysql" ? "`" : '"';
    const names = cols.map((c) => `${q}${c.name}${q}`).join(", ");
    const values = cols.map((c) => value(c, i, dialect));
    await sql`INSERT INTO ${sql.table(t.name)} (${sql.raw(names)}) VALUES (${sql.join(values)})`.execute(
      db.kysely,
    );
  }
}

/** Every column's values, by table, for the columns both schemas share. */
/**
 * The values of every column A and B share (through renames too), keyed by A's names; `current`
 * says which names the database has now.
 */
async function snapshotRows(
  db: Db<any>,
  a: SchemaModel,
  b: SchemaModel,
  renames: Record<string, string>,
  current: "a" | "b",
): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of a.tables) {
    const other = b.tables.find((x) => x.name === t.name);
    if (!other) continue;
    const inB = (c: string) => renames[`${t.name}.${c}`] ?? c;
    const shared = t.columns
      .filter((c) => other.columns.some((o) => o.name === inB(c.name)))
      .map((c) => c.name);
    const select = shared.map((c) => sql`${sql.ref(current === "a" ? c : inB(c))} AS ${sql.ref(c)}`);
    const { rows } = await sql`SELECT ${sql.join(select)} FROM ${sql.table(t.name)} ORDER BY id`.execute(
      db.kysely,
    );
    out[t.name] = rows.map((r: any) =>
      JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? Number(v) : v))),
    );
  }
  return out;
}

const scale = Number(process.env.PLINTH_PROPERTY_SCALE) || 1;
const runs: Record<string, number> = {
  sqlite: 25 * scale,
  pglite: 10 * scale,
  postgres: 15 * scale,
  mysql: 8 * scale,
};

describeEngines("migrations on random schema pairs (property)", (engine) => {
  let db: Db<any>;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, schema({}), { retry: { attempts: 1 } });
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });

  const expectState = async (expected: SchemaModel, label: string) => {
    const live = comparable(await introspect(db.kysely, engine.dialect), engine.dialect);
    const want = comparable(expected, engine.dialect);
    expect(describeDifferences(want, live), label).toEqual([]);
    expect(live, label).toEqual(want);
  };

  it("up turns A into B, down restores A with its rows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(tableSpec("item"), tableSpec("extra"), fc.array(change, { minLength: 1, maxLength: 4 })),
        async ([itemSpec, extraSpec, changes]) => {
          const a = declare([itemSpec]);
          const renames: Record<string, string> = {};
          const b = declare(mutate([itemSpec], changes, extraSpec, renames));
          const first = migration({
            id: "a",
            description: "A",
            parents: [],
            operations: autodetect(EMPTY_STATE, a).operations,
          });
          const second = migration({
            id: "b",
            description: "B",
            parents: ["a"],
            operations: autodetect(a, b, { columns: renames }).operations,
          });
          await applyMigration(db.kysely, engine.dialect, first, EMPTY_STATE);
          try {
            for (const t of a.tables) await insertRows(db, t, engine.dialect, 3);
            const before = await snapshotRows(db, a, b, renames, "a");
            await applyMigration(db.kysely, engine.dialect, second, a);
            await expectState(b, "after up");
            expect(await snapshotRows(db, a, b, renames, "b")).toEqual(before);
            await applyMigration(db.kysely, engine.dialect, second, a, "down");
            await expectState(a, "after down");
            expect(await snapshotRows(db, a, b, renames, "a")).toEqual(before);
          } finally {
            // Leave an empty database for the next run, whatever happened.
            await applyMigration(db.kysely, engine.dialect, first, EMPTY_STATE, "down").catch(async () => {
              for (const t of ["extra", "item"])
                await sql`DROP TABLE IF EXISTS ${sql.table(t)}`.execute(db.kysely);
            });
          }
        },
      ),
      {
        numRuns: runs[engine.name] ?? 5,
        seed: Number(process.env.PLINTH_PROPERTY_SEED) || undefined,
        endOnFailure: true,
      },
    );
  });
});
