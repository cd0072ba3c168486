import type { ColumnModel, TableModel } from "../../schema/index.js";
import { SchemaError } from "../../schema/index.js";
import { constraintName } from "../../schema/names.js";
import { fullTextOf, WEIGHT_VALUE } from "../full-text.js";
import type { DefaultSpelling } from "../render.js";
import {
  appendOnlyRefusal,
  computedClause,
  createIndex,
  createTableStatements,
  defaultClause,
  defaultExpression,
  enumCheck,
  foreignKeyClause,
  nativeType,
  quoteWith,
  renderPredicate,
  touchTriggerName,
} from "../render.js";
import type { DdlDialect } from "../types.js";
import { sqliteFullTextTriggers, sqliteTokenizer } from "./full-text.js";

/**
 * Decimals of up to 15 digits are stored as REAL: a double holds every such number closely enough
 * to give it back exactly at its scale, and REAL compares, sorts and aggregates as a number (TEXT
 * would put 9.99 above 10.00). Wider decimals stay TEXT, so no digit is lost, and compare as text.
 */
export const SQLITE_REAL_DECIMAL_DIGITS = 15;

export function sqliteDecimalIsReal(type: ColumnModel["type"]): boolean {
  return type.kind === "decimal" && type.precision <= SQLITE_REAL_DECIMAL_DIGITS;
}

/** ISO-8601 UTC with milliseconds: sorts as text and parses with `new Date()`. */
export const SQLITE_NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

/**
 * SQLite: STRICT tables, so declared types are enforced. STRICT knows only INTEGER, REAL, TEXT, BLOB
 * and ANY, so the rest of the type system (varchar length, boolean, JSON, UUID, enum) becomes CHECKs.
 */
export const sqliteDdl: DdlDialect = {
  name: "sqlite",
  quote: quoteWith('"'),
  literal: (v) => `'${v.replaceAll("'", "''")}'`,
  lengthFunction: "length",
  now: SQLITE_NOW,
  identityKeyInline: true,

  columnType(c: ColumnModel): string {
    switch (c.type.kind) {
      case "integer":
      case "bigint":
      case "boolean":
        return "INTEGER";
      case "double":
        return "REAL";
      case "binary":
        return "BLOB";
      case "native":
        return nativeType(c, sqliteDdl)!;
      case "decimal":
        return sqliteDecimalIsReal(c.type) ? "REAL" : "TEXT";
      default:
        // Timestamps are ISO text, dates YYYY-MM-DD.
        return "TEXT";
    }
  },

  prelude: () => [],

  // plinth's tables are STRICT; another tool's (strict: false) keep their declared types as written.
  createTable: (t, deferred, options) =>
    createTableStatements(t, sqliteDdl, deferred, t.strict === false ? "" : " STRICT", options),

  columnDefinition(_t: TableModel, c: ColumnModel): string {
    const q = sqliteDdl.quote;
    // An INTEGER PRIMARY KEY column is SQLite's rowid: the identity column.
    if (c.generated === "identity") return `${q(c.name)} INTEGER PRIMARY KEY`;
    const nullability = c.nullable ? "" : " NOT NULL";
    return `${q(c.name)} ${sqliteDdl.columnType(c)}${nullability}${defaultClause(c, sqliteDdl)}${computedClause(c, sqliteDdl)}`;
  },
  defaultExpression: (c) => defaultExpression(c, sqliteDdl, spelling),

  // Building an index locks the table for writes on SQLite whatever is asked: `concurrently` is moot.
  indexStatement: (t, ix) => {
    if (ix.method || ix.include?.length || ix.prefixes)
      throw new SchemaError(
        `${t.name}: index ${ix.name} uses an access method, INCLUDE or prefixes, which SQLite does not have`,
        t.name,
      );
    return createIndex(t, ix, sqliteDdl, { where: ix.where && renderPredicate(ix.where, sqliteDdl) });
  },
  dropIndexStatement: (_t, name) => `DROP INDEX ${sqliteDdl.quote(name)}`,

  // SQLite has no comments; docs live in the snapshot.
  commentStatements: () => [],

  /** updated_at moves on every UPDATE that leaves it unchanged; recursive triggers are off, so no loop. */
  touchStatements(t, c) {
    const q = sqliteDdl.quote;
    const match = t.primaryKey.columns.map((k) => `${q(k)} = NEW.${q(k)}`).join(" AND ");
    return [
      `CREATE TRIGGER ${q(touchTriggerName(t, c))} AFTER UPDATE ON ${q(t.name)} ` +
        `FOR EACH ROW WHEN NEW.${q(c.name)} IS OLD.${q(c.name)} BEGIN ` +
        `UPDATE ${q(t.name)} SET ${q(c.name)} = ${SQLITE_NOW} WHERE ${match}; END`,
    ];
  },
  dropTouchStatements: (t, c) => [`DROP TRIGGER IF EXISTS ${sqliteDdl.quote(touchTriggerName(t, c))}`],

  /**
   * An external-content FTS5 table: it indexes the table's rows without a second copy of the text,
   * keyed by rowid (the INTEGER PRIMARY KEY when there is one; the implicit rowid of any other table,
   * UUID keys included). Triggers keep it in step; the bm25 weights are stored as the table's default
   * rank, and `rebuild` indexes the rows already there.
   */
  fullTextStatements(t) {
    const ft = fullTextOf(t);
    const q = sqliteDdl.quote;
    const names = sqliteFullTextTriggers(ft);
    const rowid = sqliteRowidColumn(t);
    const cols = ft.columns.map((c) => q(c.column)).join(", ");
    const values = (row: string) => ft.columns.map((c) => `${row}.${q(c.column)}`).join(", ");
    const options = [
      `content=${sqliteDdl.literal(t.name)}`,
      ...(rowid ? [`content_rowid=${sqliteDdl.literal(rowid)}`] : []),
      `tokenize=${sqliteDdl.literal(sqliteTokenizer(ft.language))}`,
    ];
    const weights = ft.columns.map((c) => WEIGHT_VALUE[c.weight].toFixed(1)).join(", ");
    const remove = `INSERT INTO ${q(ft.name)} (${q(ft.name)}, rowid, ${cols}) VALUES ('delete', OLD.rowid, ${values("OLD")})`;
    const add = `INSERT INTO ${q(ft.name)} (rowid, ${cols}) VALUES (NEW.rowid, ${values("NEW")})`;
    // Only a change to an indexed column (or the key) needs reindexing; touching updated_at does not.
    const watched = [...new Set([...ft.columns.map((c) => c.column), ...(rowid ? [rowid] : [])])];
    return [
      `CREATE VIRTUAL TABLE ${q(ft.name)} USING fts5(${cols}, ${options.join(", ")})`,
      `INSERT INTO ${q(ft.name)} (${q(ft.name)}, rank) VALUES ('rank', 'bm25(${weights})')`,
      `CREATE TRIGGER ${q(names.insert)} AFTER INSERT ON ${q(t.name)} FOR EACH ROW BEGIN ${add}; END`,
      `CREATE TRIGGER ${q(names.delete)} AFTER DELETE ON ${q(t.name)} FOR EACH ROW BEGIN ${remove}; END`,
      `CREATE TRIGGER ${q(names.update)} AFTER UPDATE OF ${watched.map(q).join(", ")} ON ${q(t.name)} FOR EACH ROW BEGIN ${remove}; ${add}; END`,
      `INSERT INTO ${q(ft.name)} (${q(ft.name)}) VALUES ('rebuild')`,
    ];
  },
  dropFullTextStatements(t) {
    const ft = fullTextOf(t);
    const names = sqliteFullTextTriggers(ft);
    return [
      ...[names.insert, names.delete, names.update].map(
        (n) => `DROP TRIGGER IF EXISTS ${sqliteDdl.quote(n)}`,
      ),
      `DROP TABLE IF EXISTS ${sqliteDdl.quote(ft.name)}`,
    ];
  },

  addForeignKey(t, name) {
    // Never called: planSchema defers nothing on SQLite.
    return foreignKeyClause(t, name, sqliteDdl);
  },

  implicitChecks(t, c) {
    const q = sqliteDdl.quote(c.name);
    const named = (suffix: string, sql: string) => ({
      name: constraintName(["ck", t.name, c.name, suffix]),
      sql,
    });
    switch (c.type.kind) {
      case "varchar":
        return [named("length", `length(${q}) <= ${c.type.length}`)];
      case "boolean":
        return [named("bool", `${q} IN (0, 1)`)];
      case "json":
        return [named("json", `json_valid(${q})`)];
      case "uuid":
        return [named("uuid", `length(${q}) = 36`)];
      case "enum":
        return enumCheck(t, c, sqliteDdl);
      default:
        return [];
    }
  },

  appendOnlyStatements(table, uniqueKeys = [["rowid"]], options = {}) {
    const q = sqliteDdl.quote;
    const refuse = (op: "UPDATE" | "DELETE" | "REPLACE") =>
      `BEGIN SELECT RAISE(ABORT, ${sqliteDdl.literal(appendOnlyRefusal(table, op))}); END`;
    // ON DELETE SET NULL runs as an UPDATE once the referenced row is deleted: let exactly that one
    // through (those columns emptied, every other column as it was, the referenced row gone).
    const setNull = (options.setNull ?? []).map((fk) => {
      const others = (options.columns ?? []).filter((c) => !fk.columns.includes(c));
      const join = fk.columns.map((c, i) => `${q(fk.refColumns[i]!)} = OLD.${q(c)}`).join(" AND ");
      return [
        ...fk.columns.map((c) => `NEW.${q(c)} IS NULL AND OLD.${q(c)} IS NOT NULL`),
        ...others.map((c) => `NEW.${q(c)} IS OLD.${q(c)}`),
        `NOT EXISTS (SELECT 1 FROM ${q(fk.refTable)} WHERE ${join})`,
      ].join(" AND ");
    });
    // Retention: a DELETE passes for a row older than the cutoff of the permit row openRetention
    // writes inside the deleting transaction (SQLite has one writer: no one else sees the row).
    const retention = options.retention
      ? `EXISTS (SELECT 1 FROM ${q(RETENTION_PERMITS)} WHERE "table_name" = ${sqliteDdl.literal(table)} AND OLD.${q(options.retention.column)} < "cutoff")`
      : undefined;
    const unless = (op: "UPDATE" | "DELETE") =>
      op === "UPDATE" && setNull.length
        ? `WHEN NOT ((${setNull.join(") OR (")})) `
        : op === "DELETE" && retention
          ? `WHEN NOT ${retention} `
          : "";
    // REPLACE (and INSERT OR REPLACE) deletes a colliding row without firing delete triggers unless
    // recursive_triggers is on: an insert that collides on any unique key is refused before it can.
    const collides = uniqueKeys
      .map(
        (key) =>
          `EXISTS (SELECT 1 FROM ${q(table)} WHERE ${key.map((c) => `${q(c)} = NEW.${q(c)}`).join(" AND ")})`,
      )
      .join(" OR ");
    const noReplace = `${table}_no_replace`;
    return [
      ...(retention ? [RETENTION_PERMITS_TABLE] : []),
      ...(["UPDATE", "DELETE"] as const).flatMap((op) => {
        const name = `${table}_no_${op.toLowerCase()}`;
        return [
          `DROP TRIGGER IF EXISTS ${q(name)}`,
          `CREATE TRIGGER ${q(name)} BEFORE ${op} ON ${q(table)} ${unless(op)}${refuse(op)}`,
        ];
      }),
      `DROP TRIGGER IF EXISTS ${q(noReplace)}`,
      `CREATE TRIGGER ${q(noReplace)} BEFORE INSERT ON ${q(table)} WHEN ${collides} ${refuse("REPLACE")}`,
    ];
  },
  dropAppendOnlyStatements: (table) =>
    ["update", "delete", "replace"].map(
      (op) => `DROP TRIGGER IF EXISTS ${sqliteDdl.quote(`${table}_no_${op}`)}`,
    ),
};

/**
 * SQLite has no session settings a trigger can read: openRetention writes a permit row here inside
 * the deleting transaction and closeRetention removes it before commit, so it is empty at rest.
 */
export const RETENTION_PERMITS = "plinth_retention_permit";
const RETENTION_PERMITS_TABLE = `CREATE TABLE IF NOT EXISTS "${RETENTION_PERMITS}" ("table_name" TEXT PRIMARY KEY, "cutoff" TEXT NOT NULL) STRICT`;

const spelling: DefaultSpelling = {
  now: SQLITE_NOW,
  boolean: (b: boolean) => (b ? "1" : "0"),
  json: (text: string) => text,
};

/** The column that is SQLite's rowid: a lone INTEGER primary key (integer and bigint both render so). */
export function sqliteRowidColumn(t: TableModel): string | undefined {
  if (t.primaryKey.columns.length !== 1) return undefined;
  const column = t.columns.find((c) => c.name === t.primaryKey.columns[0]);
  return column && ["integer", "bigint"].includes(column.type.kind) ? column.name : undefined;
}
