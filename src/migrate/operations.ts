import type { Kysely } from "kysely";
import type { DdlStep } from "../dialect/index.js";
import type {
  CheckModel,
  ColumnModel,
  ConstraintKind,
  Dialect,
  ForeignKeyModel,
  FullTextModel,
  IndexModel,
  PartitionBound,
  RawSql,
  SchemaChange,
  SequenceModel,
  TableDetails,
  TableModel,
  TypeModel,
  UniqueModel,
} from "../schema/index.js";

export type { ConstraintKind, TableDetails };

/** What a data step receives: the migration's own transaction (or connection, on MySQL). */
export interface DataContext {
  db: Kysely<any>;
  dialect: Dialect;
}

export type DataFunction = (ctx: DataContext) => Promise<void>;

/**
 * Every step a migration can hold: the schema changes (plinth/schema's SchemaChange, which each
 * engine's schema editor renders), raw SQL with its reverse, and TypeScript data steps. Each one
 * changes the in-memory schema state (state.ts) and has an exact reverse (reverseOperation), so
 * every migration can be rolled back.
 */
export type Operation =
  | SchemaChange
  | { op: "sql"; up: RawSql; down: RawSql; description?: string }
  | { op: "data"; up: DataFunction; down: DataFunction; description: string };

export type OperationKind = Operation["op"];

/**
 * One thing the runner executes. Most are SQL (`outsideTransaction` marks statements PostgreSQL
 * refuses inside a transaction, such as CREATE INDEX CONCURRENTLY: a migration holding one runs
 * statement by statement, with progress recorded); `run` steps are data functions; `onlyIf` guards
 * a statement with a query that must return a row (used where an engine has no IF EXISTS).
 */
export type Step = DdlStep | { run: DataFunction; description: string };

export function isSqlStep(step: Step): step is DdlStep {
  return "sql" in step;
}

/** Constructors used in migration files: they only shape the data, so files read as a list of changes. */
export const op = {
  createTable: (table: TableModel): Operation => ({ op: "createTable", table }),
  dropTable: (table: TableModel): Operation => ({ op: "dropTable", table }),
  renameTable: (from: string, to: string): Operation => ({ op: "renameTable", from, to }),
  alterTable: (table: string, from: TableDetails, to: TableDetails): Operation => ({
    op: "alterTable",
    table,
    from,
    to,
  }),
  addColumn: (table: string, column: ColumnModel): Operation => ({ op: "addColumn", table, column }),
  dropColumn: (table: string, column: ColumnModel): Operation => ({ op: "dropColumn", table, column }),
  renameColumn: (table: string, from: string, to: string): Operation => ({
    op: "renameColumn",
    table,
    from,
    to,
  }),
  alterColumn: (table: string, from: ColumnModel, to: ColumnModel): Operation => ({
    op: "alterColumn",
    table,
    from,
    to,
  }),
  /** `concurrently` builds the index without blocking writes on PostgreSQL (outside a transaction). */
  addIndex: (table: string, index: IndexModel, options: { concurrently?: boolean } = {}): Operation => ({
    op: "addIndex",
    table,
    index,
    ...(options.concurrently ? { concurrently: true } : {}),
  }),
  dropIndex: (table: string, index: IndexModel, options: { concurrently?: boolean } = {}): Operation => ({
    op: "dropIndex",
    table,
    index,
    ...(options.concurrently ? { concurrently: true } : {}),
  }),
  /** A weighted full-text index (the table's `fullText` option); it indexes the rows already there. */
  addFullText: (table: string, fullText: FullTextModel): Operation => ({
    op: "addFullText",
    table,
    fullText,
  }),
  dropFullText: (table: string, fullText: FullTextModel): Operation => ({
    op: "dropFullText",
    table,
    fullText,
  }),
  addUnique: (table: string, unique: UniqueModel): Operation => ({ op: "addUnique", table, unique }),
  dropUnique: (table: string, unique: UniqueModel): Operation => ({ op: "dropUnique", table, unique }),
  /** `notValid` skips checking existing rows on PostgreSQL; validate later with validateConstraint. */
  addCheck: (table: string, check: CheckModel, options: { notValid?: boolean } = {}): Operation => ({
    op: "addCheck",
    table,
    check,
    ...(options.notValid ? { notValid: true } : {}),
  }),
  dropCheck: (table: string, check: CheckModel): Operation => ({ op: "dropCheck", table, check }),
  /** `notValid` skips checking existing rows on PostgreSQL; validate later with validateConstraint. */
  addForeignKey: (
    table: string,
    foreignKey: ForeignKeyModel,
    options: { notValid?: boolean } = {},
  ): Operation => ({
    op: "addForeignKey",
    table,
    foreignKey,
    ...(options.notValid ? { notValid: true } : {}),
  }),
  /** Checks existing rows against a constraint added NOT VALID (PostgreSQL); elsewhere nothing to do. */
  validateConstraint: (table: string, name: string): Operation => ({ op: "validateConstraint", table, name }),
  dropForeignKey: (table: string, foreignKey: ForeignKeyModel): Operation => ({
    op: "dropForeignKey",
    table,
    foreignKey,
  }),
  createType: (type: TypeModel): Operation => ({ op: "createType", type }),
  dropType: (type: TypeModel): Operation => ({ op: "dropType", type }),
  createSequence: (sequence: SequenceModel): Operation => ({ op: "createSequence", sequence }),
  dropSequence: (sequence: SequenceModel): Operation => ({ op: "dropSequence", sequence }),
  addPartition: (table: string, partition: PartitionBound): Operation => ({
    op: "addPartition",
    table,
    partition,
  }),
  dropPartition: (table: string, partition: PartitionBound): Operation => ({
    op: "dropPartition",
    table,
    partition,
  }),
  renameConstraint: (table: string, kind: ConstraintKind, from: string, to: string): Operation => ({
    op: "renameConstraint",
    table,
    kind,
    from,
    to,
  }),
  /** Raw SQL with its explicit reverse; one string serves every engine, or give one per engine. */
  sql: (up: string | RawSql, down: string | RawSql, description?: string): Operation => ({
    op: "sql",
    up: typeof up === "string" ? { default: up } : up,
    down: typeof down === "string" ? { default: down } : down,
    ...(description ? { description } : {}),
  }),
  /** A TypeScript data step with its explicit reverse. */
  data: (description: string, up: DataFunction, down: DataFunction): Operation => ({
    op: "data",
    description,
    up,
    down,
  }),
};

/** A short human description: "add column account.phone". */
export function describeOperation(o: Operation): string {
  switch (o.op) {
    case "createTable":
      return `create table ${o.table.name}`;
    case "dropTable":
      return `drop table ${o.table.name}`;
    case "renameTable":
      return `rename table ${o.from} to ${o.to}`;
    case "alterTable":
      return `change docs/metadata of table ${o.table}`;
    case "addColumn":
      return `add column ${o.table}.${o.column.name}`;
    case "dropColumn":
      return `drop column ${o.table}.${o.column.name}`;
    case "renameColumn":
      return `rename column ${o.table}.${o.from} to ${o.to}`;
    case "alterColumn":
      return `alter column ${o.table}.${o.to.name}`;
    case "addIndex":
      return `add index ${o.index.name} on ${o.table}`;
    case "dropIndex":
      return `drop index ${o.index.name} on ${o.table}`;
    case "addFullText":
      return `add full-text index ${o.fullText.name} on ${o.table}`;
    case "dropFullText":
      return `drop full-text index ${o.fullText.name} on ${o.table}`;
    case "addUnique":
      return `add unique ${o.unique.name} on ${o.table}`;
    case "dropUnique":
      return `drop unique ${o.unique.name} on ${o.table}`;
    case "addCheck":
      return `add check ${o.check.name} on ${o.table}`;
    case "dropCheck":
      return `drop check ${o.check.name} on ${o.table}`;
    case "addForeignKey":
      return `add foreign key ${o.foreignKey.name} on ${o.table}`;
    case "dropForeignKey":
      return `drop foreign key ${o.foreignKey.name} on ${o.table}`;
    case "validateConstraint":
      return `validate constraint ${o.name} on ${o.table}`;
    case "renameConstraint":
      return `rename ${o.kind === "index" ? "index" : "constraint"} ${o.from} on ${o.table} to ${o.to}`;
    case "createType":
      return `create type ${o.type.name}`;
    case "dropType":
      return `drop type ${o.type.name}`;
    case "createSequence":
      return `create sequence ${o.sequence.name}`;
    case "dropSequence":
      return `drop sequence ${o.sequence.name}`;
    case "addPartition":
      return `add partition ${o.partition.name} of ${o.table}`;
    case "dropPartition":
      return `drop partition ${o.partition.name} of ${o.table}`;
    case "sql":
      return o.description ?? "run SQL";
    case "data":
      return o.description;
  }
}

/** The exact reverse of an operation: applying both leaves the schema as it was. */
export function reverseOperation(o: Operation): Operation {
  switch (o.op) {
    case "createTable":
      return { op: "dropTable", table: o.table };
    case "dropTable":
      return { op: "createTable", table: o.table };
    case "renameTable":
      return { op: "renameTable", from: o.to, to: o.from };
    case "alterTable":
      return { ...o, from: o.to, to: o.from };
    case "addColumn":
      return { op: "dropColumn", table: o.table, column: o.column };
    case "dropColumn":
      return { op: "addColumn", table: o.table, column: o.column };
    case "renameColumn":
      return { ...o, from: o.to, to: o.from };
    case "alterColumn":
      return { ...o, from: o.to, to: o.from };
    case "addIndex":
      return { ...o, op: "dropIndex" };
    case "dropIndex":
      return { ...o, op: "addIndex" };
    case "addFullText":
      return { op: "dropFullText", table: o.table, fullText: o.fullText };
    case "dropFullText":
      return { op: "addFullText", table: o.table, fullText: o.fullText };
    case "addUnique":
      return { op: "dropUnique", table: o.table, unique: o.unique };
    case "dropUnique":
      return { op: "addUnique", table: o.table, unique: o.unique };
    case "addCheck":
      return { op: "dropCheck", table: o.table, check: o.check };
    case "validateConstraint":
      // Validation changes no schema; undoing it is nothing.
      return {
        op: "sql",
        up: { default: "" },
        down: { default: "" },
        description: `nothing to undo for validate ${o.name}`,
      };
    case "dropCheck":
      return { op: "addCheck", table: o.table, check: o.check };
    case "addForeignKey":
      return { op: "dropForeignKey", table: o.table, foreignKey: o.foreignKey };
    case "dropForeignKey":
      return { op: "addForeignKey", table: o.table, foreignKey: o.foreignKey };
    case "renameConstraint":
      return { ...o, from: o.to, to: o.from };
    case "createType":
      return { op: "dropType", type: o.type };
    case "dropType":
      return { op: "createType", type: o.type };
    case "createSequence":
      return { op: "dropSequence", sequence: o.sequence };
    case "dropSequence":
      return { op: "createSequence", sequence: o.sequence };
    case "addPartition":
      return { op: "dropPartition", table: o.table, partition: o.partition };
    case "dropPartition":
      return { op: "addPartition", table: o.table, partition: o.partition };
    case "sql":
      return { ...o, up: o.down, down: o.up };
    case "data":
      return { ...o, up: o.down, down: o.up, description: `undo: ${o.description}` };
  }
}
