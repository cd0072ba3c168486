/**
 * The resolved, dialect-neutral model of a schema. It is plain JSON on purpose: the canonical snapshot
 * is this model serialised with sorted keys, dialects render DDL from it, and migrations and the review
 * will diff two of them. Names here are database names (snake_case), never TypeScript keys.
 */

export type ColumnType =
  | { kind: "integer" }
  | { kind: "bigint" }
  | { kind: "varchar"; length: number }
  | { kind: "text" }
  | { kind: "boolean" }
  | { kind: "decimal"; precision: number; scale: number }
  | { kind: "double" }
  | { kind: "timestamp" }
  | { kind: "date" }
  | { kind: "json" }
  | { kind: "uuid" }
  | { kind: "enum"; values: string[] }
  | { kind: "binary" }
  /**
   * A type plinth has no portable kind for (PostgreSQL arrays, tsvector, smallint; MySQL unsigned
   * integers, YEAR, SET; SQLite declared types of non-STRICT tables), kept exactly as that engine
   * spells it: rendered verbatim there, refused elsewhere, compared by its spelling.
   */
  | { kind: "native"; dialect: Dialect; type: string };

export type ColumnKind = ColumnType["kind"];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** `expression`: an SQL expression in each engine's own words (`CURRENT_DATE`, `gen_random_uuid()`). */
export type DefaultValue =
  | { kind: "literal"; value: JsonValue }
  | { kind: "now" }
  | { kind: "expression"; sql: RawSql };

/** Who fills a primary key: the database (identity / auto-increment) or plinth (UUID v7 on insert). */
export type Generated = "identity" | "uuidv7";

/** Columns that later capabilities recognise by role rather than by name. */
export type ColumnRole = "createdAt" | "updatedAt" | "deletedAt" | "version";

export interface ColumnModel {
  name: string;
  /** The TypeScript key the column is declared under; queries and row types use it. */
  key: string;
  type: ColumnType;
  nullable: boolean;
  default?: DefaultValue;
  generated?: Generated;
  /** Set to the current time on every UPDATE that does not set it explicitly. */
  autoUpdate?: boolean;
  role?: ColumnRole;
  /** password / token / encrypted columns are secrets: never logged, redacted in audit rows. */
  secret?: boolean;
  /** Left out of every read unless the caller asks for it (password hashes). */
  hidden?: boolean;
  /** Stored as AES-256-GCM ciphertext; the data layer encrypts on write and decrypts on read. */
  encrypted?: boolean;
  /** With `encrypted`: the plaintext is JSON (`col.encryptedJson()`), serialised then encrypted. */
  encryptedJson?: boolean;
  /** A generated column: computed by the database from `sql`, kept on disk when `stored`. */
  computed?: { sql: RawSql; stored: boolean };
  doc?: string;
}

/** Portable CHECK and partial-index predicates, rendered by each dialect; `raw` is the escape hatch. */
export type Predicate =
  | { op: "in"; column: string; values: (string | number)[] }
  | { op: "between"; column: string; min: number; max: number }
  | { op: "compare"; column: string; cmp: Comparison; value: number | string }
  | { op: "length"; column: string; cmp: Comparison; value: number }
  | { op: "isNull"; column: string }
  | { op: "isNotNull"; column: string }
  /** An argon2 PHC string or a bcrypt hash: what `col.password()` accepts, checked by the database. */
  | { op: "passwordHash"; column: string }
  | { op: "and"; args: Predicate[] }
  | { op: "or"; args: Predicate[] }
  | { op: "raw"; sql: RawSql };

export type Comparison = "=" | "<>" | "<" | "<=" | ">" | ">=";

/** Raw SQL per dialect; `default` serves every dialect not named. */
export interface RawSql {
  default?: string;
  sqlite?: string;
  postgres?: string;
  mysql?: string;
}

export type ReferentialAction = "cascade" | "restrict" | "set null" | "no action";

export interface PrimaryKeyModel {
  name: string;
  columns: string[];
}

export interface UniqueModel {
  name: string;
  columns: string[];
}

export interface CheckModel {
  name: string;
  predicate: Predicate;
}

export interface ForeignKeyModel {
  name: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: ReferentialAction;
  onUpdate: ReferentialAction;
}

export interface IndexModel {
  name: string;
  columns: string[];
  unique: boolean;
  where?: Predicate;
  /** The access method where it is not the engine's default (PostgreSQL: gin, gist, hash, brin). */
  method?: string;
  /** Key columns kept in descending order. */
  descending?: string[];
  /** Columns carried in the index but not part of its key (PostgreSQL INCLUDE). */
  include?: string[];
  /** Key columns indexed by a prefix of this many characters (MySQL). */
  prefixes?: Record<string, number>;
}

/** Full-text weights, strongest first: PostgreSQL's setweight labels, which the other engines approximate. */
export type FullTextWeight = "A" | "B" | "C" | "D";

export interface FullTextColumn {
  column: string;
  weight: FullTextWeight;
}

/**
 * A weighted full-text index over text columns. PostgreSQL: a GIN index over the weighted tsvector
 * expression; SQLite: an external-content FTS5 table kept in step by triggers; MySQL: InnoDB FULLTEXT
 * indexes. `language` is a PostgreSQL text search configuration; SQLite stems only for "english".
 */
export interface FullTextModel {
  name: string;
  /** In declaration order: the order of the FTS5 columns and of the tsvector parts. */
  columns: FullTextColumn[];
  language: string;
}

export type Growth = "static" | "slow" | "fast" | "append-only";

export interface TableMeta {
  audit?: boolean;
  growth?: Growth;
  /** Rows older than this many days may be removed by retention jobs. */
  retention?: { days: number; column: string };
  /** Names of declared hot queries; the query functions themselves stay on the declaration. */
  hotQueries?: string[];
  /** Review rules silenced for this table (`review: { ignore: ["rule-id"] }`), each a deliberate choice. */
  review?: { ignore: string[] };
}

/**
 * A table split into partitions by the engine (PostgreSQL declarative partitioning): the key in the
 * engine's words (`RANGE (logged_at)`) and each partition with its bound (`FOR VALUES FROM (…) TO (…)`).
 */
export interface PartitionModel {
  dialect: Dialect;
  key: string;
  partitions: { name: string; bound: string }[];
  /**
   * Declared (`partition: { by, interval }`): plinth keeps one partition per interval of `column`,
   * named `<table>_pYYYYMM`, created ahead and dropped by retention at run time, so those are not
   * part of the schema; `partitions` holds only the default one.
   */
  interval?: "month";
  column?: string;
}

/** A standalone sequence (PostgreSQL): one that no identity or serial column owns. */
export interface SequenceModel {
  name: string;
  start: number;
  increment: number;
}

export interface TableModel {
  name: string;
  doc?: string;
  columns: ColumnModel[];
  primaryKey: PrimaryKeyModel;
  uniques: UniqueModel[];
  checks: CheckModel[];
  foreignKeys: ForeignKeyModel[];
  indexes: IndexModel[];
  fullText?: FullTextModel;
  partition?: PartitionModel;
  /**
   * SQLite only: false for a table created without STRICT (another tool's), whose declared types
   * are kept as written. plinth's own tables are STRICT.
   */
  strict?: boolean;
  meta: TableMeta;
}

/**
 * Something in a database that plinth neither models nor changes (a view, a trigger, a function, a
 * type, an expression index…): introspection lists it, so a comparison says what it did not compare.
 */
export interface UnmanagedObject {
  kind: string;
  name: string;
  table?: string;
  /** Why plinth leaves it alone, or what it is. */
  detail?: string;
  /** Its definition as the engine prints it (a view's or trigger's CREATE statement), where known. */
  definition?: string;
}

/**
 * A type the database defines (PostgreSQL's enum types and domains), kept as its engine's
 * CREATE statement: columns of that type are native columns naming it.
 */
export interface TypeModel {
  name: string;
  dialect: Dialect;
  /** `CREATE TYPE mood AS ENUM ('sad', 'ok')`, `CREATE DOMAIN year AS integer CHECK (…)`. */
  definition: string;
}

export interface SchemaModel {
  tables: TableModel[];
  sequences?: SequenceModel[];
  types?: TypeModel[];
  /** Filled by introspection only: the objects it found and did not model. */
  unmanaged?: UnmanagedObject[];
}

export type Dialect = "sqlite" | "postgres" | "mysql";
export const DIALECTS: readonly Dialect[] = ["sqlite", "postgres", "mysql"];
