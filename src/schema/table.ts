import type { ColumnRef, ColumnSpec, SelectType } from "./column.js";
import { COLUMN_REF } from "./column.js";
import { SchemaError } from "./errors.js";
import { predicateColumns } from "./expr.js";
import type { FullTextModel, FullTextWeight, Growth, Predicate } from "./model.js";
import { constraintName, sqlName } from "./names.js";

/**
 * Deliberately structural rather than `Column<any, any, any>`: a generic constraint mentioning `any`
 * becomes the contextual type of `col.json()` and would infer its row type as `any`.
 */
export type Columns = Record<string, { readonly spec: ColumnSpec }>;

export interface UniqueOption<K extends string> {
  columns: K[];
  name?: string;
  /**
   * On a table with `softDelete()`, a unique key holds among rows not deleted; `true` makes it hold
   * among all rows, deleted ones included.
   */
  includingDeleted?: boolean;
}

export interface IndexOption<K extends string> {
  columns: K[];
  name?: string;
  unique?: boolean;
  /** A partial index. PostgreSQL and SQLite honour it; see the README for what MySQL does. */
  where?: Predicate;
}

/**
 * A weighted full-text index: `{ columns: { title: "A", content: "B" } }`. Weights run from A
 * (strongest) to D; `language` is a PostgreSQL text search configuration (default "english", which
 * also turns on Porter stemming in SQLite); `name` defaults to `ft_<table>`.
 */
export interface FullTextOption<K extends string> {
  columns: Partial<Record<K, FullTextWeight>>;
  name?: string;
  language?: string;
}

export interface PartitionOption<K extends string> {
  by: K;
  interval: "month";
}

export interface CheckOption {
  name: string;
  predicate: Predicate;
}

export type HotQuery = (db: any) => unknown;

export interface TableOptions<K extends string = string> {
  doc?: string;
  /** A composite primary key; single-column keys are declared on the column. */
  primaryKey?: K[];
  unique?: (K[] | UniqueOption<K>)[];
  indexes?: (K[] | IndexOption<K>)[];
  checks?: CheckOption[];
  /** A weighted full-text index over text columns, searched with `search()` from `plinth`. */
  fullText?: FullTextOption<K>;
  /** Stored for the audit trail: every write to this table is recorded. */
  audit?: boolean;
  /** Stored for the review: how fast the table is expected to grow. */
  growth?: Growth;
  /** Stored for retention jobs: rows whose `column` is older than `days` may be removed. */
  retention?: { days: number; column: K };
  /** Stored for the review: queries that must be served by an index. */
  hotQueries?: Record<string, HotQuery>;
  /**
   * PostgreSQL: a partitioned table, one native RANGE partition per `interval` of the `by` column
   * (a timestamp or date), created ahead by `ensurePartitions` (`plinth partitions`); rows outside
   * every partition land in `<table>_default`. With a retention on the same column, `prune` drops
   * whole partitions. The primary key and every unique key must include `by`. Other engines create
   * a plain table and prune it in batches.
   */
  partition?: PartitionOption<K>;
  /**
   * For the review: rules that must not report this table or its columns, by rule id
   * (`review: { ignore: ["fk-without-index"] }`). Put the reason in a comment beside it.
   */
  review?: { ignore: string[] };
}

export const TABLE = Symbol.for("plinth.table");

export interface TableHandle<N extends string = string, C extends Columns = Columns> {
  readonly [TABLE]: true;
  readonly $name: N;
  readonly $columns: C;
  readonly $options: TableOptions<Extract<keyof C, string>>;
}

export type Table<N extends string = string, C extends Columns = Columns> = TableHandle<N, C> & {
  readonly [K in keyof C]: ColumnRef<SelectType<C[K]>, N>;
};

export type AnyTable = TableHandle<string, any>;

export function isTable(value: unknown): value is AnyTable {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[TABLE] === true;
}

/**
 * Declares a table. Everything that can be checked without the other tables is checked here, so a
 * mistake fails at the line that declares it; foreign keys are checked when the schema is assembled.
 */
export function table<const N extends string, C extends Columns>(
  name: N,
  columns: C,
  options: TableOptions<Extract<keyof C, string>> = {},
): Table<N, C> {
  checkColumns(name, columns);
  checkOptions(name, columns, options);
  const handle: Record<string | symbol, unknown> = {
    [TABLE]: true,
    $name: name,
    $columns: columns,
    $options: options,
  };
  for (const [key, column] of Object.entries(columns)) {
    if (key.startsWith("$"))
      throw new SchemaError(`${name}.${key}: column keys may not start with "$"`, name, key);
    const ref: ColumnRef<unknown> = {
      [COLUMN_REF]: true,
      tableName: name,
      key,
      name: sqlName(key),
      spec: column.spec,
    };
    handle[key] = ref;
  }
  return Object.freeze(handle) as Table<N, C>;
}

function checkColumns(table: string, columns: Columns): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) {
    throw new SchemaError(`table name "${table}" must be snake_case (lower-case letters, digits, _)`, table);
  }
  const seen = new Map<string, string>();
  for (const [key, column] of Object.entries(columns)) {
    const name = sqlName(key);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new SchemaError(
        `${table}: columns "${other}" and "${key}" both map to the database column "${name}" (duplicate column)`,
        table,
        name,
      );
    }
    seen.set(name, key);
    checkColumnSpec(table, name, column.spec);
  }
  if (Object.keys(columns).length === 0)
    throw new SchemaError(`${table}: a table needs at least one column`, table);
}

function checkColumnSpec(table: string, column: string, spec: ColumnSpec): void {
  const where = `${table}.${column}`;
  const { type } = spec;
  if (type.kind === "varchar" && !(Number.isInteger(type.length) && type.length > 0)) {
    throw new SchemaError(
      `${where}: varchar length must be a positive integer, got ${type.length}`,
      table,
      column,
    );
  }
  if (type.kind === "decimal" && !(type.precision > 0 && type.scale >= 0 && type.scale <= type.precision)) {
    throw new SchemaError(
      `${where}: decimal(${type.precision}, ${type.scale}) is not a valid precision/scale`,
      table,
      column,
    );
  }
  if (type.kind === "enum" && type.values.length === 0) {
    throw new SchemaError(`${where}: enum ${spec.enumName} has no values`, table, column);
  }
  const dflt = spec.default;
  if (dflt?.kind === "now" && type.kind !== "timestamp") {
    throw new SchemaError(`${where}: defaultNow() needs a timestamp column, not ${type.kind}`, table, column);
  }
  if (dflt?.kind === "literal" && type.kind === "enum" && !type.values.includes(dflt.value as string)) {
    throw new SchemaError(
      `${where}: default ${JSON.stringify(dflt.value)} is not a value of enum ${spec.enumName} (${type.values.join(", ")})`,
      table,
      column,
    );
  }
  if (dflt?.kind === "literal" && type.kind !== "json" && !literalFits(type.kind, dflt.value)) {
    throw new SchemaError(
      `${where}: default ${JSON.stringify(dflt.value)} does not fit a ${type.kind} column`,
      table,
      column,
    );
  }
  if (spec.nullable && spec.primaryKey) {
    throw new SchemaError(`${where}: a primary key column cannot be nullable`, table, column);
  }
}

function literalFits(kind: string, value: unknown): boolean {
  switch (kind) {
    case "integer":
    case "bigint":
      return Number.isInteger(value);
    case "double":
      return typeof value === "number";
    case "decimal":
      return typeof value === "number" || (typeof value === "string" && /^-?\d+(\.\d+)?$/.test(value));
    case "boolean":
      return typeof value === "boolean";
    default:
      return typeof value === "string";
  }
}

function checkOptions(table: string, columns: Columns, options: TableOptions): void {
  const known = (what: string, keys: readonly string[]) => {
    for (const key of keys) {
      if (!(key in columns)) {
        throw new SchemaError(
          `${table}: ${what} names unknown column "${key}" (columns: ${Object.keys(columns).join(", ")})`,
          table,
          key,
        );
      }
    }
    if (keys.length === 0) throw new SchemaError(`${table}: ${what} names no columns`, table);
  };
  if (options.primaryKey) known("primary key", options.primaryKey);
  for (const u of options.unique ?? []) known("unique constraint", Array.isArray(u) ? u : u.columns);
  for (const ix of options.indexes ?? []) {
    const cols = Array.isArray(ix) ? ix : ix.columns;
    known(`index on (${cols.join(", ")})`, cols);
    if (!Array.isArray(ix) && ix.where)
      known("partial index predicate", predicateColumns(ix.where).concat(cols));
  }
  for (const c of options.checks ?? []) {
    const cols = predicateColumns(c.predicate);
    if (cols.length > 0) known(`check ${c.name}`, cols);
  }
  if (options.retention) known("retention", [options.retention.column]);
  if (options.fullText) checkFullText(table, columns, options.fullText, known);
  const pkColumns = Object.entries(columns).filter(([, c]) => c.spec.primaryKey);
  // A partitioned table widens a column's key with the partition column: options.primaryKey then
  // names that column too (`primaryKey: ["id", "createdAt"]` beside `id: col.bigId()`).
  const widened =
    options.partition &&
    options.primaryKey &&
    pkColumns.every(([k]) => options.primaryKey!.includes(k as never));
  if (options.primaryKey && pkColumns.length > 0 && !widened) {
    throw new SchemaError(`${table}: primary key declared both on column(s) and in options`, table);
  }
  if (!options.primaryKey && pkColumns.length === 0) {
    throw new SchemaError(
      `${table}: no primary key (use col.id(), col.uuidPk(), .primaryKey() or options.primaryKey)`,
      table,
    );
  }
  if (pkColumns.length > 1) {
    throw new SchemaError(
      `${table}: several columns are marked primaryKey(); use options.primaryKey for a composite key`,
      table,
    );
  }
  if (options.partition) checkPartition(table, columns, options, known);
}

/**
 * PostgreSQL enforces a unique key on a partitioned table per partition only, so it requires every
 * unique key (the primary key included) to contain the partition column: refused here, by name.
 */
function checkPartition(
  table: string,
  columns: Columns,
  options: TableOptions,
  known: (what: string, keys: readonly string[]) => void,
): void {
  const { by, interval } = options.partition!;
  known("partition", [by]);
  if (interval !== "month")
    throw new SchemaError(
      `${table}: partition interval "${interval}" is not supported (only "month")`,
      table,
    );
  const kind = columns[by]!.spec.type.kind;
  if (kind !== "timestamp" && kind !== "date")
    throw new SchemaError(
      `${table}: partitioned by ${sqlName(by)}, a ${kind} column; monthly partitions need a timestamp or date column`,
      table,
      sqlName(by),
    );
  const column = sqlName(by);
  const fix = (what: string, keys: string[]) =>
    `${table}: partitioned by ${column}, so ${what} (${keys.map(sqlName).join(", ")}) must include ${column}: PostgreSQL checks a unique key within each partition only`;
  const pk = options.primaryKey ?? Object.keys(columns).filter((k) => columns[k]!.spec.primaryKey);
  if (!pk.includes(by))
    throw new SchemaError(
      `${fix(`primary key ${constraintName(["pk", table])}`, pk)}; declare primaryKey: [${[...pk, by].map((k) => JSON.stringify(k)).join(", ")}]`,
      table,
      column,
    );
  for (const [key, c] of Object.entries(columns))
    if (c.spec.unique && key !== by)
      throw new SchemaError(
        fix(`unique constraint ${constraintName(["uq", table, sqlName(key)])}`, [key]),
        table,
        sqlName(key),
      );
  for (const u of options.unique ?? []) {
    const cols = Array.isArray(u) ? u : u.columns;
    const name = (!Array.isArray(u) && u.name) || constraintName(["uq", table, ...cols.map(sqlName)]);
    if (!cols.includes(by)) throw new SchemaError(fix(`unique constraint ${name}`, cols), table);
  }
  for (const ix of options.indexes ?? []) {
    if (Array.isArray(ix) || !ix.unique || ix.columns.includes(by)) continue;
    const name = ix.name ?? constraintName(["ux", table, ...ix.columns.map(sqlName)]);
    throw new SchemaError(fix(`unique index ${name}`, ix.columns), table);
  }
}

const WEIGHTS = new Set(["A", "B", "C", "D"]);

function checkFullText(
  table: string,
  columns: Columns,
  option: FullTextOption<string>,
  known: (what: string, keys: readonly string[]) => void,
): void {
  const keys = Object.keys(option.columns);
  known("full-text index", keys);
  for (const key of keys) {
    const kind = columns[key]!.spec.type.kind;
    if (kind !== "varchar" && kind !== "text") {
      throw new SchemaError(
        `${table}.${sqlName(key)}: a full-text index needs varchar or text columns, not ${kind}`,
        table,
        sqlName(key),
      );
    }
    if (["rank", "rowid"].includes(sqlName(key))) {
      throw new SchemaError(
        `${table}.${sqlName(key)}: "${sqlName(key)}" cannot be a full-text column (SQLite's FTS5 reserves the name)`,
        table,
        sqlName(key),
      );
    }
    const weight = option.columns[key];
    if (!WEIGHTS.has(String(weight))) {
      throw new SchemaError(
        `${table}.${sqlName(key)}: full-text weight must be "A", "B", "C" or "D", got ${JSON.stringify(weight)}`,
        table,
        sqlName(key),
      );
    }
  }
  if (option.language !== undefined && !/^[a-z_]+$/.test(option.language)) {
    throw new SchemaError(
      `${table}: full-text language ${JSON.stringify(option.language)} is not a text search configuration name`,
      table,
    );
  }
  if (option.name !== undefined && !/^[a-z_][a-z0-9_]*$/.test(option.name)) {
    throw new SchemaError(`${table}: full-text index name "${option.name}" must be snake_case`, table);
  }
}

/** The model of a declared full-text index: database column names, declaration order kept. */
export function fullTextModel(table: string, option: FullTextOption<string>): FullTextModel {
  return {
    name: option.name ?? constraintName(["ft", table]),
    columns: Object.entries(option.columns).map(([key, weight]) => ({
      column: sqlName(key),
      weight: weight as FullTextWeight,
    })),
    language: option.language ?? "english",
  };
}
