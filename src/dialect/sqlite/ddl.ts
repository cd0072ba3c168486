import type { ColumnModel, TableModel } from "../../schema/index.js";
import { constraintName } from "../../schema/names.js";
import {
  createIndex,
  createTableStatements,
  defaultClause,
  enumCheck,
  foreignKeyClause,
  quoteWith,
  renderPredicate,
  touchTriggerName,
} from "../render.js";
import type { SqlDialect } from "../types.js";
import { translateSqliteError } from "./errors.js";

/** ISO-8601 UTC with milliseconds: sorts as text and parses with `new Date()`. */
export const SQLITE_NOW = "(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))";

/**
 * SQLite: STRICT tables, so declared types are enforced. STRICT knows only INTEGER, REAL, TEXT, BLOB
 * and ANY, so the rest of the type system (varchar length, boolean, JSON, UUID, enum) becomes CHECKs.
 */
export const sqlite: SqlDialect = {
  name: "sqlite",
  quote: quoteWith('"'),
  literal: (v) => `'${v.replaceAll("'", "''")}'`,
  lengthFunction: "length",

  columnType(c: ColumnModel): string {
    switch (c.type.kind) {
      case "integer":
      case "bigint":
      case "boolean":
        return "INTEGER";
      case "double":
        return "REAL";
      default:
        // decimal is TEXT so no digit is lost; timestamps are ISO text, dates YYYY-MM-DD.
        return "TEXT";
    }
  },

  prelude: () => [],

  createTable: (t, deferred) => createTableStatements(t, sqlite, deferred, " STRICT"),

  columnDefinition(_t: TableModel, c: ColumnModel): string {
    const q = sqlite.quote;
    // An INTEGER PRIMARY KEY column is SQLite's rowid: the identity column.
    if (c.generated === "identity") return `${q(c.name)} INTEGER PRIMARY KEY`;
    const nullability = c.nullable ? "" : " NOT NULL";
    return `${q(c.name)} ${sqlite.columnType(c)}${nullability}${defaultClause(c, sqlite, spelling)}`;
  },

  indexStatement: (t, ix) => createIndex(t, ix, sqlite, ix.where && renderPredicate(ix.where, sqlite)),
  dropIndexStatement: (_t, name) => `DROP INDEX ${sqlite.quote(name)}`,

  // SQLite has no comments; docs live in the snapshot.
  commentStatements: () => [],

  /** updated_at moves on every UPDATE that leaves it unchanged; recursive triggers are off, so no loop. */
  touchStatements(t, c) {
    const q = sqlite.quote;
    const match = t.primaryKey.columns.map((k) => `${q(k)} = NEW.${q(k)}`).join(" AND ");
    return [
      `CREATE TRIGGER ${q(touchTriggerName(t, c))} AFTER UPDATE ON ${q(t.name)} ` +
        `FOR EACH ROW WHEN NEW.${q(c.name)} IS OLD.${q(c.name)} BEGIN ` +
        `UPDATE ${q(t.name)} SET ${q(c.name)} = ${SQLITE_NOW} WHERE ${match}; END`,
    ];
  },
  dropTouchStatements: (t, c) => [`DROP TRIGGER IF EXISTS ${sqlite.quote(touchTriggerName(t, c))}`],

  addForeignKey(t, name) {
    // Never called: planSchema defers nothing on SQLite.
    return foreignKeyClause(t, name, sqlite);
  },

  implicitChecks(t, c) {
    const q = sqlite.quote(c.name);
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
        return enumCheck(t, c, sqlite);
      default:
        return [];
    }
  },

  translateError: translateSqliteError,
};

const spelling = {
  now: SQLITE_NOW,
  boolean: (b: boolean) => (b ? "1" : "0"),
  json: (text: string) => text,
};
