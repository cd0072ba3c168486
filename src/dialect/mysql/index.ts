import { sql } from "kysely";
import { fullTextWithoutLanguage, keepsEverything } from "../stored.js";
import type { SqlDialect } from "../types.js";
import { mysqlDdl, retentionVariable } from "./ddl.js";
import { mysqlDiagnostics, mysqlReplicaState, mysqlServerFacts } from "./diagnostics.js";
import { mysqlEditor } from "./editor.js";
import { mysqlConnectFailure, mysqlConnectionLost, translateMysqlError } from "./errors.js";
import { mysqlFullTextMatch } from "./full-text.js";
import { introspectMysql } from "./introspect.js";
import { mysqlReview } from "./review.js";
import {
  acquireNamedLock,
  jsonArrayContains,
  listMysqlTables,
  mysqlExplain,
  releaseNamedLock,
  timeBucket,
} from "./runtime.js";

/** MySQL and MariaDB through mysql2: DDL commits by itself, no RETURNING, named locks. */
export const mysql: SqlDialect = {
  ...mysqlDdl,
  capabilities: {
    transactionalDdl: false,
    returning: false,
    partialIndexes: false,
    deferrableConstraints: false,
    // InnoDB builds indexes online without being asked.
    concurrentIndexes: false,
    notValidConstraints: false,
    rowLocks: true,
    foreignKeyTargetsAtCreate: true,
    comments: true,
    conflictTarget: false,
    foreignKeysIndexed: true,
    maxParameters: 65535,
  },
  // The connection returns JSON as text (see the driver) and BOOLEAN is TINYINT(1).
  values: { booleansAsIntegers: true, jsonAsText: true, timestampsAsText: false },
  stored: {
    ...keepsEverything,
    // MySQL has no text search configurations.
    fullText: fullTextWithoutLanguage,
    // A UNIQUE constraint and a unique index are both unique keys; every primary key is PRIMARY.
    uniqueIndexesAreConstraints: true,
    primaryKeyNames: false,
  },
  editor: mysqlEditor,
  translateError: translateMysqlError,
  connectionLost: mysqlConnectionLost,
  connectFailure: mysqlConnectFailure,
  // A session variable: set for the deleting transaction's connection and cleared before it ends.
  openRetention: async (trx, table, cutoff) => {
    await sql`SET ${sql.raw(retentionVariable(table))} = ${cutoff}`.execute(trx);
  },
  closeRetention: async (trx, table) => {
    await sql`SET ${sql.raw(retentionVariable(table))} = NULL`.execute(trx);
  },
  introspect: introspectMysql,
  listTables: listMysqlTables,
  acquireMigrationLock: acquireNamedLock,
  releaseMigrationLock: releaseNamedLock,
  // Each DDL statement commits by itself; a transaction around them would lie. The runner records
  // progress per statement instead (see runStepwise in plinth/migrate).
  migrationTransaction: (conn, _lock, fn) => fn(conn),
  brokenForeignKeys: async () => undefined,
  review: mysqlReview,
  explain: mysqlExplain,
  serverFacts: mysqlServerFacts,
  diagnostics: mysqlDiagnostics,
  replicaState: mysqlReplicaState,
  skipDuplicates: (insert, key) =>
    insert.onDuplicateKeyUpdate({ [key[0]!]: sql.ref(key[0]!) }) as typeof insert,
  // The counter moves past explicit values by itself.
  identityPastExplicitKeys: async () => {},
  jsonArrayContains,
  timeBucket,
  // MySQL's default collations compare case-insensitively: "v1:K2:" would pass for "v1:k2:".
  exactly: (text) => sql`CAST(${text} AS BINARY)`,
  fullTextMatch: (select, table, words) => mysqlFullTextMatch(select, table, words, mysqlDdl.quote),
};
