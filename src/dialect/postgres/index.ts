import { sql } from "kysely";
import { keepsEverything } from "../stored.js";
import type { SqlDialect } from "../types.js";
import { postgresDdl, retentionSettingName } from "./ddl.js";
import { postgresDiagnostics, postgresReplicaState, postgresServerFacts } from "./diagnostics.js";
import { postgresEditor } from "./editor.js";
import { postgresConnectFailure, postgresConnectionLost, translatePostgresError } from "./errors.js";
import { postgresFullTextMatch } from "./full-text.js";
import { introspectPostgres } from "./introspect.js";
import { postgresRangePartitions } from "./partitions.js";
import { postgresReview } from "./review.js";
import {
  acquireAdvisoryLock,
  identityPastExplicitKeys,
  jsonArrayContains,
  listPostgresTables,
  postgresExplain,
  releaseAdvisoryLock,
  timeBucket,
} from "./runtime.js";

/** PostgreSQL (a server through `pg`, or PGlite in process): transactional DDL, advisory locks. */
export const postgres: SqlDialect = {
  ...postgresDdl,
  capabilities: {
    transactionalDdl: true,
    returning: true,
    partialIndexes: true,
    deferrableConstraints: true,
    concurrentIndexes: true,
    notValidConstraints: true,
    rowLocks: true,
    foreignKeyTargetsAtCreate: true,
    comments: true,
    conflictTarget: true,
    foreignKeysIndexed: false,
    maxParameters: 65535,
  },
  // jsonb arrives parsed, booleans and timestamps as themselves.
  values: { booleansAsIntegers: false, jsonAsText: false, timestampsAsText: false },
  stored: keepsEverything,
  editor: postgresEditor,
  translateError: translatePostgresError,
  connectionLost: postgresConnectionLost,
  connectFailure: postgresConnectFailure,
  // A transaction-local setting (set_config's third argument): it ends with the transaction.
  openRetention: async (trx, table, cutoff) => {
    await sql`SELECT set_config(${retentionSettingName(table)}, ${cutoff.toISOString()}, true)`.execute(trx);
  },
  closeRetention: async (trx, table) => {
    await sql`SELECT set_config(${retentionSettingName(table)}, '', true)`.execute(trx);
  },
  rangePartitions: postgresRangePartitions,
  introspect: introspectPostgres,
  listTables: listPostgresTables,
  acquireMigrationLock: acquireAdvisoryLock,
  releaseMigrationLock: releaseAdvisoryLock,
  // Kysely's transaction, so a data step calling `db.transaction()` fails loudly instead of
  // committing early.
  migrationTransaction: (conn, _lock, fn) => conn.transaction().execute(fn),
  // Foreign keys are checked as each statement runs: a migration cannot leave one broken.
  brokenForeignKeys: async () => undefined,
  scriptTransaction: { begin: ["BEGIN"], end: ["COMMIT"] },
  review: postgresReview,
  explain: postgresExplain,
  serverFacts: postgresServerFacts,
  diagnostics: postgresDiagnostics,
  replicaState: postgresReplicaState,
  skipDuplicates: (insert, key) =>
    insert.onConflict((oc) => oc.columns(key as string[]).doNothing()) as typeof insert,
  identityPastExplicitKeys: identityPastExplicitKeys,
  jsonArrayContains,
  timeBucket,
  exactly: (text) => text,
  fullTextMatch: (select, table, words) => postgresFullTextMatch(select, table, words, postgresDdl.quote),
};
