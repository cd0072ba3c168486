import { sql } from "kysely";
import type { ColumnType } from "../../schema/index.js";
import { canonicalLiteral, keepsEverything } from "../stored.js";
import type { SqlDialect } from "../types.js";
import {
  RETENTION_PERMITS,
  SQLITE_NOW,
  SQLITE_REAL_DECIMAL_DIGITS,
  sqliteDdl,
  sqliteDecimalIsReal,
} from "./ddl.js";
import { sqliteDiagnostics, sqliteServerFacts } from "./diagnostics.js";
import { sqliteEditor } from "./editor.js";
import { translateSqliteError } from "./errors.js";
import { sqliteFullTextMatch } from "./full-text.js";
import { introspectSqlite } from "./introspect.js";
import { sqliteReview } from "./review.js";
import {
  jsonArrayContains,
  listSqliteTables,
  sqliteBrokenForeignKeys,
  sqliteExplain,
  sqliteMigrationTransaction,
  timeBucket,
} from "./runtime.js";

/** SQLite stores these as TEXT with nothing (no CHECK, no type name) to tell them apart. */
const STORED_AS_TEXT = new Set<ColumnType["kind"]>(["text", "timestamp", "date", "decimal"]);
const storedAsText = (type: ColumnType) => STORED_AS_TEXT.has(type.kind) && !sqliteDecimalIsReal(type);

/** SQLite through better-sqlite3: one writer, STRICT tables, transactional DDL, no session locks. */
export const sqlite: SqlDialect = {
  ...sqliteDdl,
  capabilities: {
    transactionalDdl: true,
    returning: true,
    partialIndexes: true,
    deferrableConstraints: false,
    concurrentIndexes: false,
    notValidConstraints: false,
    rowLocks: false,
    foreignKeyTargetsAtCreate: false,
    comments: false,
    conflictTarget: true,
    foreignKeysIndexed: false,
    maxParameters: 32766,
  },
  values: {
    booleansAsIntegers: true,
    jsonAsText: true,
    timestampsAsText: true,
    // The touch trigger runs AFTER the UPDATE, so RETURNING would show the old updated_at.
    touchInStatement: SQLITE_NOW,
    // better-sqlite3 hands integers back as numbers (plinth never turns on its safeIntegers mode).
    integersAsNumbers: true,
    realDecimalDigits: SQLITE_REAL_DECIMAL_DIGITS,
    // better-sqlite3 binds neither booleans nor Dates: store them as SQLite's conventions.
    bindParameters: (parameters) => {
      if (!parameters.some((p) => typeof p === "boolean" || p instanceof Date)) return parameters;
      return parameters.map((p) =>
        typeof p === "boolean" ? (p ? 1 : 0) : p instanceof Date ? p.toISOString() : p,
      );
    },
  },
  stored: {
    ...keepsEverything,
    // STRICT keeps storage classes: every integer is a 64-bit INTEGER, and the text family is TEXT.
    type: (type) =>
      sqliteDecimalIsReal(type)
        ? { kind: "double" }
        : storedAsText(type)
          ? { kind: "text" }
          : type.kind === "bigint"
            ? { kind: "integer" }
            : type,
    // A STRICT TEXT column converts a default of 0.5 to '0.5', a REAL one '0.50' to 0.5.
    literalDefault: (dflt, type) =>
      sqliteDecimalIsReal(type)
        ? { kind: "literal", value: Number(dflt.value) }
        : storedAsText(type)
          ? { kind: "literal", value: String(dflt.value) }
          : canonicalLiteral(dflt, type),
    // FTS5 stems English or nothing.
    fullText: (ft) => ({
      name: ft.name,
      columns: ft.columns.map((c) => ({ ...c })),
      language: ft.language === "english" ? "english" : "simple",
    }),
    rowidKeys: true,
    // SQLite forgets the name of an INTEGER PRIMARY KEY.
    primaryKeyNames: false,
  },
  editor: sqliteEditor,
  translateError: translateSqliteError,
  // An embedded database has no connection to lose.
  connectionLost: () => false,
  // A file that cannot be opened stays so: nothing to wait for.
  connectFailure: () => ({ recoverable: false }),
  openRetention: async (trx, table, cutoff) => {
    await sql`INSERT OR REPLACE INTO ${sql.table(RETENTION_PERMITS)} ("table_name", "cutoff") VALUES (${table}, ${cutoff})`.execute(
      trx,
    );
  },
  closeRetention: async (trx, table) => {
    await sql`DELETE FROM ${sql.table(RETENTION_PERMITS)} WHERE "table_name" = ${table}`.execute(trx);
  },
  introspect: introspectSqlite,
  listTables: listSqliteTables,
  // No session locks: the write lock is taken per migration, in migrationTransaction.
  acquireMigrationLock: async () => {},
  releaseMigrationLock: async () => {},
  migrationTransaction: sqliteMigrationTransaction,
  brokenForeignKeys: sqliteBrokenForeignKeys,
  // foreign_key_check prints the rows a rebuild left orphaned before the script commits.
  scriptTransaction: {
    begin: ["PRAGMA foreign_keys = OFF", "BEGIN"],
    end: ["PRAGMA foreign_key_check", "COMMIT", "PRAGMA foreign_keys = ON"],
  },
  review: sqliteReview,
  explain: sqliteExplain,
  serverFacts: sqliteServerFacts,
  diagnostics: sqliteDiagnostics,
  skipDuplicates: (insert, key) =>
    insert.onConflict((oc) => oc.columns(key as string[]).doNothing()) as typeof insert,
  // The counter moves past explicit values by itself.
  identityPastExplicitKeys: async () => {},
  jsonArrayContains,
  timeBucket,
  exactly: (text) => text,
  fullTextMatch: (select, table, words) => sqliteFullTextMatch(select, table, words, sqliteDdl.quote),
};
