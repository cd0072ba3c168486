import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { ColumnModel, SchemaModel, TableModel } from "../schema/index.js";

type Row = Record<string, unknown>;

/** Rows each table gets: two, so unique keys and foreign keys are exercised with more than one value. */
const ROWS_PER_TABLE = 2;

/**
 * Fills every empty table of `state` with a few rows made from its declaration, parents before
 * children, so that a migration is proven on tables that hold data: a NOT NULL column added without
 * a default, a type narrowed below the values, or a down that loses data fails here, not in
 * production. Text fills its declared length, so narrowing it always meets a value too long.
 * Tables that cannot be filled from the declaration alone (a raw CHECK, a native type) are
 * reported and left empty. `db` carries no plugins: values go in as each engine takes them.
 */
export async function fillSampleRows(
  db: Kysely<any>,
  state: SchemaModel,
  /**
   * A later state (the history's end): a column that a later migration holds to a password hash's
   * shape gets a hash-shaped value already, as a database written through plinth would hold.
   */
  later?: SchemaModel,
): Promise<{ filled: string[]; skipped: string[] }> {
  const filled: string[] = [];
  const skipped: string[] = [];
  const rowsOf = new Map<string, Row[]>();
  for (const table of parentsFirst(state)) {
    const existing = (await db.selectFrom(table.name).selectAll().limit(ROWS_PER_TABLE).execute()) as Row[];
    if (existing.length > 0) {
      rowsOf.set(table.name, existing);
      continue;
    }
    // First rows that fill every column to its limits; when the table's checks refuse those, rows
    // that leave defaults and NULLs to the database and keep text short.
    let inserted = false;
    for (const style of ["full", "minimal"] as const) {
      const laterTable = later?.tables.find((t) => t.name === table.name);
      const rows = Array.from({ length: ROWS_PER_TABLE }, (_, i) =>
        sampleRow(table, i, rowsOf, style, laterTable),
      );
      if (rows.some((r) => r === undefined)) continue;
      try {
        await db.transaction().execute(async (trx) => {
          for (const row of rows) await trx.insertInto(table.name).values(row!).execute();
        });
        inserted = true;
        break;
      } catch {
        // The next style, or the table stays empty and is reported.
      }
    }
    if (!inserted) {
      skipped.push(table.name);
      continue;
    }
    rowsOf.set(table.name, (await db.selectFrom(table.name).selectAll().execute()) as Row[]);
    filled.push(table.name);
  }
  return { filled, skipped };
}

/** Every row of each table of `state`, in primary-key order, with values made comparable. */
export async function snapshotRows(db: Kysely<any>, state: SchemaModel): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  for (const t of state.tables) {
    let q = db.selectFrom(t.name).selectAll();
    for (const c of t.primaryKey.columns.length > 0 ? t.primaryKey.columns : t.columns.map((x) => x.name))
      q = q.orderBy(c);
    const rows = (await q.execute()) as Row[];
    out.set(
      t.name,
      rows.map((r) => normalised(r, t)),
    );
  }
  return out;
}

/**
 * Values as every engine agrees on them (dates as ISO text, JSON parsed, booleans as booleans).
 * autoUpdate columns are left out: the engine rewrites them on every update, by design.
 */
function normalised(row: Row, table: TableModel): Row {
  const out: Row = {};
  for (const c of table.columns) {
    if (c.autoUpdate) continue;
    const v = row[c.name];
    if (v instanceof Date) out[c.name] = v.toISOString();
    else if (c.type.kind === "json" && typeof v === "string") out[c.name] = JSON.parse(v);
    else if (c.type.kind === "boolean" && typeof v === "number") out[c.name] = v !== 0;
    else if (typeof v === "bigint") out[c.name] = v.toString();
    else if (v instanceof Uint8Array) out[c.name] = Buffer.from(v).toString("base64");
    else out[c.name] = v;
  }
  return out;
}

/** Tables ordered so each comes after the tables its foreign keys reference (cycles broken anywhere). */
export function parentsFirst(state: SchemaModel): TableModel[] {
  const byName = new Map(state.tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const out: TableModel[] = [];
  const visit = (t: TableModel, path: Set<string>) => {
    if (done.has(t.name) || path.has(t.name)) return;
    path.add(t.name);
    for (const fk of t.foreignKeys) {
      const parent = byName.get(fk.refTable);
      if (parent) visit(parent, path);
    }
    done.add(t.name);
    out.push(t);
  };
  for (const t of state.tables) visit(t, new Set());
  return out;
}

/** Row `i` of `table`, or undefined when a column cannot be given a value from the declaration alone. */
function sampleRow(
  table: TableModel,
  i: number,
  rowsOf: Map<string, Row[]>,
  style: "full" | "minimal",
  later: TableModel | undefined,
): Row | undefined {
  const row: Row = {};
  for (const c of table.columns) {
    if (c.generated === "identity" || c.computed) continue;
    if (style === "minimal" && (c.nullable || c.default)) continue;
    const fk = table.foreignKeys.find((f) => f.columns.includes(c.name));
    if (fk) {
      const parent = rowsOf.get(fk.refTable)?.[0];
      if (parent) row[c.name] = parent[fk.refColumns[fk.columns.indexOf(c.name)]!];
      else if (!c.nullable) return undefined;
      continue;
    }
    const hash = hashChecked(table, c.name) || (later !== undefined && hashChecked(later, c.name));
    const value = hash ? `$2b$10$${`${i}`.padEnd(53, "a")}` : sampleValue(c, i, style);
    if (value === undefined) {
      if (c.nullable || c.default) continue;
      return undefined;
    }
    row[c.name] = value;
  }
  return row;
}

/** Whether a CHECK holds the column to a password hash's shape (`col.password()`): it gets a bcrypt-shaped value. */
function hashChecked(table: TableModel, column: string): boolean {
  return table.checks.some((k) => k.predicate.op === "passwordHash" && k.predicate.column === column);
}

/**
 * A value for column `c` made from its declaration alone (row `i`, rows differ by `i`), or undefined
 * for a native type: "full" fills text to its declared length, "minimal" keeps it short.
 */
export function sampleValue(c: ColumnModel, i: number, style: "full" | "minimal"): unknown {
  const t = c.type;
  // Short text that passes the usual checks on names, domains and addresses.
  const short = `s${i}@s${i}.example.com`;
  switch (t.kind) {
    case "integer":
    case "bigint":
      return i + 1;
    case "varchar":
      // The declared length, full: a narrowing change meets a value that no longer fits.
      return style === "full" ? `${i}`.padEnd(t.length, "x") : short.slice(0, t.length);
    case "text":
      return style === "full" ? `${i}`.padEnd(300, "t") : short;
    case "enum":
      return t.values[i % t.values.length];
    case "boolean":
      return i % 2 === 0;
    case "decimal":
      return (10 ** Math.max(0, t.precision - t.scale - 1) + i).toFixed(t.scale);
    case "double":
      return 1.5 + i;
    case "timestamp":
      return new Date(Date.UTC(2024, 0, i + 1, 12));
    case "date":
      return new Date(Date.UTC(2024, 0, i + 1)).toISOString().slice(0, 10);
    case "json":
      return JSON.stringify({ sample: i });
    case "uuid":
      return randomUUID();
    case "binary":
      return Buffer.from([i, 1, 2]);
    case "native":
      return undefined;
  }
}
