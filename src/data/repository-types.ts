import type { Expression, ExpressionBuilder, Insertable, Selectable, SqlBool, Updateable } from "kysely";
import type { Database, HiddenKeys, Schema } from "../schema/index.js";
import type { OrderBy } from "./pagination.js";
import type { IncludeOf } from "./relation-types.js";

export type TableName<S extends Schema> = keyof Database<S> & string;
/** A row with every column, hidden ones included (what `withHidden: true` reads). */
export type RowOf<S extends Schema, N extends TableName<S>> = Selectable<Database<S>[N]>;
/** A row as reads return it by default: without hidden columns (`.hidden()`, `col.password()`). */
export type VisibleRowOf<S extends Schema, N extends TableName<S>> = [HiddenKeysOf<S, N>] extends [never]
  ? RowOf<S, N>
  : Omit<RowOf<S, N>, HiddenKeysOf<S, N>>;

/** The declaration of table `N` in schema `S`. */
type TableDeclOf<S extends Schema, N> = S extends Schema<infer T> ? Extract<T[keyof T], { $name: N }> : never;
type HiddenKeysOf<S extends Schema, N> = HiddenKeys<TableDeclOf<S, N>>;
export type NewRowOf<S extends Schema, N extends TableName<S>> = Insertable<Database<S>[N]>;
export type PatchOf<S extends Schema, N extends TableName<S>> = Updateable<Database<S>[N]>;
/**
 * A row with relations attached under names not known to the type (code that takes rows from any
 * include). Reads type what they include precisely: see WithIncluded.
 */
export type Loaded<R> = R & { readonly [relation: string]: unknown };

/** A primary-key value; an object of key columns for composite keys. */
export type Id = string | number | Readonly<Record<string, unknown>>;

/**
 * Column → value equality (an array means IN, null means IS NULL), or a Kysely expression callback
 * for anything else: `(eb) => eb("depth", ">", 2)`.
 */
export type Where<S extends Schema, N extends TableName<S>> =
  | { [K in keyof RowOf<S, N>]?: RowOf<S, N>[K] | readonly RowOf<S, N>[K][] | null }
  | ((eb: ExpressionBuilder<Database<S>, N>) => Expression<SqlBool>);

// Optional options also take `undefined`, so values passed through from elsewhere (a previous page's
// meta.nextCursor, a query parameter) type-check under exactOptionalPropertyTypes, which
// `tsc --init` turns on.

export interface Visibility {
  /** Soft-deleted rows too. */
  withDeleted?: boolean | undefined;
  /** Soft-deleted rows only. */
  onlyDeleted?: boolean | undefined;
}

/** Options of every read that returns rows. */
export interface ReadOptions extends Visibility {
  /**
   * Hidden columns too (`col.password()`, `.hidden()`): reads leave them out unless asked, so a
   * password hash never leaves the data layer by accident.
   */
  withHidden?: boolean | undefined;
}

/** Column keys to order by, each ascending or `[key, "desc"]`: a misspelt key does not compile. */
export type OrderOf<S extends Schema, N extends TableName<S>> = OrderBy<keyof RowOf<S, N> & string>;

/**
 * `I`: what `include` names; relation names of the table only (see IncludeOf), and the rows read
 * carry each included relation with its type.
 */
export interface FindOptions<S extends Schema, N extends TableName<S>, I = IncludeOf<S, N>>
  extends ReadOptions {
  where?: Where<S, N> | undefined;
  orderBy?: OrderOf<S, N> | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
  include?: I | undefined;
}

export interface PageOptions<S extends Schema, N extends TableName<S>, I = IncludeOf<S, N>>
  extends ReadOptions {
  page: number;
  perPage: number;
  where?: Where<S, N> | undefined;
  orderBy?: OrderOf<S, N> | undefined;
  include?: I | undefined;
  /** Leave out the total (no COUNT query). */
  skipCount?: boolean | undefined;
}

export interface CursorOptions<S extends Schema, N extends TableName<S>, I = IncludeOf<S, N>>
  extends ReadOptions {
  /** The `nextCursor` of the previous page; absent (or undefined) for the first page. */
  after?: string | undefined;
  limit: number;
  where?: Where<S, N> | undefined;
  orderBy?: OrderOf<S, N> | undefined;
  include?: I | undefined;
}
