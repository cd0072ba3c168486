import type { AnyColumn, ColumnSpec } from "./column.js";
import { isColumnRef } from "./column.js";
import { SchemaError } from "./errors.js";
import { renamePredicateColumns } from "./expr.js";
import type {
  CheckModel,
  ColumnModel,
  ColumnType,
  ForeignKeyModel,
  IndexModel,
  SchemaModel,
  TableModel,
  UniqueModel,
} from "./model.js";
import { constraintName, sqlName } from "./names.js";
import type { AnyTable, HotQuery } from "./table.js";
import { fullTextModel, isTable } from "./table.js";

export type Tables = Record<string, AnyTable>;

const SCHEMA = Symbol.for("plinth.schema");

/** A resolved schema: the declared tables, and the dialect-neutral model derived from them. */
export interface Schema<T extends Tables = Tables> {
  readonly [SCHEMA]: true;
  readonly tables: T;
  readonly model: SchemaModel;
  /** The declared table whose database name is `name`. */
  table(name: string): AnyTable | undefined;
  hotQueries(table: string): Record<string, HotQuery>;
}

export function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SCHEMA] === true;
}

/**
 * Assembles tables into a schema and resolves what needs more than one table: foreign keys (their
 * targets must be in the schema, their types come from the target) and table-name uniqueness.
 */
export function schema<T extends Tables>(tables: T): Schema<T> {
  const byName = new Map<string, AnyTable>();
  for (const [key, t] of Object.entries(tables)) {
    if (!isTable(t)) throw new SchemaError(`schema entry "${key}" is not a table() declaration`);
    if (byName.has(t.$name)) throw new SchemaError(`table "${t.$name}" is declared twice`, t.$name);
    byName.set(t.$name, t);
  }
  const models = [...byName.values()].map((t) => tableModel(t, byName));
  const model: SchemaModel = {
    tables: models.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  return Object.freeze({
    [SCHEMA]: true as const,
    tables,
    model,
    table: (name: string) => byName.get(name),
    hotQueries: (name: string) => byName.get(name)?.$options.hotQueries ?? {},
  });
}

/**
 * Whether `index` is a soft-deleted table's unique key among rows not deleted: unique, partial on
 * `<deleted_at> IS NULL` (what `.unique()` declares on a table with `softDelete()`).
 */
export function isLiveUnique(table: TableModel, index: IndexModel): boolean {
  const deletedAt = table.columns.find((c) => c.role === "deletedAt")?.name;
  return (
    index.unique &&
    deletedAt !== undefined &&
    index.where?.op === "isNull" &&
    index.where.column === deletedAt
  );
}

function tableModel(t: AnyTable, tables: Map<string, AnyTable>): TableModel {
  const name = t.$name;
  const entries = Object.entries(t.$columns as Record<string, AnyColumn>);
  const keyToName = (key: string) => sqlName(key);
  const columns: ColumnModel[] = [];
  const uniques: UniqueModel[] = [];
  const checks: CheckModel[] = [];
  const foreignKeys: ForeignKeyModel[] = [];
  const indexes: IndexModel[] = [];
  // On a soft-deleted table a unique key holds among rows not deleted, unless declared otherwise.
  const deletedAtKey = entries.find(([, c]) => c.spec.role === "deletedAt")?.[0];
  const addUnique = (u: UniqueModel, includingDeleted: boolean | undefined) => {
    if (!deletedAtKey || includingDeleted || u.columns.includes(keyToName(deletedAtKey))) uniques.push(u);
    else indexes.push({ ...u, unique: true, where: { op: "isNull", column: keyToName(deletedAtKey) } });
  };

  for (const [key, column] of entries) {
    const spec = column.spec;
    const colName = keyToName(key);
    const type = spec.references ? referencedType(name, colName, spec, tables, foreignKeys) : spec.type;
    columns.push(columnModel(key, colName, spec, type));
    if (spec.unique)
      addUnique(
        { name: constraintName(["uq", name, colName]), columns: [colName] },
        spec.uniqueIncludingDeleted,
      );
    for (const check of spec.checks) {
      checks.push({
        name: constraintName(["ck", name, colName, check.suffix]),
        predicate: check.build(colName),
      });
    }
  }

  const options = t.$options;
  const toNames = (keys: readonly string[]) => keys.map(keyToName);
  for (const u of options.unique ?? []) {
    const cols = toNames(Array.isArray(u) ? u : u.columns);
    addUnique(
      { name: (!Array.isArray(u) && u.name) || constraintName(["uq", name, ...cols]), columns: cols },
      !Array.isArray(u) && u.includingDeleted,
    );
  }
  for (const c of options.checks ?? []) {
    checks.push({ name: c.name, predicate: renamePredicateColumns(c.predicate, keyToName) });
  }
  const declaredIndexes: IndexModel[] = (options.indexes ?? []).map((ix) => {
    const spec = Array.isArray(ix) ? { columns: ix } : ix;
    const cols = toNames(spec.columns);
    const unique = spec.unique ?? false;
    const index: IndexModel = {
      name: spec.name ?? constraintName([unique ? "ux" : "ix", name, ...cols]),
      columns: cols,
      unique,
    };
    if (spec.where) index.where = renamePredicateColumns(spec.where, keyToName);
    return index;
  });
  indexes.unshift(...declaredIndexes);

  const pkColumns = options.primaryKey
    ? toNames(options.primaryKey)
    : entries.filter(([, c]) => c.spec.primaryKey).map(([k]) => keyToName(k));

  const model: TableModel = {
    name,
    columns,
    primaryKey: { name: constraintName(["pk", name]), columns: pkColumns },
    uniques,
    checks,
    foreignKeys,
    indexes,
    meta: {},
  };
  if (options.doc) model.doc = options.doc;
  if (options.fullText) model.fullText = fullTextModel(name, options.fullText);
  if (options.audit !== undefined) model.meta.audit = options.audit;
  if (options.growth) model.meta.growth = options.growth;
  if (options.retention)
    model.meta.retention = { days: options.retention.days, column: keyToName(options.retention.column) };
  if (options.hotQueries) model.meta.hotQueries = Object.keys(options.hotQueries);
  if (options.partition) {
    const column = keyToName(options.partition.by);
    model.partition = {
      dialect: "postgres",
      key: `RANGE (${column})`,
      partitions: [{ name: `${name}_default`, bound: "DEFAULT" }],
      interval: options.partition.interval,
      column,
    };
  }
  if (options.review?.ignore.length) model.meta.review = { ignore: [...options.review.ignore] };
  checkNamesUnique(model);
  return model;
}

function columnModel(key: string, name: string, spec: ColumnSpec, type: ColumnType): ColumnModel {
  const model: ColumnModel = { name, key, type, nullable: spec.nullable };
  if (spec.default) model.default = spec.default;
  if (spec.generated) model.generated = spec.generated;
  if (spec.autoUpdate) model.autoUpdate = true;
  if (spec.role) model.role = spec.role;
  if (spec.secret) model.secret = true;
  if (spec.hidden) model.hidden = true;
  if (spec.encrypted) model.encrypted = true;
  if (spec.encrypted && spec.encryptedJson) model.encryptedJson = true;
  if (spec.computed) model.computed = spec.computed;
  if (spec.doc) model.doc = spec.doc;
  return model;
}

/** Resolves a ref() column: records the foreign key and returns the type the column must have. */
function referencedType(
  table: string,
  column: string,
  spec: ColumnSpec,
  tables: Map<string, AnyTable>,
  foreignKeys: ForeignKeyModel[],
): ColumnType {
  const reference = spec.references!;
  const target = reference.target();
  const where = `${table}.${column}`;
  if (!isColumnRef(target)) {
    throw new SchemaError(
      `${where}: foreign key target ${describeThunk(reference.target)} is not a column (unknown column or table?)`,
      table,
      column,
    );
  }
  const targetTable = tables.get(target.tableName);
  if (!targetTable) {
    throw new SchemaError(
      `${where}: foreign key references table "${target.tableName}", which is not part of this schema`,
      table,
      column,
    );
  }
  const targetSpec = (targetTable.$columns as Record<string, AnyColumn>)[target.key]?.spec;
  if (!targetSpec) {
    throw new SchemaError(
      `${where}: foreign key references unknown column ${target.tableName}.${target.name}`,
      table,
      column,
    );
  }
  if (!targetSpec.primaryKey && !targetSpec.unique) {
    throw new SchemaError(
      `${where}: foreign key target ${target.tableName}.${target.name} is neither a primary key nor unique`,
      table,
      column,
    );
  }
  const targetSoftDeleted = Object.values(targetTable.$columns as Record<string, AnyColumn>).some(
    (c) => c.spec.role === "deletedAt",
  );
  if (!targetSpec.primaryKey && targetSoftDeleted && !targetSpec.uniqueIncludingDeleted) {
    throw new SchemaError(
      `${where}: foreign key target ${target.tableName}.${target.name} is unique only among rows not deleted ` +
        "(its table has softDelete()); a referenced key must be unique among all rows: declare it .unique({ includingDeleted: true })",
      table,
      column,
    );
  }
  if (reference.onDelete === "set null" && !spec.nullable) {
    throw new SchemaError(
      `${where}: ON DELETE SET NULL needs a nullable column (add .nullable())`,
      table,
      column,
    );
  }
  foreignKeys.push({
    name: constraintName(["fk", table, column, target.tableName]),
    columns: [column],
    refTable: target.tableName,
    refColumns: [target.name],
    onDelete: reference.onDelete,
    onUpdate: reference.onUpdate,
  });
  return targetSpec.type;
}

function describeThunk(thunk: () => unknown): string {
  const body = /=>\s*([\w$.]+)/.exec(thunk.toString());
  return body ? `"${body[1]}"` : "(a function)";
}

/** Constraint and index names share one namespace per table on every engine we support. */
function checkNamesUnique(t: TableModel): void {
  const seen = new Set<string>();
  const names = [
    t.primaryKey.name,
    ...t.uniques.map((u) => u.name),
    ...t.checks.map((c) => c.name),
    ...t.foreignKeys.map((f) => f.name),
    ...t.indexes.map((i) => i.name),
    ...(t.fullText ? [t.fullText.name] : []),
  ];
  for (const n of names) {
    if (seen.has(n))
      throw new SchemaError(`${t.name}: constraint or index name "${n}" is used twice`, t.name);
    seen.add(n);
  }
}
