import type { Insertable, ColumnType as KyselyColumn, Selectable, Updateable } from "kysely";
import type { InsertType, IsHidden, SelectType, UpdateType } from "./column.js";
import type { Schema, Tables } from "./schema.js";
import type { AnyTable } from "./table.js";

/** The Kysely table interface of one declared table, keyed by TypeScript column key. */
export type KyselyTable<T extends AnyTable> = {
  [K in keyof T["$columns"]]: KyselyColumn<
    SelectType<T["$columns"][K]>,
    InsertType<T["$columns"][K]>,
    UpdateType<T["$columns"][K]>
  >;
};

/** The Kysely `Database` type of a whole schema, keyed by table name: no code generation. */
export type Database<S extends Schema | Tables> =
  S extends Schema<infer T> ? DatabaseOf<T> : S extends Tables ? DatabaseOf<S> : never;

type DatabaseOf<T extends Tables> = {
  [K in keyof T as T[K]["$name"]]: KyselyTable<T[K]>;
};

/** A row as read back. */
export type Row<T extends AnyTable> = Flat<Selectable<KyselyTable<T>>>;
/** What an insert accepts: optional where a default, identity or nullability allows. */
export type NewRow<T extends AnyTable> = Flat<Insertable<KyselyTable<T>>>;
/** What an update accepts: every column optional, generated keys excluded. */
export type RowUpdate<T extends AnyTable> = Flat<Updateable<KyselyTable<T>>>;

/** One object type instead of Kysely's intersections, so editors show rows readably. */
type Flat<T> = { [K in keyof T]: T[K] } & {};

/** Keys of a table's hidden columns (`.hidden()`, `col.password()`): reads leave them out unless asked. */
export type HiddenKeys<T extends AnyTable> = {
  [K in keyof T["$columns"]]: IsHidden<T["$columns"][K]> extends true ? K : never;
}[keyof T["$columns"]] &
  string;
