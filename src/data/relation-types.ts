import type { RefTarget, Schema } from "../schema/index.js";
import type { RowOf, TableName, VisibleRowOf } from "./repository-types.js";

/**
 * The relations of relations.ts at the type level, named by the same rule, so that `include` takes
 * only relation names a table has and the rows it returns carry each included relation's type:
 * - belongs-to: a `ref()` column's key without its `Id` suffix (`accountId` → `account`), one row or
 *   null;
 * - has-many: a child table's name in camelCase, plural (`auth_token` → `authTokens`), or
 *   `<children>By<Key>` when the child has several keys to this table; an array of rows.
 */

/** The declaration of table `N` in schema `S`. */
type TableDecl<S extends Schema, N> = S extends Schema<infer T> ? Extract<T[keyof T], { $name: N }> : never;
type ColumnsOf<S extends Schema, N> = TableDecl<S, N> extends { $columns: infer C } ? C : never;

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Vowel = "a" | "e" | "i" | "o" | "u" | "A" | "E" | "I" | "O" | "U";
/** relations.ts's pluralize, letter for letter. */
type Plural<S extends string> = S extends `${string}s`
  ? S
  : S extends `${string}${Vowel}y`
    ? `${S}s`
    : S extends `${infer B}y`
      ? `${B}ies`
      : S extends `${string}${"x" | "ch" | "sh"}`
        ? `${S}es`
        : `${S}s`;

type BelongsToName<K extends string> = K extends `${infer B}Id` ? B : `${K}Ref`;
type IsUnion<T, U = T> = T extends unknown ? ([U] extends [T] ? false : true) : never;

/** Keys of table `C`'s columns that reference table `N`. */
type KeysTo<S extends Schema, C, N> = {
  [K in keyof ColumnsOf<S, C>]: [RefTarget<ColumnsOf<S, C>[K]>] extends [never]
    ? never
    : RefTarget<ColumnsOf<S, C>[K]> extends N
      ? K
      : never;
}[keyof ColumnsOf<S, C>] &
  string;

/** The row an included relation's table gives: hidden columns only when the read asked for them. */
type RelatedRow<S extends Schema, T, H extends boolean> =
  T extends TableName<S> ? (H extends true ? RowOf<S, T> : VisibleRowOf<S, T>) : never;

type BelongsTo<S extends Schema, N, H extends boolean> = {
  [K in keyof ColumnsOf<S, N> as [RefTarget<ColumnsOf<S, N>[K]>] extends [never]
    ? never
    : BelongsToName<K & string>]: RelatedRow<S, RefTarget<ColumnsOf<S, N>[K]>, H> | null;
};

type HasMany<S extends Schema, N, H extends boolean> = {
  [P in TableName<S> as KeysTo<S, P, N> extends infer K extends string
    ? [K] extends [never]
      ? never
      : true extends IsUnion<K>
        ? `${Plural<Camel<P>>}By${Capitalize<K>}`
        : Plural<Camel<P>>
    : never]: RelatedRow<S, P, H>[];
};

/** Every relation table `N` can include, by name, with the type of what it attaches. */
export type RelationsOf<S extends Schema, N extends TableName<S>, H extends boolean = false> = BelongsTo<
  S,
  N,
  H
> &
  HasMany<S, N, H>;

export type RelationName<S extends Schema, N extends TableName<S>> = keyof RelationsOf<S, N> & string;

/** What `include` takes: relation names, as a list or as `{ name: true }`. */
export type IncludeOf<S extends Schema, N extends TableName<S>> =
  | readonly RelationName<S, N>[]
  | { readonly [R in RelationName<S, N>]?: boolean };

/** The names an `include` value asks for. */
type Included<I> = I extends readonly (infer R)[]
  ? R
  : { [K in keyof I]: I[K] extends true ? K : never }[keyof I];

/** A row with the relations `I` includes attached, each typed; nothing more when `I` is empty. */
export type WithIncluded<Row, S extends Schema, N extends TableName<S>, I, H extends boolean = false> = [
  I,
] extends [never]
  ? Row
  : Row & { readonly [R in Included<I> & keyof RelationsOf<S, N, H>]: RelationsOf<S, N, H>[R] };
