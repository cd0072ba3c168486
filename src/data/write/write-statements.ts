import { sql } from "kysely";
import type { Encoder } from "../codec-plugin.js";
import type { NativeForm } from "../reusable-statement.js";
import { ReusableStatement, ShapeCache } from "../reusable-statement.js";
import { Slot } from "../statement-template.js";
import type { AnyRow, TableAccess } from "../table-access.js";

/** A compiled statement and the values of one call, in slot order. */
export interface Filled {
  statement: ReusableStatement;
  values: unknown[];
}

/**
 * The INSERT … RETURNING and UPDATE … RETURNING of one table, compiled once per shape (which columns,
 * how many rows, versioned or not) with Slots for the values, which the codec's per-column
 * conversions fill in per call: the values the codec writes for a statement built with the query
 * builder, without building one. The codec's checks are not run again: every value comes from
 * prepareInsert or prepareUpdate, whose Validator runs the same checks (see `converter`), and a
 * column written as given costs nothing. Statements run as ReusableStatement runs them (SQLite's
 * driver, the pool's prepared statements, or the caller's transaction).
 *
 * Values that are SQL expressions (`sql\`…\``) or that the codec would not see as plain values go the
 * builder's way: `insert` and `update` say undefined.
 */
export class WriteStatements {
  private readonly shapes = new ShapeCache<ReusableStatement | null>();
  private readonly converters = new Map<string, Encoder | null>();

  private constructor(private readonly t: TableAccess) {}

  /** Only for handles that run plinth's own plugins (others must see every statement built). */
  static of(t: TableAccess): WriteStatements | undefined {
    return t.points.available && t.codec ? new WriteStatements(t) : undefined;
  }

  /** The INSERT of `rows` (already prepared: validated, keys generated), all with the first row's keys. */
  insert(rows: readonly AnyRow[]): Filled | undefined {
    const keys = Object.keys(rows[0]!);
    // A row of defaults only has no column list to compile (see Writes.insertBatch).
    if (keys.length === 0) return undefined;
    const converters: (Encoder | null)[] = [];
    for (const key of keys) {
      const converter = this.converter(key);
      if (converter === undefined) return undefined;
      converters.push(converter);
    }
    const width = keys.length;
    const values = new Array<unknown>(rows.length * width);
    let at = 0;
    for (const row of rows) {
      for (let k = 0; k < width; k++) {
        const value = row[keys[k]!];
        if (!plainValue(value)) return undefined;
        const convert = converters[k];
        values[at++] = convert && value !== null ? convert(value) : value;
      }
    }
    const shape = `insert ${rows.length} ${keys.join(",")}`;
    const statement = this.shapes.get(shape, () => this.compileInsert(keys, rows.length) ?? null);
    return statement ? { statement, values } : undefined;
  }

  /** The UPDATE of one live row by its key values, at `expectedVersion` when given (`set` from prepareUpdate). */
  update(key: readonly unknown[], set: AnyRow, expectedVersion: number | undefined): Filled | undefined {
    const { t } = this;
    const keys: string[] = [];
    const values: unknown[] = [];
    for (const k of Object.keys(set)) {
      if (k === t.version) continue; // incremented in the statement
      const convert = this.converter(k);
      const value = set[k];
      if (convert === undefined || !plainValue(value)) return undefined;
      keys.push(k);
      values.push(convert && value !== null ? convert(value) : value);
    }
    for (const v of key) values.push(v);
    if (expectedVersion !== undefined) values.push(expectedVersion);
    const shape = `update ${expectedVersion !== undefined ? "v" : "-"} ${keys.join(",")}`;
    const statement = this.shapes.get(shape, () => this.compileUpdate(keys, expectedVersion !== undefined));
    return statement ? { statement, values } : undefined;
  }

  /**
   * How a value of `key` is written: a conversion, `null` when it goes as given, undefined for a key
   * that is no column. Only the conversion: the values come from prepareInsert or prepareUpdate, whose
   * Validator has run the same checks the codec's encoders run on statements built with Kysely.
   */
  private converter(key: string): Encoder | null | undefined {
    let converter = this.converters.get(key);
    if (converter === undefined) {
      const name = this.t.columnNames.get(key);
      converter = name === undefined ? undefined : this.t.codec!.converterOf(this.t.name, name);
      if (converter === undefined) return undefined;
      this.converters.set(key, converter);
    }
    return converter;
  }

  private compileInsert(keys: string[], count: number): ReusableStatement | undefined {
    const { t } = this;
    const width = keys.length;
    // The same slots in both forms: ReusableStatement matches their parameters by identity.
    const marks = Array.from({ length: count * width }, (_, i) => new Slot(i));
    const rowsOf = (column: (key: string) => string) =>
      Array.from({ length: count }, (_, r) =>
        Object.fromEntries(keys.map((k, c) => [column(k), marks[r * width + c]])),
      );
    const compiled = t.root
      .insertInto(t.name)
      .values(rowsOf((k) => k))
      .returningAll()
      .compile();
    // Every value must be a slot: anything the codec added (a generated key) would be the same in every call.
    if (!compiled.parameters.every((p) => p instanceof Slot)) return undefined;
    // The driver's own form selects each column under its key, so a row needs only decoding.
    const nameOf = (k: string) => t.columnNames.get(k)!;
    const columns = t.model.columns;
    const native: NativeForm = {
      query: t.root
        .withoutPlugins()
        .insertInto(t.name)
        .values(rowsOf(nameOf))
        .returning(columns.map((c) => `${c.name} as ${c.key}`) as any)
        .compile(),
      decode: t.decodeKeyed,
    };
    return new ReusableStatement(t.drivers, compiled, native, count * width);
  }

  private compileUpdate(keys: string[], versioned: boolean): ReusableStatement | null {
    const { t } = this;
    const set: AnyRow = {};
    keys.forEach((k, i) => {
      set[k] = new Slot(i);
    });
    if (t.version) set[t.version] = sql`${sql.ref(t.version)} + 1`;
    let u: any = t.root.updateTable(t.name).set(set);
    t.pk.forEach((k, i) => {
      u = u.where(k, "=", new Slot(keys.length + i));
    });
    u = t.live(u);
    if (versioned) u = u.where(t.version!, "=", new Slot(keys.length + t.pk.length));
    const compiled = u.returningAll().compile();
    if (!compiled.parameters.every((p: unknown) => p instanceof Slot)) return null;
    // The codec adds to an UPDATE (the touched timestamp on SQLite): the driver runs the same text
    // and its rows come back under database names.
    const native: NativeForm = { query: compiled, decode: (row) => t.decodeNamed(row) };
    return new ReusableStatement(
      t.drivers,
      compiled,
      native,
      keys.length + t.pk.length + (versioned ? 1 : 0),
    );
  }
}

/** A value the codec encodes as a value: not a SQL expression or an expression factory. */
function plainValue(v: unknown): boolean {
  if (typeof v === "function") return false;
  return (
    typeof v !== "object" ||
    v === null ||
    typeof (v as { toOperationNode?: unknown }).toOperationNode !== "function"
  );
}
