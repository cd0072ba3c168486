import type { ConstraintViolation } from "../errors.js";
import type { ColumnModel, Dialect, SchemaModel, TableModel } from "../schema/index.js";
import type { ConstraintCatalog } from "./catalog.js";

/** What plinth knows when translating a driver error: the schema's constraints and the failing SQL. */
export interface ErrorContext {
  catalog: ConstraintCatalog;
  /** The table the failing statement wrote to, when the statement names one. */
  table?: string;
}

/** One engine: how it names types, renders DDL and reports constraint violations. */
export interface SqlDialect {
  readonly name: Dialect;
  quote(identifier: string): string;
  /** A string literal, escaped for this engine. */
  literal(value: string): string;
  /** Character length function: counts characters, not bytes. */
  readonly lengthFunction: string;
  columnType(column: ColumnModel): string;
  /** Statements that must exist before any table (e.g. shared trigger functions). */
  prelude(model: SchemaModel): string[];
  /**
   * CREATE TABLE and everything that belongs to it (indexes, comments, triggers). Foreign keys whose
   * target is in `deferred` are left out and added later with `addForeignKey`.
   */
  createTable(table: TableModel, deferred: ReadonlySet<string>): string[];
  addForeignKey(table: TableModel, foreignKeyName: string): string;
  /** One column as it appears in CREATE TABLE and ALTER TABLE ... ADD COLUMN. */
  columnDefinition(table: TableModel, column: ColumnModel): string;
  indexStatement(table: TableModel, index: TableModel["indexes"][number]): string;
  dropIndexStatement(table: TableModel, indexName: string): string;
  /** COMMENT statements for the table's doc and, when `column` is given, that column's doc only. */
  commentStatements(table: TableModel, column?: ColumnModel): string[];
  /** What keeps an autoUpdate column current (triggers), and what removes it. */
  touchStatements(table: TableModel, column: ColumnModel): string[];
  dropTouchStatements(table: TableModel, column: ColumnModel): string[];
  /** What creates the table's full-text index (and fills it from existing rows), and what removes it. */
  fullTextStatements(table: TableModel): string[];
  dropFullTextStatements(table: TableModel): string[];
  /** CHECKs the engine needs for a column type (enum domains, varchar length on SQLite, ...). */
  implicitChecks(table: TableModel, column: ColumnModel): { name: string; sql: string }[];
  translateError(error: unknown, context: ErrorContext): ConstraintViolation | undefined;
}
