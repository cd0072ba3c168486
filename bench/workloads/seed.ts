/** The data every peer starts from: the tables created by plinth, filled through plain Kysely. */
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect } from "kysely";
import { connect } from "../../src/index.js";
import { benchSchema, JOBS, LOGS_PER_JOB, seedJob, seedLog } from "./model.js";
import { type BenchEngine, benchPool } from "./peers/peer.js";
import { benchHasher, TOKENS, tokenColumns } from "./tokens.js";

/** Creates the tables through plinth and fills them through plain Kysely. */
export async function seed(engine: BenchEngine): Promise<void> {
  const db = await connect(engine.url, benchSchema);
  await db.createSchema();
  await db.close();
  const kysely =
    engine.kind === "sqlite"
      ? new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(engine.file!) }) })
      : new Kysely<any>({
          dialect: new PostgresDialect({ pool: benchPool(engine.url) }),
        });
  const at = (d: Date) => (engine.kind === "sqlite" ? d.toISOString() : d);
  await kysely.transaction().execute(async (trx) => {
    for (let i = 0; i < JOBS; i += 1000) {
      const rows = Array.from({ length: Math.min(1000, JOBS - i) }, (_, k) => {
        const j = seedJob(i + k);
        return {
          user_id: j.userId,
          status: j.status,
          exit_code: j.exitCode,
          error_message: j.errorMessage,
          created_at: at(j.createdAt),
          updated_at: at(j.createdAt),
        };
      });
      await trx.insertInto("jobs").values(rows).execute();
    }
    for (let i = 0; i < JOBS; i += 500) {
      const rows = [];
      for (let j = i; j < Math.min(JOBS, i + 500); j++)
        for (let line = 0; line < LOGS_PER_JOB; line++) {
          const l = seedLog(j, line);
          rows.push({ job_id: l.jobId, line_number: l.lineNumber, stream: l.stream, content: l.content });
        }
      await trx.insertInto("job_logs").values(rows).execute();
    }
    await trx.insertInto("realm").values({ name: "bench" }).execute();
    const hasher = benchHasher();
    const usedAt = at(new Date());
    for (let i = 0; i < TOKENS; i += 2000) {
      const rows = [];
      for (let k = i; k < Math.min(TOKENS, i + 2000); k++) {
        const t = await tokenColumns(k, hasher);
        rows.push({
          realm_id: 1,
          alias: t.alias,
          token_prefix: t.tokenPrefix,
          token_hash: t.tokenHash,
          is_active: engine.kind === "sqlite" ? 1 : true,
          last_used_at: usedAt,
        });
      }
      await trx.insertInto("auth_token").values(rows).execute();
    }
  });
  await kysely.destroy();
}
