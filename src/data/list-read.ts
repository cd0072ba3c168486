import { sql } from "kysely";
import type { ColumnModel, TableModel } from "../schema/index.js";
import type { CodecPlugin } from "./codec-plugin.js";
import type { OrderBy } from "./pagination.js";
import { normalizeOrder } from "./pagination.js";
import type { Liveness } from "./point-read.js";
import { readColumns } from "./point-read.js";
import type { Drivers } from "./reusable-statement.js";
import { ReusableStatement, ShapeCache } from "./reusable-statement.js";
import { Slot } from "./statement-template.js";

type AnyRow = Record<string, unknown>;

/** A list read as findMany takes it, the where an object (a callback where has no compiled form). */
export interface ListQuery {
  where?: unknown;
  orderBy?: OrderBy;
  limit?: number;
  offset?: number;
  liveness: Liveness;
  withHidden: boolean;
}

/** What one where entry asks: equality, IS NULL, IN of n values, or nothing (an empty IN). */
type Test = { key: string; op: "=" } | { key: string; op: "null" } | { key: string; op: "in"; size: number };

/** IN lists shorter than this get a statement of their own length; longer ones are padded (see padded). */
const EXACT_IN = 8;

/**
 * findMany without building a query per call. A read's shape (visibility, hidden columns, which
 * columns its where tests and how, the ordering, whether it has a limit and an offset) is compiled
 * once, with Slots for its values; a call fills them in. On SQLite the statement runs on the driver
 * and on a PostgreSQL server as a named prepared statement, selecting each column under its
 * TypeScript key, so the rows need only the codec's decoding (see ReusableStatement).
 *
 * `count` compiles the same way, one COUNT(*) per where shape.
 *
 * Reads it has no compiled form for (a callback where, an unknown column, a value that is not a
 * plain string, number, boolean, bigint or Date) are left to the query builder: `read` says
 * undefined.
 */
export class ListReader {
  /** By shape: the statement, and whether its where pins a unique key (see pinsOneRow). */
  private readonly shapes = new ShapeCache<{ statement: ReusableStatement; single: boolean }>();
  private readonly counts = new ShapeCache<ReusableStatement>();
  private readonly byKey: Map<string, ColumnModel>;
  /** Column sets (database names) that no two rows share; `liveOnly`: among rows not deleted. */
  private readonly uniqueKeys: { names: string[]; liveOnly: boolean }[];

  constructor(
    private readonly drivers: Drivers,
    private readonly model: TableModel,
    private readonly deletedAt: ColumnModel | undefined,
    private readonly codec: CodecPlugin | undefined,
    private readonly maxParameters: number,
  ) {
    this.byKey = new Map(model.columns.map((c) => [c.key, c]));
    const deleted = deletedAt?.name;
    this.uniqueKeys = [
      { names: model.primaryKey.columns, liveOnly: false },
      ...model.uniques.map((u) => ({ names: u.columns, liveOnly: false })),
      ...model.indexes
        .filter((i) => i.unique && (!i.where || (i.where.op === "isNull" && i.where.column === deleted)))
        .map((i) => ({ names: i.columns, liveOnly: i.where !== undefined })),
    ].filter((k) => k.names.length > 0);
  }

  read(o: ListQuery): Promise<AnyRow[]> | undefined {
    const filter = this.filter(o);
    if (!filter) return undefined;
    const { tests, values } = filter;
    let shape = filter.shape;
    const order = normalizeOrder(o.orderBy);
    for (const [key, direction] of order) {
      if (!this.byKey.has(key) || (direction !== "asc" && direction !== "desc")) return undefined;
      shape += `|${key} ${direction}`;
    }
    if (o.limit !== undefined) values.push(o.limit);
    if (o.offset !== undefined) values.push(o.offset);
    shape += `|${o.limit !== undefined ? "l" : ""}${o.offset !== undefined ? "o" : ""}`;
    const { statement, single } = this.shapes.get(shape, () => ({
      statement: this.compile(o, tests, order, values.length),
      single: this.pinsOneRow(tests, o.liveness),
    }));
    if (single) return statement.first(values, { read: true }).then((row) => (row ? [row] : []));
    return statement.rows(values, { read: true });
  }

  /**
   * Whether the where's equalities cover a unique key, so the read finds one row at most and the
   * driver may stop at the first (SQLite's `get`, a third faster than `all` on one row).
   */
  private pinsOneRow(tests: Test[], liveness: Liveness): boolean {
    const equal = new Set<string>();
    for (const test of tests) if (test.op === "=") equal.add(this.byKey.get(test.key)!.name);
    if (equal.size === 0) return false;
    return this.uniqueKeys.some(
      (k) => (!k.liveOnly || liveness === "live") && k.names.every((name) => equal.has(name)),
    );
  }

  /**
   * `count(where)` the same way: one compiled COUNT(*) per where shape, so a page with its total
   * builds no query for either. Ordering, limit and offset do not change a count and are ignored.
   */
  count(o: Pick<ListQuery, "where" | "liveness">): Promise<number> | undefined {
    const filter = this.filter({ ...o, withHidden: true });
    if (!filter) return undefined;
    const { tests, values, shape } = filter;
    const statement = this.counts.get(shape, () =>
      this.compile({ ...o, withHidden: true }, tests, [], values.length, true),
    );
    return statement.first(values, { read: true }).then((row) => Number(row!.count));
  }

  /**
   * A where object's shape (which columns it tests and how) and its values in slot order, or
   * undefined when it has no compiled form.
   */
  private filter(o: ListQuery): { tests: Test[]; values: unknown[]; shape: string } | undefined {
    const tests: Test[] = [];
    const values: unknown[] = [];
    let shape = `${o.liveness}${o.withHidden ? "+" : "-"}`;
    const where = o.where;
    if (where === undefined) return { tests, values, shape };
    if (typeof where !== "object" || where === null) return undefined;
    for (const key of Object.keys(where)) {
      const value = (where as AnyRow)[key];
      if (value === undefined) continue;
      if (!this.byKey.has(key)) return undefined;
      if (value === null) {
        tests.push({ key, op: "null" });
        shape += `|${key} null`;
      } else if (Array.isArray(value)) {
        if (!value.every(plain)) return undefined;
        const size = this.padded(value.length, values.length);
        for (let i = 0; i < size; i++) values.push(value[i < value.length ? i : value.length - 1]);
        tests.push({ key, op: "in", size });
        shape += `|${key} in ${size}`;
      } else {
        if (!plain(value)) return undefined;
        values.push(value);
        tests.push({ key, op: "=" });
        shape += `|${key} =`;
      }
    }
    return { tests, values, shape };
  }

  /**
   * How many values an IN list of `n` gets: its own length when short, else the next power of two,
   * the last value repeated (the same rows), so lists of many lengths share a few statements. Never
   * past the engine's parameter limit.
   */
  private padded(n: number, before: number): number {
    if (n < EXACT_IN) return n;
    const size = 2 ** Math.ceil(Math.log2(n));
    return before + size + 2 <= this.maxParameters ? size : n;
  }

  private compile(
    o: ListQuery,
    tests: Test[],
    order: [string, string][],
    count: number,
    counting = false,
  ): ReusableStatement {
    const columns = readColumns(this.model, o.withHidden);
    const marks = Array.from({ length: count }, (_, i) => new Slot(i));
    let next = 0;
    const build = (q: any, name: (key: string) => string) => {
      if (this.deletedAt && o.liveness !== "all")
        q = q.where(name(this.deletedAt.key), o.liveness === "live" ? "is" : "is not", null);
      for (const test of tests) {
        if (test.op === "null") q = q.where(name(test.key), "is", null);
        else if (test.op === "=") q = q.where(name(test.key), "=", marks[next++]);
        else if (test.size === 0) q = q.where(sql<boolean>`1 = 0`);
        else {
          q = q.where(name(test.key), "in", marks.slice(next, next + test.size));
          next += test.size;
        }
      }
      for (const [key, direction] of order) q = q.orderBy(name(key), direction);
      if (o.limit !== undefined) q = q.limit(marks[next++]);
      // SQLite and MySQL accept OFFSET only after a LIMIT.
      else if (o.offset !== undefined) q = q.limit(Number.MAX_SAFE_INTEGER);
      if (o.offset !== undefined) q = q.offset(marks[next++]);
      return q;
    };
    const { root } = this.drivers;
    next = 0;
    const countAll = (eb: any) => [eb.fn.countAll().as("count")];
    const compiled = build(
      root.selectFrom(this.model.name).select(counting ? countAll : (columns.map((c) => c.key) as any)),
      (key) => key,
    ).compile();
    next = 0;
    const nameOf = (key: string) => this.byKey.get(key)!.name;
    const native = build(
      root
        .withoutPlugins()
        .selectFrom(this.model.name)
        .select(counting ? countAll : (columns.map((c) => `${c.name} as ${c.key}`) as any)),
      nameOf,
    ).compile();
    const keys = columns.map((c) => c.key);
    const decode = counting ? undefined : this.codec?.rowDecoder(this.model.name, keys);
    return new ReusableStatement(
      this.drivers,
      compiled,
      { query: native, decode: decode ?? ((row) => row) },
      count,
    );
  }
}

/** A value a compiled statement binds as it is: what Kysely would bind for it too. */
function plain(v: unknown): boolean {
  const t = typeof v;
  return t === "string" || t === "number" || t === "boolean" || t === "bigint" || v instanceof Date;
}
