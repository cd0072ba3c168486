/** Questions rules ask of a schema model: what covers what, which keys are unique, where a column is. */

import type { ColumnModel, IndexModel, SchemaModel, TableModel } from "../../schema/index.js";
import type { ReviewContext } from "../engine/types.js";

/** Declared to grow without bound: `growth: "fast"` or `"append-only"`. */
export function isHighGrowth(table: TableModel): boolean {
  return table.meta.growth === "fast" || table.meta.growth === "append-only";
}

export function columnOf(table: TableModel, name: string): ColumnModel | undefined {
  return table.columns.find((c) => c.name === name);
}

export function tableOf(model: SchemaModel, name: string): TableModel | undefined {
  return model.tables.find((t) => t.name === name);
}

/** Column lists whose leading columns an engine can search by: the primary key, uniques, indexes. */
export function searchableKeys(table: TableModel): string[][] {
  return [
    table.primaryKey.columns,
    ...table.uniques.map((u) => u.columns),
    ...table.indexes
      .filter((ix) => !ix.where && (!ix.method || ix.method === "btree"))
      .map((ix) => ix.columns),
  ].filter((k) => k.length > 0);
}

/** Some key starts with exactly these columns, in any order among themselves. */
export function isCovered(table: TableModel, columns: readonly string[]): boolean {
  return searchableKeys(table).some(
    (key) => key.length >= columns.length && sameSet(key.slice(0, columns.length), columns),
  );
}

/** Column sets the database keeps unique: primary key, unique constraints, full unique indexes. */
export function uniqueKeys(table: TableModel): string[][] {
  return [
    table.primaryKey.columns,
    ...table.uniques.map((u) => u.columns),
    ...table.indexes.filter((i) => i.unique && !i.where).map((i) => i.columns),
  ].filter((k) => k.length > 0);
}

export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** An index and the unique constraints as one list, each with what makes two of them the same. */
export function allIndexes(table: TableModel): (IndexModel & { constraint?: boolean })[] {
  return [
    ...table.uniques.map((u) => ({ name: u.name, columns: u.columns, unique: true, constraint: true })),
    ...table.indexes,
  ];
}

/**
 * Tables that are the audit trail: plinth's audit table and tables named for auditing. Append-only
 * logs (job output, activity) are not: they may rightly go with the row they log.
 */
export function isAuditTable(table: TableModel): boolean {
  return /(^|_)audit(_|s$|$)|audit_?logs?$/i.test(table.name);
}

/** The statement that creates a plain index, in the reviewed engine's words where one is known. */
export function createIndexSql(ctx: ReviewContext, table: TableModel, columns: string[]): string {
  const index = { name: indexName(table.name, columns), columns, unique: false };
  if (ctx.dialect) return ctx.dialect.indexStatement(table, index);
  return `CREATE INDEX ${index.name} ON ${table.name} (${columns.join(", ")})`;
}

export function dropIndexSql(ctx: ReviewContext, table: TableModel, index: string): string {
  if (ctx.dialect) return ctx.dialect.dropIndexStatement(table, index);
  return `DROP INDEX ${index}`;
}

export function indexName(table: string, columns: readonly string[]): string {
  return `ix_${table}_${columns.join("_")}`.toLowerCase().slice(0, 63);
}
