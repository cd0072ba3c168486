/**
 * Mermaid `erDiagram` text from a schema declaration: one entity per table with its columns, types
 * and key markers, and one relationship per foreign key with the cardinality the key implies. The
 * output depends only on the model (tables sorted by name, columns in declared order, relationships
 * sorted), so the diagram in a README can be regenerated and compared byte for byte.
 */
import { PlinthError } from "../errors.js";
import type {
  ColumnModel,
  ColumnType,
  ForeignKeyModel,
  Schema,
  SchemaModel,
  TableModel,
} from "../schema/index.js";
import { isLiveUnique } from "../schema/schema.js";

export interface ErDiagramOptions {
  /** Quoted comments after each column (nullability, enum values, docs). Default true. */
  comments?: boolean;
  /** Only these tables (and the relationships among them). Default: every table. */
  tables?: readonly string[];
}

/** How many rows stand on one side of a relationship (Mermaid's two-character glyphs). */
export type Cardinality = "exactly-one" | "zero-or-one" | "zero-or-more";

export interface ErRelationship {
  /** The referenced (parent) table. */
  parent: string;
  /** The table holding the foreign key. */
  child: string;
  /** How many parent rows one child row points at: exactly one, or zero or one when the key is nullable. */
  parentSide: Exclude<Cardinality, "zero-or-more">;
  /** How many child rows one parent row has: zero or one when the key is unique, else zero or more. */
  childSide: Exclude<Cardinality, "exactly-one">;
  /** The key is part of the child's primary key (drawn solid); otherwise drawn dashed. */
  identifying: boolean;
  label: string;
}

const LEFT: Record<Cardinality, string> = { "exactly-one": "||", "zero-or-one": "|o", "zero-or-more": "}o" };
const RIGHT: Record<Cardinality, string> = { "exactly-one": "||", "zero-or-one": "o|", "zero-or-more": "o{" };

/** The whole diagram, starting with `erDiagram` and ending with a newline. */
export function erDiagram(source: Schema | SchemaModel, options: ErDiagramOptions = {}): string {
  const tables = selectTables("model" in source ? source.model : source, options.tables);
  const lines = ["erDiagram"];
  for (const table of tables) lines.push(...entityLines(table, options.comments ?? true));
  for (const r of erRelationships(tables)) {
    const line = r.identifying ? "--" : "..";
    lines.push(`    ${r.parent} ${LEFT[r.parentSide]}${line}${RIGHT[r.childSide]} ${r.child} : "${r.label}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** The relationships the foreign keys among `tables` imply, sorted by child, then key name. */
export function erRelationships(tables: readonly TableModel[]): ErRelationship[] {
  const names = new Set(tables.map((t) => t.name));
  const out: ErRelationship[] = [];
  for (const child of [...tables].sort((a, b) => compare(a.name, b.name))) {
    const keys = [...child.foreignKeys].sort((a, b) => compare(a.name, b.name));
    for (const fk of keys) if (names.has(fk.refTable)) out.push(relationship(child, fk));
  }
  return out;
}

function relationship(child: TableModel, fk: ForeignKeyModel): ErRelationship {
  const nullable = fk.columns.some((name) => child.columns.find((c) => c.name === name)?.nullable);
  const unique = uniqueColumnSets(child).some((set) => sameColumns(set, fk.columns));
  const rule = fk.onDelete === "no action" ? "" : ` (on delete ${fk.onDelete})`;
  return {
    parent: fk.refTable,
    child: child.name,
    parentSide: nullable ? "zero-or-one" : "exactly-one",
    childSide: unique ? "zero-or-one" : "zero-or-more",
    identifying: fk.columns.every((c) => child.primaryKey.columns.includes(c)),
    label: `${fk.columns.join(", ")}${rule}`,
  };
}

function entityLines(table: TableModel, comments: boolean): string[] {
  const singleUnique = new Set(
    uniqueColumnSets(table)
      .filter((set) => set.length === 1)
      .map((set) => set[0]!),
  );
  const foreign = new Set(table.foreignKeys.flatMap((fk) => fk.columns));
  const lines = [`    ${table.name} {`];
  for (const column of table.columns) {
    const keys = [
      table.primaryKey.columns.includes(column.name) ? "PK" : "",
      foreign.has(column.name) ? "FK" : "",
      singleUnique.has(column.name) && !table.primaryKey.columns.includes(column.name) ? "UK" : "",
    ].filter(Boolean);
    let line = `        ${typeName(column.type)} ${column.name}`;
    if (keys.length > 0) line += ` ${keys.join(", ")}`;
    const comment = comments ? columnComment(column) : "";
    if (comment) line += ` "${comment}"`;
    lines.push(line);
  }
  lines.push("    }");
  return lines;
}

/**
 * A type Mermaid's attribute grammar accepts: a word that may carry parentheses but no comma or
 * space, so `decimal(p, s)` is written `decimal` (its precision goes in the comment).
 */
function typeName(type: ColumnType): string {
  switch (type.kind) {
    case "varchar":
      return `varchar(${type.length})`;
    default:
      return type.kind.replace(/[^A-Za-z0-9_]/g, "_");
  }
}

function columnComment(column: ColumnModel): string {
  const parts: string[] = [];
  if (column.type.kind === "decimal") parts.push(`decimal(${column.type.precision}, ${column.type.scale})`);
  if (column.type.kind === "enum") parts.push(`one of ${column.type.values.join(", ")}`);
  if (column.nullable) parts.push("nullable");
  if (column.doc) parts.push(column.doc);
  // A comment is one double-quoted string on one line: no double quotes, no line breaks.
  return parts.join("; ").replace(/"/g, "'").replace(/\s+/g, " ").trim();
}

/**
 * Column sets that are unique: the unique constraints, the full (not partial) unique indexes and a
 * soft-deleted table's unique keys among rows not deleted.
 */
function uniqueColumnSets(table: TableModel): string[][] {
  return [
    table.primaryKey.columns,
    ...table.uniques.map((u) => u.columns),
    ...table.indexes.filter((i) => i.unique && (!i.where || isLiveUnique(table, i))).map((i) => i.columns),
  ];
}

function selectTables(model: SchemaModel, only: readonly string[] | undefined): TableModel[] {
  if (only) {
    const unknown = only.filter((name) => !model.tables.some((t) => t.name === name));
    if (unknown.length > 0)
      throw new PlinthError(`unknown table${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
  }
  return model.tables.filter((t) => !only || only.includes(t.name)).sort((a, b) => compare(a.name, b.name));
}

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}

/** Code-unit order, not locale order: the same bytes in every process. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
