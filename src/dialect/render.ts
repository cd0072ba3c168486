import type { ColumnModel, DefaultValue, Dialect, Predicate, RawSql, TableModel } from "../schema/index.js";
import { SchemaError } from "../schema/index.js";
import { constraintName } from "../schema/names.js";
import type { DdlDialect } from "./types.js";

/** Renders a portable predicate for one dialect; `raw` predicates pick that dialect's SQL. */
export function renderPredicate(p: Predicate, d: DdlDialect): string {
  const q = (c: string) => d.quote(c);
  const value = (v: string | number) => (typeof v === "number" ? String(v) : d.literal(v));
  switch (p.op) {
    case "in":
      return `${q(p.column)} IN (${p.values.map(value).join(", ")})`;
    case "between":
      return `${q(p.column)} BETWEEN ${p.min} AND ${p.max}`;
    case "compare":
      return `${q(p.column)} ${p.cmp} ${value(p.value)}`;
    case "length":
      return `${d.lengthFunction}(${q(p.column)}) ${p.cmp} ${p.value}`;
    case "isNull":
      return `${q(p.column)} IS NULL`;
    case "isNotNull":
      return `${q(p.column)} IS NOT NULL`;
    case "and":
    case "or":
      return p.args.map((a) => `(${renderPredicate(a, d)})`).join(` ${p.op.toUpperCase()} `);
    case "raw":
      return rawSqlFor(p.sql, d, "a raw predicate");
    case "passwordHash":
      return passwordHashSql(q(p.column), d);
  }
}

/**
 * argon2 PHC strings (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) and bcrypt hashes (`$2a$`/`$2b$`/`$2y$`,
 * two-digit cost, 53 characters of salt and hash): the same shapes the repository accepts. `[$]` spells
 * a literal dollar without a backslash, so the pattern reads the same in every engine's string
 * literals. PostgreSQL matches with `~` (case-sensitive); MySQL and MariaDB with REGEXP under a binary
 * collation (case-sensitive too); SQLite has no regular expressions built in, so there the shape is
 * spelt with GLOB patterns (case-sensitive) and a length and alphabet check.
 */
const PASSWORD_HASH_REGEX =
  "^([$]argon2(id|i|d)[$]v=[0-9]+[$]m=[0-9]+,t=[0-9]+,p=[0-9]+[$][A-Za-z0-9+/]+[$][A-Za-z0-9+/]+|[$]2[aby][$][0-9]{2}[$][./A-Za-z0-9]{53})$";

function passwordHashSql(column: string, d: DdlDialect): string {
  switch (d.name) {
    case "postgres":
      return `${column} ~ ${d.literal(PASSWORD_HASH_REGEX)}`;
    case "mysql":
      return `(${column} COLLATE utf8mb4_bin) REGEXP ${d.literal(PASSWORD_HASH_REGEX)}`;
    case "sqlite": {
      const argon2 = "[$]v=[0-9]*[$]m=[0-9]*,t=[0-9]*,p=[0-9]*[$]?*[$]?*";
      return (
        `((${column} GLOB ${d.literal(`$argon2id${argon2}`)} OR ${column} GLOB ${d.literal(`$argon2[id]${argon2}`)}) ` +
        `AND NOT ${column} GLOB ${d.literal("*[^$=,+/A-Za-z0-9]*")}) ` +
        `OR (length(${column}) = 60 AND ${column} GLOB ${d.literal("$2[aby]$[0-9][0-9]$*")} ` +
        `AND NOT substr(${column}, 8) GLOB ${d.literal("*[^./A-Za-z0-9]*")})`
      );
    }
  }
}

/** The SQL an engine-specific fragment has for this engine; a SchemaError naming `what` when none. */
export function rawSqlFor(sql: RawSql, d: { name: Dialect }, what: string): string {
  const text = sql[d.name] ?? sql.default;
  if (text === undefined)
    throw new SchemaError(
      `${what} is written for ${Object.keys(sql).join(", ") || "no engine"} and has no SQL for ${d.name}`,
    );
  return text;
}

/**
 * The column type for an engine when it is a native one, kept verbatim on the engine it came from.
 * A native type has no spelling elsewhere: copying it to another engine is refused.
 */
export function nativeType(c: ColumnModel, d: { name: Dialect }): string | undefined {
  if (c.type.kind !== "native") return undefined;
  if (c.type.dialect !== d.name)
    throw new SchemaError(
      `column ${c.name} has the ${c.type.dialect} type ${c.type.type}, which has no ${d.name} spelling`,
    );
  return c.type.type;
}

/** ` GENERATED ALWAYS AS (…) STORED|VIRTUAL` (or MySQL's ` AS (…) …`) for a generated column, or nothing. */
export function computedClause(
  c: ColumnModel,
  d: { name: Dialect },
  spelling: "generated" | "as" = "generated",
): string {
  if (!c.computed) return "";
  const expression = rawSqlFor(c.computed.sql, d, `the expression of ${c.name}`);
  const how = c.computed.stored ? "STORED" : "VIRTUAL";
  return spelling === "as" ? ` AS (${expression}) ${how}` : ` GENERATED ALWAYS AS (${expression}) ${how}`;
}

/** Quoting shared by all three engines: double a quote to escape it. */
export function quoteWith(q: string): (identifier: string) => string {
  return (identifier) => `${q}${identifier.replaceAll(q, q + q)}${q}`;
}

export function columnList(columns: string[], d: DdlDialect): string {
  return columns.map((c) => d.quote(c)).join(", ");
}

/** How a dialect spells the values a DEFAULT can hold. */
export interface DefaultSpelling {
  now: string;
  boolean: (b: boolean) => string;
  json: (text: string) => string;
}

/** The DEFAULT expression of a column (no DEFAULT keyword), given how this dialect spells values. */
export function defaultExpression(
  column: ColumnModel,
  d: DdlDialect,
  spell: DefaultSpelling,
): string | undefined {
  const dflt: DefaultValue | undefined = column.default;
  if (!dflt) return undefined;
  if (dflt.kind === "now") return spell.now;
  if (dflt.kind === "expression") return rawSqlFor(dflt.sql, d, `the default of ${column.name}`);
  const v = dflt.value;
  if (column.type.kind === "json") return spell.json(d.literal(JSON.stringify(v)));
  if (typeof v === "boolean") return spell.boolean(v);
  if (typeof v === "number") return String(v);
  if (v === null) return "NULL";
  return d.literal(String(v));
}

/** ` DEFAULT <expression>`, or nothing. */
export function defaultClause(column: ColumnModel, d: DdlDialect): string {
  const expression = d.defaultExpression(column);
  return expression === undefined ? "" : ` DEFAULT ${expression}`;
}

/** Enum domains are CHECKs on every engine; dialects add their own type-specific ones. */
export function enumCheck(
  table: TableModel,
  column: ColumnModel,
  d: DdlDialect,
): { name: string; sql: string }[] {
  if (column.type.kind !== "enum") return [];
  const values = column.type.values.map((v) => d.literal(v)).join(", ");
  return [
    {
      name: constraintName(["ck", table.name, column.name, "enum"]),
      sql: `${d.quote(column.name)} IN (${values})`,
    },
  ];
}

/**
 * Enum columns are wide on purpose: the CHECK, not the length, must decide what is allowed, so a
 * wrong value is a CheckViolation (not "value too long"), and adding a value never alters the type.
 */
export function enumLength(column: ColumnModel): number {
  return column.type.kind === "enum" ? Math.max(255, ...column.type.values.map((v) => v.length)) : 0;
}

/** Table-level constraint lines shared by all engines' CREATE TABLE. */
export function constraintLines(table: TableModel, d: DdlDialect, deferred: ReadonlySet<string>): string[] {
  const lines: string[] = [];
  // An engine that writes the identity key inline (SQLite's INTEGER PRIMARY KEY) names no constraint.
  const inlinePk = table.columns.some((c) => c.generated === "identity") && d.identityKeyInline;
  // A table without a primary key is legal (another tool's, a log): it simply has no constraint line.
  if (!inlinePk && table.primaryKey.columns.length > 0) {
    lines.push(
      `CONSTRAINT ${d.quote(table.primaryKey.name)} PRIMARY KEY (${columnList(table.primaryKey.columns, d)})`,
    );
  }
  for (const u of table.uniques)
    lines.push(`CONSTRAINT ${d.quote(u.name)} UNIQUE (${columnList(u.columns, d)})`);
  for (const column of table.columns) {
    for (const c of d.implicitChecks(table, column))
      lines.push(`CONSTRAINT ${d.quote(c.name)} CHECK (${c.sql})`);
  }
  for (const c of table.checks)
    lines.push(`CONSTRAINT ${d.quote(c.name)} CHECK (${renderPredicate(c.predicate, d)})`);
  for (const fk of table.foreignKeys) {
    if (!deferred.has(fk.name)) lines.push(foreignKeyClause(table, fk.name, d));
  }
  return lines;
}

export function foreignKeyClause(table: TableModel, name: string, d: DdlDialect): string {
  const fk = table.foreignKeys.find((f) => f.name === name);
  if (!fk) throw new Error(`${table.name}: no foreign key named ${name}`);
  return (
    `CONSTRAINT ${d.quote(fk.name)} FOREIGN KEY (${columnList(fk.columns, d)}) ` +
    `REFERENCES ${d.quote(fk.refTable)} (${columnList(fk.refColumns, d)}) ` +
    `ON DELETE ${fk.onDelete.toUpperCase()} ON UPDATE ${fk.onUpdate.toUpperCase()}`
  );
}

export function createIndex(
  table: TableModel,
  index: TableModel["indexes"][number],
  d: DdlDialect,
  options: { where?: string; concurrently?: boolean; using?: string; include?: boolean } = {},
) {
  const unique = index.unique ? "UNIQUE " : "";
  const concurrently = options.concurrently ? "CONCURRENTLY " : "";
  const using = options.using ? ` USING ${options.using}` : "";
  const include =
    options.include && index.include?.length ? ` INCLUDE (${columnList(index.include, d)})` : "";
  return (
    `CREATE ${unique}INDEX ${concurrently}${d.quote(index.name)} ON ${d.quote(table.name)}${using} (${indexKeys(index, d)})${include}` +
    (options.where ? ` WHERE ${options.where}` : "")
  );
}

/** The key columns of an index, each with its prefix length and direction where it has them. */
export function indexKeys(index: TableModel["indexes"][number], d: DdlDialect): string {
  return index.columns
    .map((c) => {
      const prefix = index.prefixes?.[c];
      const desc = index.descending?.includes(c) ? " DESC" : "";
      return `${d.quote(c)}${prefix ? `(${prefix})` : ""}${desc}`;
    })
    .join(", ");
}

/**
 * CREATE TABLE plus what belongs to the table, assembled the same way for every engine from the
 * dialect's pieces; `suffix` closes the statement (STRICT, ENGINE=..., or nothing).
 */
export function createTableStatements(
  t: TableModel,
  d: DdlDialect,
  deferred: ReadonlySet<string>,
  suffix: string,
  options: {
    /** Lines a dialect adds to the table body (MySQL's stand-in columns for partial unique indexes). */
    extraLines?: string[];
    ifNotExists?: boolean;
    /** Create the table under this name instead (a rebuild's temporary copy); nothing else changes. */
    as?: string;
  } = {},
): string[] {
  const lines = [
    ...t.columns.map((c) => d.columnDefinition(t, c)),
    ...(options.extraLines ?? []),
    ...constraintLines(t, d, deferred),
  ];
  const body = lines.join(",\n  ");
  return [
    `CREATE TABLE ${options.ifNotExists ? "IF NOT EXISTS " : ""}${d.quote(options.as ?? t.name)} (\n  ${body}\n)${suffix}`,
    ...t.indexes.map((ix) => d.indexStatement(t, ix)),
    ...d.commentStatements(t),
    ...t.columns.filter((c) => c.autoUpdate).flatMap((c) => d.touchStatements(t, c)),
    ...(t.fullText ? d.fullTextStatements(t) : []),
  ];
}

/** The name of the trigger that keeps an autoUpdate column current. */
export function touchTriggerName(t: TableModel, c: ColumnModel): string {
  return constraintName(["trg", t.name, c.name, "touch"]);
}

/**
 * The message an append-only trigger raises, the same on every engine so that one pattern
 * (asImmutableRowError in plinth's audit module) recognises it.
 */
export function appendOnlyRefusal(
  table: string,
  operation: "UPDATE" | "DELETE" | "TRUNCATE" | "REPLACE",
): string {
  return `${table} is append-only: ${operation} refused`;
}
