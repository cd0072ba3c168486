import type { ColumnModel, TableModel } from "../../schema/index.js";
import { SchemaError } from "../../schema/index.js";
import {
  createIndex,
  createTableStatements,
  defaultClause,
  enumCheck,
  enumLength,
  foreignKeyClause,
  quoteWith,
} from "../render.js";
import type { SqlDialect } from "../types.js";
import { translateMysqlError } from "./errors.js";

/** Types MySQL cannot index without a prefix length; plinth refuses rather than guess one. */
const UNINDEXABLE = new Set(["text", "json"]);

/**
 * MySQL / MariaDB: InnoDB, utf8mb4 with utf8mb4_unicode_ci, DATETIME(3) in UTC (the connection sets
 * time_zone to +00:00), comments inline. MySQL has no partial indexes: a partial *unique* index cannot
 * be emulated without changing its meaning, so it is refused; a partial plain index becomes a full
 * index, which serves the same queries at the cost of indexing more rows.
 */
export const mysql: SqlDialect = {
  name: "mysql",
  quote: quoteWith("`"),
  // MySQL treats backslash as an escape inside literals unless NO_BACKSLASH_ESCAPES is set.
  literal: (v) => `'${v.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`,
  lengthFunction: "CHAR_LENGTH",

  columnType(c: ColumnModel): string {
    const t = c.type;
    switch (t.kind) {
      case "integer":
        return "INT";
      case "bigint":
        return "BIGINT";
      case "varchar":
        return `VARCHAR(${t.length})`;
      case "text":
        return "LONGTEXT";
      case "boolean":
        return "BOOLEAN";
      case "decimal":
        return `DECIMAL(${t.precision}, ${t.scale})`;
      case "double":
        return "DOUBLE";
      case "timestamp":
        return "DATETIME(3)";
      case "date":
        return "DATE";
      case "json":
        return "JSON";
      case "uuid":
        return "CHAR(36)";
      case "enum":
        return `VARCHAR(${enumLength(c)})`;
    }
  },

  prelude: () => [],

  createTable(t, deferred) {
    checkIndexable(t);
    const comment = t.doc ? ` COMMENT=${mysql.literal(t.doc)}` : "";
    return createTableStatements(
      t,
      mysql,
      deferred,
      ` ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci${comment}`,
    );
  },

  columnDefinition(_t: TableModel, c: ColumnModel): string {
    const identity = c.generated === "identity" ? " AUTO_INCREMENT" : "";
    const nullability = c.nullable ? " NULL" : " NOT NULL";
    const onUpdate = c.autoUpdate ? " ON UPDATE CURRENT_TIMESTAMP(3)" : "";
    const comment = c.doc ? ` COMMENT ${mysql.literal(c.doc)}` : "";
    return `${mysql.quote(c.name)} ${mysql.columnType(c)}${nullability}${identity}${defaultClause(c, mysql, spelling)}${onUpdate}${comment}`;
  },

  indexStatement(t, ix) {
    if (ix.where && ix.unique) {
      throw new SchemaError(
        `${t.name}: MySQL has no partial indexes, so the partial unique index ${ix.name} cannot be created ` +
          "without changing what it allows. Drop the WHERE, or enforce uniqueness differently on MySQL.",
        t.name,
      );
    }
    return createIndex(t, ix, mysql);
  },
  dropIndexStatement: (t, name) => `DROP INDEX ${mysql.quote(name)} ON ${mysql.quote(t.name)}`,

  // Comments are part of the column and table definitions on MySQL.
  commentStatements: () => [],
  // ON UPDATE CURRENT_TIMESTAMP(3) in the column definition does the work of a trigger.
  touchStatements: () => [],
  dropTouchStatements: () => [],

  addForeignKey: (t, name) => `ALTER TABLE ${mysql.quote(t.name)} ADD ${foreignKeyClause(t, name, mysql)}`,
  // (Deferred keys already have their index from CREATE TABLE, see constraintLines.)

  implicitChecks: (t, c) => enumCheck(t, c, mysql),

  translateError: translateMysqlError,
};

const spelling = {
  now: "CURRENT_TIMESTAMP(3)",
  boolean: (b: boolean) => (b ? "TRUE" : "FALSE"),
  // MySQL 8 accepts defaults on JSON/TEXT only as parenthesised expressions; MariaDB accepts both.
  json: (text: string) => `(${text})`,
};

function checkIndexable(t: TableModel): void {
  const kinds = new Map(t.columns.map((c) => [c.name, c.type.kind]));
  const indexed = [
    ...t.uniques.map((u) => ({ name: u.name, columns: u.columns })),
    ...t.indexes.map((i) => ({ name: i.name, columns: i.columns })),
    { name: t.primaryKey.name, columns: t.primaryKey.columns },
  ];
  for (const ix of indexed) {
    const bad = ix.columns.find((c) => UNINDEXABLE.has(kinds.get(c) ?? ""));
    if (bad) {
      throw new SchemaError(
        `${t.name}.${bad}: MySQL cannot index a ${kinds.get(bad)} column (${ix.name}); use varchar(n) for indexed text`,
        t.name,
        bad,
      );
    }
  }
}
