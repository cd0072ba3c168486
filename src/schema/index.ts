export type {
  ChangeOf,
  ConstraintKind,
  PartitionBound,
  SchemaChange,
  SchemaChangeKind,
  TableDetails,
} from "./changes.js";
export type {
  AnyColumn,
  ColumnRef,
  EnumType,
  FormatRule,
  RefOptions,
  RefTarget,
  UniqueScope,
} from "./column.js";
export { Column, col, enumOf, ref } from "./column.js";
export { SchemaError } from "./errors.js";
export { expr, predicateColumns } from "./expr.js";
export type { Database, HiddenKeys, KyselyTable, NewRow, Row, RowUpdate } from "./infer.js";
export { softDelete, timestamps, uuidPrimaryKey, version } from "./mixins.js";
export type * from "./model.js";
export { DIALECTS } from "./model.js";
export { sqlName } from "./names.js";
export type { Schema, Tables } from "./schema.js";
export { isSchema, schema } from "./schema.js";
export type { Snapshot } from "./snapshot.js";
export { canonicalJson, SNAPSHOT_FORMAT, snapshot, snapshotJson } from "./snapshot.js";
export type {
  AnyTable,
  Columns,
  FullTextOption,
  IndexOption,
  PartitionOption,
  Table,
  TableOptions,
  UniqueOption,
} from "./table.js";
export { isTable, table } from "./table.js";
