import type { ColumnModel, TableModel } from "../../schema/index.js";
import { SchemaError } from "../../schema/index.js";
import { fullTextOf } from "../full-text.js";
import type { DefaultSpelling } from "../render.js";
import {
  appendOnlyRefusal,
  computedClause,
  createIndex,
  createTableStatements,
  defaultClause,
  defaultExpression,
  enumCheck,
  enumLength,
  foreignKeyClause,
  nativeType,
  quoteWith,
  renderPredicate,
} from "../render.js";
import type { DdlDialect } from "../types.js";
import { MYSQL_FULLTEXT_PART_COMMENT, mysqlColumnIndexName, mysqlFullTextComment } from "./full-text.js";

/** Types MySQL cannot index without a prefix length; plinth refuses rather than guess one. */
const UNINDEXABLE = new Set(["text", "json"]);

/**
 * MySQL / MariaDB: InnoDB, utf8mb4 with utf8mb4_unicode_ci, DATETIME(3) in UTC (the connection sets
 * time_zone to +00:00), comments inline. MySQL has no partial indexes: a partial *unique* index is
 * emulated exactly (see `liveColumns`); a partial plain index becomes a full
 * index, which serves the same queries at the cost of indexing more rows.
 */
export const mysqlDdl: DdlDialect = {
  name: "mysql",
  quote: quoteWith("`"),
  // MySQL treats backslash as an escape inside literals unless NO_BACKSLASH_ESCAPES is set.
  literal: (v) => `'${v.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`,
  lengthFunction: "CHAR_LENGTH",
  now: "UTC_TIMESTAMP(3)",
  identityKeyInline: false,

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
      case "binary":
        return "LONGBLOB";
      case "native":
        return nativeType(c, mysqlDdl)!;
    }
  },

  prelude: () => [],

  createTable(t, deferred, options) {
    checkIndexable(t);
    const comment = t.doc ? ` COMMENT=${mysqlDdl.literal(t.doc)}` : "";
    return createTableStatements(
      t,
      mysqlDdl,
      deferred,
      ` ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci${comment}`,
      {
        ...options,
        extraLines: [...t.indexes.flatMap((ix) => liveColumns(t, ix)), ...foreignKeyIndexes(t)],
      },
    );
  },

  columnDefinition(_t: TableModel, c: ColumnModel): string {
    const identity = c.generated === "identity" ? " AUTO_INCREMENT" : "";
    const nullability = c.nullable ? " NULL" : " NOT NULL";
    const onUpdate = c.autoUpdate ? " ON UPDATE CURRENT_TIMESTAMP(3)" : "";
    const comment = c.doc ? ` COMMENT ${mysqlDdl.literal(c.doc)}` : "";
    // A generated column has no default, and MariaDB takes no NULL / NOT NULL on it either.
    if (c.computed)
      return `${mysqlDdl.quote(c.name)} ${mysqlDdl.columnType(c)}${computedClause(c, mysqlDdl, "as")}${comment}`;
    return `${mysqlDdl.quote(c.name)} ${mysqlDdl.columnType(c)}${nullability}${identity}${defaultClause(c, mysqlDdl)}${onUpdate}${comment}`;
  },
  defaultExpression: (c) => defaultExpression(c, mysqlDdl, spelling),

  indexStatement(t, ix) {
    if (ix.where && ix.unique) {
      const columns = ix.columns.map((c) => mysqlDdl.quote(liveColumnName(t, ix.name, c))).join(", ");
      return `CREATE UNIQUE INDEX ${mysqlDdl.quote(ix.name)} ON ${mysqlDdl.quote(t.name)} (${columns})`;
    }
    if (ix.include?.length || (ix.method && ix.method !== "btree"))
      throw new SchemaError(
        `${t.name}: index ${ix.name} uses INCLUDE or an access method MySQL does not have`,
        t.name,
      );
    // InnoDB builds indexes online by default (ALGORITHM=INPLACE, LOCK=NONE): `concurrently` is moot.
    return createIndex(t, ix, mysqlDdl);
  },
  dropIndexStatement: (t, name) => `DROP INDEX ${mysqlDdl.quote(name)} ON ${mysqlDdl.quote(t.name)}`,

  // Comments are part of the column and table definitions on MySQL.
  commentStatements: () => [],
  // ON UPDATE CURRENT_TIMESTAMP(3) in the column definition does the work of a trigger.
  touchStatements: () => [],
  dropTouchStatements: () => [],

  /**
   * InnoDB FULLTEXT indexes: one over every column for the match, and with several columns one per
   * column, whose relevances the weights scale (MySQL has no weights of its own). InnoDB builds one
   * FULLTEXT index per statement.
   */
  fullTextStatements(t) {
    const ft = fullTextOf(t);
    const q = mysqlDdl.quote;
    const create = (name: string, columns: string[], comment: string) =>
      `CREATE FULLTEXT INDEX ${q(name)} ON ${q(t.name)} (${columns.map(q).join(", ")}) COMMENT ${mysqlDdl.literal(comment)}`;
    const all = ft.columns.map((c) => c.column);
    return [
      create(ft.name, all, mysqlFullTextComment(ft)),
      ...(all.length > 1
        ? all.map((c) =>
            create(mysqlColumnIndexName(ft, c), [c], `${MYSQL_FULLTEXT_PART_COMMENT} ${ft.name}`),
          )
        : []),
    ];
  },
  dropFullTextStatements(t) {
    const ft = fullTextOf(t);
    const all = ft.columns.map((c) => c.column);
    const names = [ft.name, ...(all.length > 1 ? all.map((c) => mysqlColumnIndexName(ft, c)) : [])];
    return names.map((n) => mysqlDdl.dropIndexStatement(t, n));
  },

  addForeignKey: (t, name) =>
    `ALTER TABLE ${mysqlDdl.quote(t.name)} ADD ${foreignKeyClause(t, name, mysqlDdl)}`,
  // (Deferred keys already have their index from CREATE TABLE, see foreignKeyIndexes.)

  implicitChecks: (t, c) => enumCheck(t, c, mysqlDdl),

  // MySQL has no TRUNCATE triggers; TRUNCATE needs the DROP privilege, which the app user should lack.
  // MySQL runs ON DELETE SET NULL (and every cascaded action) without firing triggers, so the
  // triggers below refuse every UPDATE a statement makes and never see the rule's own.
  // Retention: a DELETE passes for a row older than the session variable openRetention sets (and
  // closeRetention clears before the transaction ends).
  appendOnlyStatements(table, _uniqueKeys, options = {}) {
    const q = mysqlDdl.quote;
    return (["UPDATE", "DELETE"] as const).flatMap((op) => {
      const name = `${table}_no_${op.toLowerCase()}`;
      const signal = `SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = ${mysqlDdl.literal(appendOnlyRefusal(table, op))}`;
      const body =
        op === "DELETE" && options.retention
          ? `IF NOT COALESCE(OLD.${q(options.retention.column)} < ${retentionVariable(table)}, FALSE) THEN ${signal}; END IF`
          : signal;
      return [
        `DROP TRIGGER IF EXISTS ${q(name)}`,
        `CREATE TRIGGER ${q(name)} BEFORE ${op} ON ${q(table)} FOR EACH ROW ${body}`,
      ];
    });
  },
  dropAppendOnlyStatements: (table) =>
    ["update", "delete"].map((op) => `DROP TRIGGER IF EXISTS ${mysqlDdl.quote(`${table}_no_${op}`)}`),
};

/** The session variable openRetention sets for `table`: its cutoff, NULL when closed. */
export const retentionVariable = (table: string): string => `@plinth_retention_${table}`;

const spelling: DefaultSpelling = {
  now: "CURRENT_TIMESTAMP(3)",
  boolean: (b: boolean) => (b ? "TRUE" : "FALSE"),
  // MySQL 8 accepts defaults on JSON/TEXT only as parenthesised expressions; MariaDB accepts both.
  json: (text: string) => `(${text})`,
};

/**
 * MySQL has no partial indexes. A partial *unique* index (say, unique among rows not soft-deleted) is
 * emulated exactly: for each indexed column, an invisible virtual column holding the value when the
 * predicate holds and NULL otherwise, with a unique index over those. NULLs never collide, so only
 * rows matching the predicate compete. Invisible columns stay out of `SELECT *`.
 */
export function liveColumns(t: TableModel, ix: TableModel["indexes"][number]): string[] {
  if (!(ix.where && ix.unique)) return [];
  const predicate = renderPredicate(ix.where, mysqlDdl);
  return ix.columns.map((name) => {
    const column = t.columns.find((c) => c.name === name)!;
    const generated = mysqlDdl.quote(liveColumnName(t, ix.name, name));
    return `${generated} ${mysqlDdl.columnType(column)} AS (CASE WHEN ${predicate} THEN ${mysqlDdl.quote(name)} END) VIRTUAL INVISIBLE`;
  });
}

/**
 * InnoDB needs an index whose first columns are a foreign key's. Where no declared key or index
 * starts with them, the key gets one of its own, named like it (which introspection reads as the
 * key's, not as a declared index); where one does, a second would only slow writes.
 */
function foreignKeyIndexes(t: TableModel): string[] {
  return t.foreignKeys.filter((fk) => !coveredForeignKey(t, fk.columns)).map((fk) => foreignKeyIndexLine(fk));
}

export function foreignKeyIndexLine(fk: { name: string; columns: string[] }): string {
  return `KEY ${mysqlDdl.quote(fk.name)} (${fk.columns.map(mysqlDdl.quote).join(", ")})`;
}

/**
 * Whether a key or index of `t` other than `except` starts with `columns` (in order), so InnoDB can
 * serve the foreign key with it.
 */
export function coveredForeignKey(t: TableModel, columns: string[], except?: string): boolean {
  const keys = [
    { name: t.primaryKey.name, columns: t.primaryKey.columns },
    ...t.uniques,
    // A partial unique index is stored over stand-in columns (see liveColumns): it serves no key.
    ...t.indexes.filter((i) => !(i.where && i.unique) && !i.prefixes),
  ];
  return keys.some(
    (k) =>
      k.name !== except && k.columns.length >= columns.length && columns.every((c, i) => k.columns[i] === c),
  );
}

/** `<index>$<column>`: introspection reads the index and column back from the name. */
export function liveColumnName(t: TableModel, index: string, column: string): string {
  const name = `${index}$${column}`;
  if (name.length > 64) {
    throw new SchemaError(
      `${t.name}: the MySQL column ${name} standing in for partial unique index ${index} is over 64 characters; give the index a shorter name`,
      t.name,
      column,
    );
  }
  return name;
}

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
