/** Plain Kysely on its own connection: the query builder plinth is built on, without plinth. */
import Database from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import { EAGER_PARENTS, LIST_LIMIT, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import { attach, type BenchEngine, benchPool, type Peer } from "./peer.js";

export async function kyselyPeer(engine: BenchEngine): Promise<Peer> {
  const sqlite = engine.kind === "sqlite";
  let db: Kysely<any>;
  if (sqlite) {
    const database = new Database(engine.file!);
    database.pragma("journal_mode = WAL");
    database.pragma("synchronous = NORMAL");
    database.pragma("foreign_keys = ON");
    database.pragma("busy_timeout = 5000");
    db = new Kysely<any>({ dialect: new SqliteDialect({ database }) });
  } else {
    db = new Kysely<any>({
      dialect: new PostgresDialect({ pool: benchPool(engine.url) }),
    });
  }
  const touched = sqlite ? { updated_at: sql`strftime('%Y-%m-%dT%H:%M:%fZ', 'now')` } : {};
  const verifyToken = tokenVerifier(
    (prefix) => db.selectFrom("auth_token").selectAll().where("token_prefix", "=", prefix).executeTakeFirst(),
    (r) => ({ hash: r.token_hash, active: r.is_active, expiresAt: r.expires_at }),
  );
  return {
    name: "Kysely",
    verifyToken,
    pointRead: (id) => db.selectFrom("jobs").selectAll().where("id", "=", id).executeTakeFirst(),
    list: (userId, status) =>
      db
        .selectFrom("jobs")
        .selectAll()
        .where("user_id", "=", userId)
        .where("status", "=", status)
        .orderBy("created_at", "desc")
        .limit(LIST_LIMIT)
        .execute(),
    insert: (r) =>
      db
        .insertInto("jobs")
        .values({ user_id: r.userId, status: r.status, exit_code: r.exitCode, error_message: r.errorMessage })
        .returningAll()
        .executeTakeFirstOrThrow(),
    bulkInsert: (rows) =>
      db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        const size = Math.floor((sqlite ? 32766 : 65535) / 4);
        for (let i = 0; i < rows.length; i += size) {
          const values = rows.slice(i, i + size).map((r) => ({
            job_id: r.jobId,
            line_number: r.lineNumber,
            stream: r.stream,
            content: r.content,
          }));
          out.push(...(await trx.insertInto("bulk_log").values(values).returningAll().execute()));
        }
        return out;
      }),
    update: (id, version, exitCode) =>
      db
        .updateTable("jobs")
        .set({ exit_code: exitCode, version: sql`version + 1`, ...touched })
        .where("id", "=", id)
        .where("version", "=", version)
        .returningAll()
        .executeTakeFirstOrThrow() as Promise<{ version: number }>,
    eagerLoad: async (offset) => {
      const jobs = await db
        .selectFrom("jobs")
        .selectAll()
        .orderBy("id")
        .limit(EAGER_PARENTS)
        .offset(offset)
        .execute();
      const logs = await db
        .selectFrom("job_logs")
        .selectAll()
        .where(
          "job_id",
          "in",
          jobs.map((j) => j.id),
        )
        .execute();
      return attach(jobs, logs, "job_id", "logs");
    },
    page: async (status, n) => {
      const items = await db
        .selectFrom("jobs")
        .selectAll()
        .where("status", "=", status)
        .orderBy("id")
        .limit(PER_PAGE + 1)
        .offset((n - 1) * PER_PAGE)
        .execute();
      const { total } = await db
        .selectFrom("jobs")
        .select((eb) => eb.fn.countAll().as("total"))
        .where("status", "=", status)
        .executeTakeFirstOrThrow();
      return { items, total: Number(total) };
    },
    close: () => db.destroy(),
  };
}
