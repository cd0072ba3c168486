import type {
  ColumnModel,
  DefaultValue,
  Dialect,
  IndexModel,
  Predicate,
  SchemaModel,
  TableModel,
} from "../schema/index.js";
import { sorted } from "./introspect-shared.js";
import { dialectOf } from "./registry.js";
import { rawSqlFor } from "./render.js";
import type { SqlDialect } from "./types.js";

/** What survives of a CHECK or partial-index predicate: that it exists. Engines reprint the SQL. */
const PRESENT: Predicate = { op: "raw", sql: {} };

/**
 * The part of a model that `dialect` stores and reports back, so a declared model and an introspected
 * one compare with deep equality. It is a projection for comparing only: fields the engine cannot
 * know are omitted even where the model type requires them, so never render DDL from it.
 */
export function comparable(model: SchemaModel, dialect: Dialect): SchemaModel {
  const d = dialectOf(dialect);
  const out: SchemaModel = sorted({ tables: model.tables.map((t) => comparableTable(t, d)) });
  // Objects introspection only lists (views, triggers…) are not compared: they are reported apart.
  const byName = (a: { name: string }, b: { name: string }) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  if (model.sequences?.length) out.sequences = [...model.sequences].sort(byName);
  if (model.types?.length)
    out.types = model.types.map((t) => ({ ...t, definition: normalSql(t.definition) })).sort(byName);
  return out;
}

/**
 * SQL the engine reprints in its own way (quotes, case, spacing, outer parentheses): compared by
 * a normal form, so `price * qty` and `(\`price\` * \`qty\`)` read alike.
 */
export function normalSql(text: string): string {
  let t = text.replace(/[`"]/g, "").replace(/\s+/g, " ").trim().toLowerCase();
  while (/^\(.*\)$/.test(t) && balanced(t.slice(1, -1))) t = t.slice(1, -1).trim();
  return t;
}

function balanced(text: string): boolean {
  let depth = 0;
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")" && --depth < 0) return false;
  }
  return depth === 0;
}

function comparableTable(t: TableModel, d: SqlDialect): TableModel {
  const { stored, capabilities } = d;
  // SQLite writes an identity column as INTEGER PRIMARY KEY (the rowid) even inside a wider key
  // (a partitioned table's): the rowid is what it stores.
  const identity = t.columns.find((c) => c.generated === "identity" && t.primaryKey.columns.includes(c.name));
  const rowid = stored.rowidKeys ? (rowidColumn(t) ?? identity?.name) : undefined;
  const pkColumns = stored.rowidKeys && identity ? [identity.name] : [...t.primaryKey.columns];
  let uniques = t.uniques.map((u) => ({ name: u.name, columns: [...u.columns] }));
  let indexes: IndexModel[] = t.indexes.map((ix) => {
    const index: IndexModel = { name: ix.name, columns: [...ix.columns], unique: ix.unique };
    // Without partial indexes, plinth renders a partial plain index as a full one, and emulates a
    // partial unique one exactly (MySQL's stand-in columns), so that one stays partial.
    if (ix.where && (capabilities.partialIndexes || ix.unique)) index.where = PRESENT;
    if (ix.method && ix.method !== "btree") index.method = ix.method;
    if (ix.descending?.length) index.descending = [...ix.descending].sort();
    if (ix.include?.length) index.include = [...ix.include].sort();
    if (ix.prefixes && Object.keys(ix.prefixes).length > 0) index.prefixes = { ...ix.prefixes };
    return index;
  });
  if (stored.uniqueIndexesAreConstraints) {
    uniques = [
      ...uniques,
      ...indexes.filter((ix) => ix.unique && !ix.where).map((ix) => ({ name: ix.name, columns: ix.columns })),
    ];
    indexes = indexes.filter((ix) => !ix.unique || ix.where);
  }
  const table: TableModel = {
    name: t.name,
    // Column order is left out: PostgreSQL can only append columns, so undoing a dropped column (or
    // any migration history other than the declaration's own order) legitimately reorders them.
    columns: t.columns
      .map((c) => comparableColumn(c, d, c.name === rowid))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0)),
    primaryKey: (stored.primaryKeyNames
      ? { name: t.primaryKey.name, columns: pkColumns }
      : { columns: pkColumns }) as TableModel["primaryKey"],
    uniques,
    checks: t.checks.map((c) => ({ name: c.name, predicate: PRESENT })),
    foreignKeys: t.foreignKeys.map((fk) => ({
      ...fk,
      columns: [...fk.columns],
      refColumns: [...fk.refColumns],
    })),
    indexes,
    // Table metadata (audit, growth, retention, hot queries) lives only in the declaration.
    meta: {},
  };
  if (t.doc && capabilities.comments) table.doc = t.doc;
  if (t.fullText) table.fullText = stored.fullText(t.fullText);
  // Partitioning is one engine's; the monthly partitions plinth keeps for a declared one
  // (`<table>_pYYYYMM`) are created and dropped at run time, not by the schema.
  const managed = new RegExp(`^${t.name}_p\\d{6}$`);
  if (t.partition && t.partition.dialect === d.name)
    table.partition = {
      dialect: t.partition.dialect,
      key: normalSql(t.partition.key),
      partitions: t.partition.partitions
        .filter((p) => !managed.test(p.name))
        .map((p) => ({ name: p.name, bound: normalSql(p.bound) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    };
  if (t.strict === false && d.name === "sqlite") table.strict = false;
  return table;
}

function comparableColumn(c: ColumnModel, d: SqlDialect, rowid: boolean): ColumnModel {
  // key, role, secret, hidden and encrypted are plinth's own; the database knows none of them.
  const column = { name: c.name, type: d.stored.type(c.type), nullable: c.nullable } as ColumnModel;
  const dflt = c.default && comparableDefault(c.default, c, d);
  if (dflt) column.default = dflt;
  if (c.computed)
    column.computed = {
      sql: { [d.name]: normalSql(rawSqlFor(c.computed.sql, d, c.name)) },
      // PostgreSQL stores every generated column.
      stored: c.computed.stored || d.name === "postgres",
    };
  // A UUID v7 key is filled by plinth on insert; to the database it is a plain column.
  if (c.generated === "identity" || rowid) column.generated = "identity";
  // A rowid column is an identity and never NULL, however it was declared.
  if (rowid) column.nullable = false;
  if (c.autoUpdate) column.autoUpdate = true;
  if (c.doc && d.capabilities.comments) column.doc = c.doc;
  return column;
}

function comparableDefault(dflt: DefaultValue, c: ColumnModel, d: SqlDialect): DefaultValue {
  if (dflt.kind === "literal") return d.stored.literalDefault(dflt, c.type);
  if (dflt.kind === "expression")
    return { kind: "expression", sql: { [d.name]: normalSql(rawSqlFor(dflt.sql, d, c.name)) } };
  return dflt;
}

/** A lone integer primary key (col.integer().primaryKey() and bigint render alike). */
function rowidColumn(t: TableModel): string | undefined {
  if (t.primaryKey.columns.length !== 1) return undefined;
  const column = t.columns.find((c) => c.name === t.primaryKey.columns[0]);
  return column && ["integer", "bigint"].includes(column.type.kind) ? column.name : undefined;
}

// ---------------------------------------------------------------------------------------------

/**
 * Human-readable differences between two models, one line each, e.g.
 * `table realm: column record_types: nullable true ≠ false`, `missing table x`, `unexpected index y on t`.
 * "missing" is in `expected` only, "unexpected" in `actual` only. No lines: the models are equal.
 */
export function describeDifferences(expected: SchemaModel, actual: SchemaModel): string[] {
  const lines: string[] = [];
  const actualTables = new Map(actual.tables.map((t) => [t.name, t]));
  const expectedNames = new Set(expected.tables.map((t) => t.name));
  for (const e of expected.tables) {
    const a = actualTables.get(e.name);
    if (a) lines.push(...tableDifferences(e, a));
    else lines.push(`missing table ${e.name}`);
  }
  for (const a of actual.tables) if (!expectedNames.has(a.name)) lines.push(`unexpected table ${a.name}`);
  lines.push(...namedDifferences("the schema", "sequence", expected.sequences ?? [], actual.sequences ?? []));
  lines.push(...namedDifferences("the schema", "type", expected.types ?? [], actual.types ?? []));
  return lines;
}

function tableDifferences(e: TableModel, a: TableModel): string[] {
  const at = `table ${e.name}`;
  const lines: string[] = [];
  if (show(e.doc) !== show(a.doc)) lines.push(`${at}: doc ${show(e.doc)} ≠ ${show(a.doc)}`);
  lines.push(...namedDifferences(e.name, "column", e.columns, a.columns));
  const shared = (list: ColumnModel[], other: ColumnModel[]) =>
    list.map((c) => c.name).filter((n) => other.some((o) => o.name === n));
  const order = [shared(e.columns, a.columns), shared(a.columns, e.columns)];
  if (order[0]!.join() !== order[1]!.join())
    lines.push(`${at}: column order ${order[0]!.join(", ")} ≠ ${order[1]!.join(", ")}`);
  if (show(e.primaryKey) !== show(a.primaryKey))
    lines.push(`${at}: primary key ${show(e.primaryKey)} ≠ ${show(a.primaryKey)}`);
  lines.push(...namedDifferences(e.name, "unique", e.uniques, a.uniques));
  lines.push(...namedDifferences(e.name, "check", e.checks, a.checks));
  lines.push(...namedDifferences(e.name, "foreign key", e.foreignKeys, a.foreignKeys));
  lines.push(...namedDifferences(e.name, "index", e.indexes, a.indexes));
  if (show(e.fullText) !== show(a.fullText))
    lines.push(`${at}: full-text index ${show(e.fullText)} ≠ ${show(a.fullText)}`);
  if (show(e.partition) !== show(a.partition))
    lines.push(`${at}: partitioning ${show(e.partition)} ≠ ${show(a.partition)}`);
  if ((e.strict ?? true) !== (a.strict ?? true))
    lines.push(`${at}: STRICT ${e.strict ?? true} ≠ ${a.strict ?? true}`);
  if (show(e.meta) !== show(a.meta)) lines.push(`${at}: meta ${show(e.meta)} ≠ ${show(a.meta)}`);
  return lines;
}

function namedDifferences<T extends { name: string }>(
  table: string,
  what: string,
  expected: T[],
  actual: T[],
) {
  const lines: string[] = [];
  const byName = new Map(actual.map((x) => [x.name, x]));
  for (const e of expected) {
    const a = byName.get(e.name);
    if (!a) {
      lines.push(`missing ${what} ${e.name} on ${table}`);
      continue;
    }
    const fields = [...new Set([...Object.keys(e), ...Object.keys(a)])].filter((f) => f !== "name").sort();
    for (const f of fields) {
      const [x, y] = [show((e as Record<string, unknown>)[f]), show((a as Record<string, unknown>)[f])];
      if (x !== y) lines.push(`table ${table}: ${what} ${e.name}: ${f} ${x} ≠ ${y}`);
    }
  }
  const expectedNames = new Set(expected.map((x) => x.name));
  for (const a of actual)
    if (!expectedNames.has(a.name)) lines.push(`unexpected ${what} ${a.name} on ${table}`);
  return lines;
}

/** Compact JSON with sorted keys, so equal values always print alike; `(none)` for absent. */
function show(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}
