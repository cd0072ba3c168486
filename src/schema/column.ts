import type { StandardSchemaV1 } from "@standard-schema/spec";
import { expr } from "./expr.js";
import type {
  ColumnRole,
  ColumnType,
  DefaultValue,
  Dialect,
  Generated,
  JsonValue,
  Predicate,
  RawSql,
  ReferentialAction,
} from "./model.js";

/** A value format checked before writes (by the data layer), kept on the declaration. */
export type FormatRule =
  | { kind: "pattern"; pattern: string; flags: string }
  | { kind: "email" }
  | { kind: "domainName" }
  | { kind: "cidr" }
  /** argon2 or bcrypt hash text: a plaintext password is refused before it is written. */
  | { kind: "passwordHash" };

/** A column-level CHECK: the suffix names the constraint, `build` receives the column's database name. */
export interface ColumnCheck {
  suffix: string;
  build: (column: string) => Predicate;
}

export interface ReferenceSpec {
  target: () => unknown;
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

/** Which rows a unique key is unique among, on a table with `softDelete()`. */
export interface UniqueScope {
  /** Unique among all rows, deleted ones included (default: among rows not deleted). */
  includingDeleted?: boolean;
}

/** Everything a column declaration says, before the table gives it a name. */
export interface ColumnSpec {
  type: ColumnType;
  /** The enumOf() name, for messages and docs; databases store only the values. */
  enumName?: string;
  nullable: boolean;
  default?: DefaultValue;
  generated?: Generated;
  autoUpdate?: boolean;
  role?: ColumnRole;
  secret?: boolean;
  hidden?: boolean;
  encrypted?: boolean;
  /** With `encrypted`: the plaintext is JSON, serialised before encryption and parsed after decryption. */
  encryptedJson?: boolean;
  computed?: { sql: RawSql; stored: boolean };
  doc?: string;
  primaryKey: boolean;
  unique: boolean;
  /**
   * On a soft-deleted table, `.unique()` holds among rows not deleted; this makes it hold among all
   * rows, deleted ones included (`.unique({ includingDeleted: true })`).
   */
  uniqueIncludingDeleted?: boolean;
  checks: ColumnCheck[];
  formats: FormatRule[];
  /** For json columns: validated on write by the data layer. */
  validator?: StandardSchemaV1;
  /** For foreign keys: the type is copied from the referenced column when the schema is resolved. */
  references?: ReferenceSpec;
}

/**
 * An immutable column builder. The three type parameters are what Kysely's `ColumnType` needs:
 * the type read back, the type accepted on insert (including `undefined` when it may be omitted),
 * and the type accepted on update. Every method returns a new builder, so shared fragments such as
 * mixins can never be altered by a later call.
 */
export class Column<
  TSelect,
  TInsert = TSelect,
  TUpdate = TSelect,
  THidden extends boolean = false,
  TRef extends string = never,
> {
  /**
   * Types only: what Kysely reads and writes, whether reads leave the column out, and for a foreign
   * key the name of the table it references (which types the relations a read may include).
   */
  declare readonly __types?: {
    select: TSelect;
    insert: TInsert;
    update: TUpdate;
    hidden: THidden;
    ref: TRef;
  };

  constructor(readonly spec: ColumnSpec) {}

  private with<S = TSelect, I = TInsert, U = TUpdate, H extends boolean = THidden>(
    patch: Partial<ColumnSpec>,
  ): Column<S, I, U, H, TRef> {
    return new Column<S, I, U, H, TRef>({ ...this.spec, ...patch });
  }

  nullable(): Column<TSelect | null, TInsert | null | undefined, TUpdate | null, THidden, TRef> {
    return this.with({ nullable: true });
  }

  /** A database default; the column becomes optional on insert. */
  default(
    value: Exclude<TSelect, null> & JsonValue,
  ): Column<TSelect, TInsert | undefined, TUpdate, THidden, TRef> {
    return this.with({ default: { kind: "literal", value } });
  }

  /** Defaults to the current time (timestamp columns). */
  /**
   * A default computed by the database, in each engine's own SQL:
   * `.defaultSql({ postgres: "gen_random_uuid()", default: "CURRENT_DATE" })`.
   */
  defaultSql(sql: RawSql | string): Column<TSelect, TInsert | undefined, TUpdate, THidden, TRef> {
    return this.with({
      default: { kind: "expression", sql: typeof sql === "string" ? { default: sql } : sql },
    });
  }

  /**
   * A generated column, computed by the database from other columns of the row (`stored`: kept on
   * disk rather than computed on read; PostgreSQL stores them all). Never written by plinth.
   */
  generatedAs(
    sql: RawSql | string,
    options: { stored?: boolean } = {},
  ): Column<TSelect, never, never, THidden, TRef> {
    return this.with({
      computed: { sql: typeof sql === "string" ? { default: sql } : sql, stored: options.stored ?? true },
    });
  }

  defaultNow(): Column<TSelect, TInsert | undefined, TUpdate, THidden, TRef> {
    return this.with({ default: { kind: "now" } });
  }

  primaryKey(): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with({ primaryKey: true });
  }

  /**
   * No two rows share the value. On a table with `softDelete()` that means no two rows *not
   * deleted* (a partial unique index, emulated on MySQL), so a deleted row's value can be taken
   * again; `{ includingDeleted: true }` makes it a plain UNIQUE constraint over every row.
   */
  unique(options: UniqueScope = {}): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with(
      options.includingDeleted ? { unique: true, uniqueIncludingDeleted: true } : { unique: true },
    );
  }

  /** Marks a column as secret: never logged, redacted from audit rows. */
  secret(): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with({ secret: true });
  }

  /** Left out of reads unless asked for (implies secret): password hashes. */
  hidden(): Column<TSelect, TInsert, TUpdate, true, TRef> {
    return this.with<TSelect, TInsert, TUpdate, true>({ hidden: true, secret: true });
  }

  doc(text: string): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with({ doc: text });
  }

  /** A CHECK constraint named `ck_<table>_<column>_<suffix>`. */
  check(
    suffix: string,
    build: (column: string) => Predicate,
  ): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with({ checks: [...this.spec.checks, { suffix, build }] });
  }

  minLength(n: number) {
    return this.check("min_length", (c) => expr.minLength(c, n));
  }

  between(min: number, max: number) {
    return this.check("between", (c) => expr.between(c, min, max));
  }

  min(value: number) {
    return this.check("min", (c) => expr.min(c, value));
  }

  max(value: number) {
    return this.check("max", (c) => expr.max(c, value));
  }

  /** A format checked by the data layer before writing (regular expressions are not portable SQL). */
  match(pattern: RegExp) {
    return this.format({ kind: "pattern", pattern: pattern.source, flags: pattern.flags });
  }

  email() {
    return this.format({ kind: "email" });
  }

  domainName() {
    return this.format({ kind: "domainName" });
  }

  cidr() {
    return this.format({ kind: "cidr" });
  }

  private format(rule: FormatRule): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with({ formats: [...this.spec.formats, rule] });
  }

  /** Internal: used by mixins and security columns to tag a column's role. */
  withSpec(patch: Partial<ColumnSpec>): Column<TSelect, TInsert, TUpdate, THidden, TRef> {
    return this.with(patch);
  }
}

export type AnyColumn = Column<any, any, any, boolean, string>;

export type SelectType<C> = C extends Column<infer S, any, any, any, any> ? S : never;
export type InsertType<C> = C extends Column<any, infer I, any, any, any> ? I : never;
export type UpdateType<C> = C extends Column<any, any, infer U, any, any> ? U : never;
/** The table a foreign-key column references (`ref(() => account.id)`: "account"), else never. */
export type RefTarget<C> = C extends { __types?: { ref: infer R } } ? R : never;
/** Whether reads leave the column out unless asked (`.hidden()`, `col.password()`). */
export type IsHidden<C> = C extends { __types?: { hidden: infer H } }
  ? [H] extends [true]
    ? true
    : false
  : false;

function column<T, I = T, U = T, H extends boolean = false, R extends string = never>(
  type: ColumnType,
  extra: Partial<ColumnSpec> = {},
): Column<T, I, U, H, R> {
  return new Column<T, I, U, H, R>({
    type,
    nullable: false,
    primaryKey: false,
    unique: false,
    checks: [],
    formats: [],
    ...extra,
  });
}

/** A named enumeration: the values are listed once and reused by every column that stores them. */
export interface EnumType<V extends string> {
  readonly name: string;
  readonly values: readonly V[];
}

export function enumOf<const V extends string>(name: string, values: readonly V[]): EnumType<V> {
  return Object.freeze({ name, values: Object.freeze([...values]) });
}

/** Timestamps are read as Date; an ISO string is accepted on write. */
type Timestamp = Column<Date, Date | string, Date | string>;

export const col = {
  /** Integer primary key filled by the database. */
  id: (): Column<number, number | undefined, never> =>
    column({ kind: "integer" }, { primaryKey: true, generated: "identity" }),
  /** 64-bit primary key filled by the database (read as a JS number; exact up to 2^53). */
  bigId: (): Column<number, number | undefined, never> =>
    column({ kind: "bigint" }, { primaryKey: true, generated: "identity" }),
  /** UUID v7 primary key generated by plinth on insert (time-ordered, so index-friendly). */
  uuidPk: (): Column<string, string | undefined, never> =>
    column({ kind: "uuid" }, { primaryKey: true, generated: "uuidv7" }),
  uuid: (): Column<string> => column({ kind: "uuid" }),
  varchar: (length: number): Column<string> => column({ kind: "varchar", length }),
  text: (): Column<string> => column({ kind: "text" }),
  integer: (): Column<number> => column({ kind: "integer" }),
  bigint: (): Column<number> => column({ kind: "bigint" }),
  boolean: (): Column<boolean> => column({ kind: "boolean" }),
  /** Exact decimal, read as a string so no precision is lost; numbers are accepted on write. */
  decimal: (precision: number, scale: number): Column<string, string | number, string | number> =>
    column({ kind: "decimal", precision, scale }),
  double: (): Column<number> => column({ kind: "double" }),
  timestamp: (): Timestamp => column({ kind: "timestamp" }),
  /** A calendar date, read and written as `YYYY-MM-DD` so no time zone can shift it. */
  date: (): Column<string> => column({ kind: "date" }),
  /** Bytes: BLOB, bytea or LONGBLOB; written as a Uint8Array (or Buffer), read back as a Buffer. */
  binary: (): Column<Uint8Array> => column({ kind: "binary" }),
  /**
   * A type of one engine's own, spelled as that engine spells it (`col.native("postgres", "integer[]")`):
   * rendered verbatim there and refused elsewhere. Values go to the driver as given.
   */
  native: <T = unknown>(dialect: Dialect, type: string): Column<T> =>
    column({ kind: "native", dialect, type }),
  json: jsonColumn,
  /**
   * A password hash (argon2id from `hashPassword`, or a legacy bcrypt hash): left out of reads
   * unless asked for, redacted in audit rows, and a value that is not a hash is refused on write.
   */
  password: (): Column<string, string, string, true> =>
    column(
      { kind: "varchar", length: 255 },
      {
        hidden: true,
        secret: true,
        formats: [{ kind: "passwordHash" }],
        // The database refuses plaintext too, even from a raw insert: ck_<table>_<column>_hash.
        checks: [{ suffix: "hash", build: (c) => expr.passwordHash(c) }],
      },
    ),
  /**
   * A secret stored encrypted (AES-256-GCM, key id inside the ciphertext); read back as plaintext.
   * Redacted in audit rows. The keys come from PLINTH_ENCRYPTION_KEYS.
   */
  encrypted: (): Column<string> => column({ kind: "text" }, { encrypted: true, secret: true }),
  /**
   * A JSON value stored encrypted, as `col.encrypted()` stores text: serialised (after the
   * validator, if one is given, accepts it), then encrypted; read back decrypted and parsed. The
   * column is text on every engine (ciphertext is not JSON), so its content cannot be queried.
   */
  encryptedJson: encryptedJsonColumn,
  enum: <V extends string>(type: EnumType<V>): Column<V> =>
    column({ kind: "enum", values: [...type.values] }, { enumName: type.name }),
};

function jsonColumn<T = JsonValue>(): Column<T>;
function jsonColumn<S extends StandardSchemaV1>(validator: S): Column<StandardSchemaV1.InferOutput<S>>;
function jsonColumn(validator?: StandardSchemaV1): Column<unknown> {
  return column({ kind: "json" }, validator ? { validator } : {});
}

function encryptedJsonColumn<T = JsonValue>(): Column<T>;
function encryptedJsonColumn<S extends StandardSchemaV1>(
  validator: S,
): Column<StandardSchemaV1.InferOutput<S>>;
function encryptedJsonColumn(validator?: StandardSchemaV1): Column<unknown> {
  return column(
    { kind: "text" },
    { encrypted: true, encryptedJson: true, secret: true, ...(validator ? { validator } : {}) },
  );
}

export interface RefOptions {
  onDelete?: ReferentialAction;
  onUpdate?: ReferentialAction;
}

/**
 * A foreign-key column. The target is a thunk so tables may reference tables declared later; the
 * column's type is copied from the target when the schema is resolved.
 */
export function ref<T, TN extends string = string>(
  target: () => ColumnRef<T, TN>,
  options: RefOptions = {},
): Column<Exclude<T, null>, Exclude<T, null>, Exclude<T, null>, false, TN> {
  return column(
    { kind: "integer" },
    {
      references: {
        target,
        onDelete: options.onDelete ?? "no action",
        onUpdate: options.onUpdate ?? "no action",
      },
    },
  );
}

export const COLUMN_REF = Symbol.for("plinth.columnRef");

/** A pointer to a declared column, used as a foreign-key target: `account.id`. */
export interface ColumnRef<T, TN extends string = string> {
  readonly [COLUMN_REF]: true;
  readonly tableName: string;
  readonly key: string;
  readonly name: string;
  readonly spec: ColumnSpec;
  readonly __type?: T;
  /** Types only: the table's name, which ref() carries to type relations. */
  readonly __table?: TN;
}

export function isColumnRef(value: unknown): value is ColumnRef<unknown> {
  return (
    typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[COLUMN_REF] === true
  );
}
