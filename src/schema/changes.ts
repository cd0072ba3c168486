import type {
  CheckModel,
  ColumnModel,
  ForeignKeyModel,
  FullTextModel,
  IndexModel,
  SequenceModel,
  TableMeta,
  TableModel,
  TypeModel,
  UniqueModel,
} from "./model.js";

/** The documentation and metadata of a table: what `alterTable` changes. */
export interface TableDetails {
  doc?: string;
  meta: TableMeta;
}

export type ConstraintKind = "primaryKey" | "unique" | "check" | "foreignKey" | "index";

/**
 * Every change to a schema model plinth knows, as plain data. Migrations are lists of them (plus raw
 * SQL and data steps, see plinth/migrate); each engine's schema editor renders every kind, and a kind
 * added here that an editor cannot render fails to compile. Changes that destroy something carry its
 * full definition, so that their reverse can rebuild it.
 */
export type SchemaChange =
  | { op: "createTable"; table: TableModel }
  | { op: "dropTable"; table: TableModel }
  | { op: "renameTable"; from: string; to: string }
  | { op: "alterTable"; table: string; from: TableDetails; to: TableDetails }
  | { op: "addColumn"; table: string; column: ColumnModel }
  | { op: "dropColumn"; table: string; column: ColumnModel }
  | { op: "renameColumn"; table: string; from: string; to: string }
  | { op: "alterColumn"; table: string; from: ColumnModel; to: ColumnModel }
  | { op: "addIndex"; table: string; index: IndexModel; concurrently?: boolean }
  | { op: "dropIndex"; table: string; index: IndexModel; concurrently?: boolean }
  | { op: "addFullText"; table: string; fullText: FullTextModel }
  | { op: "dropFullText"; table: string; fullText: FullTextModel }
  | { op: "addUnique"; table: string; unique: UniqueModel }
  | { op: "dropUnique"; table: string; unique: UniqueModel }
  | { op: "addCheck"; table: string; check: CheckModel; notValid?: boolean }
  | { op: "dropCheck"; table: string; check: CheckModel }
  | { op: "addForeignKey"; table: string; foreignKey: ForeignKeyModel; notValid?: boolean }
  | { op: "validateConstraint"; table: string; name: string }
  | { op: "dropForeignKey"; table: string; foreignKey: ForeignKeyModel }
  | { op: "renameConstraint"; table: string; kind: ConstraintKind; from: string; to: string }
  | { op: "createType"; type: TypeModel }
  | { op: "dropType"; type: TypeModel }
  | { op: "createSequence"; sequence: SequenceModel }
  | { op: "dropSequence"; sequence: SequenceModel }
  | { op: "addPartition"; table: string; partition: PartitionBound }
  | { op: "dropPartition"; table: string; partition: PartitionBound };

/** One partition of a partitioned table: its name and its bound in the engine's words. */
export interface PartitionBound {
  name: string;
  bound: string;
}

export type SchemaChangeKind = SchemaChange["op"];

/** The change of one kind: `ChangeOf<"addIndex">`. */
export type ChangeOf<K extends SchemaChangeKind> = Extract<SchemaChange, { op: K }>;
