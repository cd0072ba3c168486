import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { SqlDialect } from "../../dialect/index.js";
import { renderPredicate } from "../../dialect/index.js";
import { parentsFirst, sampleValue } from "../../migrate/sample-rows.js";
import type { ColumnModel, Predicate, TableModel } from "../../schema/index.js";
import type { ReviewContext, Rule, RuleHit } from "../engine/types.js";
import { accepted, bindable, kept, rolledBack } from "./live.js";
import { tableOf } from "./model.js";

type Row = Record<string, unknown>;

/** Row numbers far from what sample data and tests use, so probe rows collide with nothing else. */
const BASE = 7_901;
const CONTROL = 7_902;
const SPARE = 7_903;

/**
 * Each constraint the declaration has, tried on the live database: inside a transaction that is
 * always rolled back, a duplicate into each unique key, a NULL into each NOT NULL column, an orphan
 * into each foreign key and a value out of each enum's or CHECK's domain. A row the database
 * accepts is a constraint it does not have, whatever its catalog says. Every probe row is valid but
 * for the one value it tries (a control row is inserted first; a table whose control row is refused
 * is not probed), so a refusal is the constraint at work. Nothing is kept. For each constraint the
 * database lacks, the finding also counts the rows already stored that break it: what must be
 * repaired before the migration that adds it can run.
 *
 * Bad:  the declaration has `email` unique; the database, created by hand, has no unique key on it
 * Good: every probe is refused
 */
export const constraintProbe: Rule = {
  id: "constraint-probe",
  group: "integrity",
  severity: "error",
  needs: ["declaration", "catalog", "probe"],
  summary: "The database accepts a row that breaks a constraint of the declaration.",
  why: "The constraint exists only on paper: the data it was meant to keep out can be written.",
  recipe:
    "count the rows that already break it and repair them, then add the constraint (plinth diff, then a migration)",
  check: async (ctx) => {
    const probed = await rolledBack(ctx.db!, (trx) => probeAll(ctx, trx));
    // Counted after the rollback, so no probe row is among them.
    for (const { hit, breaking } of probed) hit.message += await existingRows(ctx.db!, breaking);
    return probed.map((p) => p.hit);
  },
};

/** A finding and the query counting the stored rows that break the missing constraint. */
interface Probed {
  hit: RuleHit;
  /** `SELECT COUNT(*) AS n …` */
  breaking: string;
}

async function existingRows(db: Kysely<any>, count: string): Promise<string> {
  const { rows } = await sql.raw<{ n: number | string | bigint }>(count).execute(db);
  const n = Number(rows[0]?.n ?? 0);
  return n === 0
    ? "; no stored row breaks it, so it can be added as it is"
    : `; ${n} stored row(s) already break it and must be repaired before it is added`;
}

/** Counting queries for each kind of missing constraint, in the engine's SQL. */
function breakingRows(d: SqlDialect, t: TableModel) {
  const q = (name: string) => d.quote(name);
  const from = q(t.name);
  return {
    unique: (columns: readonly string[]) =>
      `SELECT COUNT(*) AS n FROM (SELECT 1 AS one FROM ${from} WHERE ${columns.map((c) => `${q(c)} IS NOT NULL`).join(" AND ")} GROUP BY ${columns.map(q).join(", ")} HAVING COUNT(*) > 1) dup`,
    nulls: (column: string) => `SELECT COUNT(*) AS n FROM ${from} WHERE ${q(column)} IS NULL`,
    orphans: (columns: readonly string[], parent: string, refColumns: readonly string[]) =>
      `SELECT COUNT(*) AS n FROM ${from} child WHERE ${columns.map((c) => `child.${q(c)} IS NOT NULL`).join(" AND ")} AND NOT EXISTS (SELECT 1 FROM ${q(parent)} parent WHERE ${columns.map((c, i) => `parent.${q(refColumns[i]!)} = child.${q(c)}`).join(" AND ")})`,
    outside: (column: string, values: readonly (string | number)[]) =>
      `SELECT COUNT(*) AS n FROM ${from} WHERE ${q(column)} NOT IN (${values.map((v) => (typeof v === "number" ? String(v) : d.literal(v))).join(", ")})`,
    // A CHECK passes on NULL, and NOT (NULL) is not true: the count agrees with the constraint.
    failing: (predicate: Predicate) =>
      `SELECT COUNT(*) AS n FROM ${from} WHERE NOT (${renderPredicate(predicate, d)})`,
  };
}

async function probeAll(ctx: ReviewContext, trx: Kysely<any>): Promise<Probed[]> {
  const hits: Probed[] = [];
  const dialect = ctx.dialect!;
  const model = ctx.declaration!.model;
  const present = new Set(ctx.catalog!.tables.map((t) => t.name));
  const tables = parentsFirst(model).filter((t) => present.has(t.name));
  /** A row of each table, inserted here (or found), that children reference and duplicates copy. */
  const base = new Map<string, Row>();
  /**
   * A second row of each table, for children's control rows: a link table keyed by its two
   * foreign keys gets a control row whose key is not the base row's again.
   */
  const spare = new Map<string, Row>();
  const insert = (t: TableModel, row: Row) => trx.insertInto(t.name).values(bindable(dialect, row)).execute();
  const stored = async (t: TableModel, row: Row) => {
    const [found] = await trx.selectFrom(t.name).selectAll().where(keyFilter(t, row)).limit(1).execute();
    return { ...row, ...(found as Row) };
  };

  for (const t of tables) {
    const ownBase = rowFor(t, BASE, base);
    if (ownBase && (await kept(trx, () => insert(t, ownBase)))) {
      base.set(t.name, await stored(t, ownBase));
    } else {
      const [existing] = await trx.selectFrom(t.name).selectAll().limit(1).execute();
      if (existing) base.set(t.name, existing as Row);
    }
    const ownSpare = rowFor(t, SPARE, base);
    if (ownSpare && (await kept(trx, () => insert(t, ownSpare))))
      spare.set(t.name, await stored(t, ownSpare));
    const control = rowFor(t, CONTROL, new Map([...base, ...spare]));
    if (!control || !(await accepted(trx, () => insert(t, control)))) continue;
    const count = breakingRows(dialect, t);
    const tryRow = async (object: string, row: Row, message: string, breaking: string, fix?: string) => {
      if (await accepted(trx, () => insert(t, row))) {
        const hit: RuleHit = { object, table: t.name, message };
        if (fix) hit.fix = fix;
        hits.push({ hit, breaking });
      }
    };

    // A duplicate of the base row's key (which we inserted, so it is a live row, never a deleted one).
    const own = ownBase && base.get(t.name);
    for (const u of own ? uniqueKeysOf(t) : []) {
      const values = u.columns.map((c) => own![c]);
      if (values.some((v) => v === null || v === undefined)) continue;
      const row = { ...control };
      u.columns.forEach((c, i) => {
        row[c] = values[i];
      });
      await tryRow(
        `${t.name}/${u.name}`,
        row,
        `${t.name} accepted a second row with the same ${u.columns.join(", ")}: the unique key ${u.name} is missing`,
        count.unique(u.columns),
        dialect.indexStatement(t, { name: u.name, columns: u.columns, unique: true }),
      );
    }

    for (const c of t.columns) {
      if (c.nullable || c.generated || c.computed) continue;
      await tryRow(
        `${t.name}.${c.name}:not-null`,
        { ...control, [c.name]: null },
        `${t.name} accepted NULL in ${c.name}, which the declaration makes NOT NULL`,
        count.nulls(c.name),
      );
    }

    for (const fk of t.foreignKeys) {
      const parent = tableOf(model, fk.refTable);
      const orphan = fk.columns.map((name) => orphanValue(t.columns.find((c) => c.name === name)));
      if (!parent || orphan.some((v) => v === undefined)) continue;
      let q = trx.selectFrom(fk.refTable).select(fk.refColumns[0]!);
      fk.refColumns.forEach((rc, i) => {
        q = q.where(rc, "=", orphan[i]);
      });
      if ((await q.execute()).length > 0) continue;
      const row = { ...control };
      fk.columns.forEach((c, i) => {
        row[c] = orphan[i];
      });
      await tryRow(
        `${t.name}/${fk.name}`,
        row,
        `${t.name} accepted a row whose ${fk.columns.join(", ")} points at no ${fk.refTable} row: the foreign key ${fk.name} is not enforced`,
        count.orphans(fk.columns, fk.refTable, fk.refColumns),
      );
    }

    for (const c of t.columns) {
      if (c.type.kind !== "enum") continue;
      await tryRow(
        `${t.name}.${c.name}:domain`,
        { ...control, [c.name]: outsideOf(c.type.values) },
        `${t.name} accepted a value of ${c.name} outside its enum (${c.type.values.join(", ")})`,
        count.outside(c.name, c.type.values),
      );
    }
    for (const k of t.checks) {
      const bad = violation(t, k.predicate);
      if (!bad) continue;
      await tryRow(
        `${t.name}/${k.name}`,
        { ...control, [bad.column]: bad.value },
        `${t.name} accepted a value of ${bad.column} that the CHECK ${k.name} refuses`,
        count.failing(k.predicate),
      );
    }
  }
  return hits;
}

/** Unique keys the database must enforce on every row: partial ones (soft-deleted rows) left out. */
function uniqueKeysOf(t: TableModel): { name: string; columns: string[] }[] {
  return [
    ...t.uniques.map((u) => ({ name: u.name, columns: u.columns })),
    ...t.indexes.filter((ix) => ix.unique && !ix.where).map((ix) => ({ name: ix.name, columns: ix.columns })),
  ];
}

/** A row that satisfies every declared constraint, or undefined (a native type, a missing parent). */
function rowFor(t: TableModel, i: number, base: Map<string, Row>): Row | undefined {
  const row: Row = {};
  const inKeys = new Set(uniqueKeysOf(t).flatMap((u) => u.columns));
  for (const c of t.columns) {
    if (c.generated === "identity" || c.computed) continue;
    const fk = t.foreignKeys.find((f) => f.columns.includes(c.name));
    if (fk) {
      const parent = base.get(fk.refTable);
      if (parent) row[c.name] = parent[fk.refColumns[fk.columns.indexOf(c.name)]!];
      else if (!c.nullable) return undefined;
      continue;
    }
    // NULLs and defaults left to the database, but unique columns filled so a duplicate means one.
    if ((c.nullable || c.default) && !inKeys.has(c.name)) continue;
    const value = hashChecked(t, c) ? `$2b$10$${`${i}`.padEnd(53, "a")}` : sampleValue(c, i, "minimal");
    if (value === undefined) {
      if (c.nullable || c.default) continue;
      return undefined;
    }
    row[c.name] = value;
  }
  return row;
}

function hashChecked(t: TableModel, c: ColumnModel): boolean {
  return t.checks.some((k) => k.predicate.op === "passwordHash" && k.predicate.column === c.name);
}

/** Selects the row just inserted by its primary key, or by every value given when it has none to give. */
function keyFilter(t: TableModel, row: Row) {
  const columns = t.primaryKey.columns.every((c) => row[c] !== undefined)
    ? t.primaryKey.columns
    : Object.keys(row).filter((c) => typeof row[c] === "string" || typeof row[c] === "number");
  return (eb: any) => eb.and(columns.map((c) => eb(c, "=", row[c])));
}

function orphanValue(c: ColumnModel | undefined): unknown {
  switch (c?.type.kind) {
    case "integer":
    case "bigint":
      return 2_000_000_011;
    case "uuid":
      return "00000000-0000-4000-8000-00000000dead";
    case "varchar":
      return "orphan!".slice(0, c.type.length);
    case "text":
      return "orphan!";
    default:
      return undefined;
  }
}

/** A value no enum of these values holds, no longer than the shortest of them. */
function outsideOf(values: readonly (string | number)[]): string | number {
  if (values.every((v) => typeof v === "number")) return Math.max(...(values as number[])) + 1_000;
  const length = Math.max(1, Math.min(...values.map((v) => String(v).length)));
  return "~".repeat(length);
}

/** A column and a value the predicate refuses, where one can be made from the predicate alone. */
function violation(t: TableModel, p: Predicate): { column: string; value: unknown } | undefined {
  const column = "column" in p ? t.columns.find((c) => c.name === p.column) : undefined;
  const numeric = column && ["integer", "bigint", "decimal", "double"].includes(column.type.kind);
  switch (p.op) {
    case "in":
      return { column: p.column, value: outsideOf(p.values) };
    case "between":
      return numeric ? { column: p.column, value: p.max + 1 } : undefined;
    case "compare": {
      if (!numeric || typeof p.value !== "number") return undefined;
      const by: Record<string, number> = { "=": 1, "<>": 0, "<": 0, "<=": 1, ">": 0, ">=": -1 };
      return { column: p.column, value: p.value + by[p.cmp]! };
    }
    case "length": {
      const max = column?.type.kind === "varchar" ? column.type.length : Number.POSITIVE_INFINITY;
      const wanted = {
        "=": p.value + 1,
        "<>": p.value,
        "<": p.value,
        "<=": p.value + 1,
        ">": 0,
        ">=": p.value - 1,
      }[p.cmp];
      return wanted >= 0 && wanted <= max ? { column: p.column, value: "x".repeat(wanted) } : undefined;
    }
    case "passwordHash":
      return { column: p.column, value: "not-a-hash" };
    case "and":
      for (const arg of p.args) {
        const v = violation(t, arg);
        if (v) return v;
      }
      return undefined;
    default:
      return undefined;
  }
}
