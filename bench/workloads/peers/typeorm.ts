/**
 * TypeORM as its documentation writes it, with entities declared as EntitySchema (its documented
 * alternative to decorators, which would need experimentalDecorators): Repository find options for
 * reads, `save` for a single insert, the query builder's insert for the bulk insert (documented as
 * the efficient way) and for the versioned update (one statement, as the others), `relations` for
 * the eager load, `findAndCount` for a page, and the query result cache (`cache: ms`, stored in a
 * table of its own by default) for the cached count.
 */
import { DataSource, EntitySchema } from "typeorm";
import { EAGER_PARENTS, LIST_LIMIT, type NewLog, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import type { BenchEngine, Peer } from "./peer.js";

const SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

interface Job {
  id: number;
  userId: number;
  status: string;
  exitCode: number | null;
  errorMessage: string | null;
  version: number;
  createdAt: Date;
  updatedAt: Date;
  logs?: Log[];
}
interface Log {
  id: number;
  jobId: number;
  lineNumber: number;
  stream: string;
  content: string;
  loggedAt: Date;
}
interface Token {
  id: number;
  realmId: number;
  alias: string;
  tokenPrefix: string;
  tokenHash: string;
  expiresAt: Date | null;
  isActive: boolean;
  lastUsedAt: Date | null;
  createdAt: Date;
}

function entities(sqlite: boolean) {
  const time = sqlite ? ("datetime" as const) : ("timestamptz" as const);
  const now = sqlite ? () => SQLITE_NOW : () => "now()";
  const job = new EntitySchema<Job>({
    name: "Job",
    tableName: "jobs",
    columns: {
      id: { type: Number, primary: true, generated: "increment" },
      userId: { type: Number, name: "user_id" },
      status: { type: String, default: "pending" },
      exitCode: { type: Number, name: "exit_code", nullable: true },
      errorMessage: { type: String, name: "error_message", nullable: true },
      version: { type: Number, default: 1 },
      createdAt: { type: time, name: "created_at", default: now },
      updatedAt: { type: time, name: "updated_at", default: now },
    },
    relations: { logs: { type: "one-to-many", target: "JobLog", inverseSide: "job" } },
  });
  const logColumns = {
    id: { type: Number, primary: true, generated: "increment" },
    jobId: { type: Number, name: "job_id" },
    lineNumber: { type: Number, name: "line_number" },
    stream: { type: String, default: "stdout" },
    content: { type: String },
    loggedAt: { type: time, name: "logged_at", default: now },
  } as const;
  const jobLog = new EntitySchema<Log>({
    name: "JobLog",
    tableName: "job_logs",
    columns: logColumns,
    relations: { job: { type: "many-to-one", target: "Job", joinColumn: { name: "job_id" } } } as any,
  });
  const bulkLog = new EntitySchema<Log>({ name: "BulkLog", tableName: "bulk_log", columns: logColumns });
  const token = new EntitySchema<Token>({
    name: "AuthToken",
    tableName: "auth_token",
    columns: {
      id: { type: Number, primary: true, generated: "increment" },
      realmId: { type: Number, name: "realm_id" },
      alias: { type: String },
      tokenPrefix: { type: String, name: "token_prefix", unique: true },
      tokenHash: { type: String, name: "token_hash" },
      expiresAt: { type: time, name: "expires_at", nullable: true },
      isActive: { type: Boolean, name: "is_active", default: true },
      lastUsedAt: { type: time, name: "last_used_at", nullable: true },
      createdAt: { type: time, name: "created_at", default: now },
    },
  });
  return { job, jobLog, bulkLog, token };
}

export async function typeormPeer(engine: BenchEngine): Promise<Peer> {
  const sqlite = engine.kind === "sqlite";
  const e = entities(sqlite);
  const cache = { type: "database" as const, tableName: "typeorm_query_cache", alwaysEnabled: false };
  const source = new DataSource(
    sqlite
      ? {
          type: "better-sqlite3",
          database: engine.file!,
          entities: Object.values(e),
          enableWAL: true,
          cache,
          prepareDatabase: (db: any) => {
            db.pragma("synchronous = NORMAL");
            db.pragma("foreign_keys = ON");
            db.pragma("busy_timeout = 5000");
          },
        }
      : { type: "postgres", url: engine.url, entities: Object.values(e), poolSize: 10, cache },
  );
  await source.initialize();
  // The cache's own table, as `typeorm cache:sync` or synchronize would create it.
  await source.queryResultCache!.synchronize();
  const jobs = source.getRepository(e.job);
  const tokens = source.getRepository(e.token);
  const verifyToken = tokenVerifier(
    (tokenPrefix) => tokens.findOneBy({ tokenPrefix }),
    (r) => ({ hash: r.tokenHash, active: r.isActive, expiresAt: r.expiresAt }),
  );
  // On SQLite TypeORM reads the generated columns back with one `id = … OR …` per row, and SQLite
  // refuses an expression deeper than 1,000: 500 rows per INSERT there.
  // On PostgreSQL it binds logged_at's default as a fifth parameter of each row.
  const rowsPerInsert = sqlite ? 500 : Math.floor(65535 / 5);
  // Without RETURNING on SQLite, the documented way: the versioned update, then the row.
  const updateSqlite = async (id: number, version: number, exitCode: number) => {
    const { affected } = await jobs
      .createQueryBuilder()
      .update()
      .set({ exitCode, version: () => "version + 1", updatedAt: () => SQLITE_NOW })
      .where("id = :id AND version = :version", { id, version })
      .execute();
    if (affected !== 1) throw new Error(`job ${id} is no longer at version ${version}`);
    return (await jobs.findOneBy({ id }))!;
  };
  const pageOf = (status: string, n: number) => ({
    where: { status },
    order: { id: "ASC" as const },
    take: PER_PAGE + 1,
    skip: (n - 1) * PER_PAGE,
  });
  return {
    name: "TypeORM",
    pointRead: (id) => jobs.findOneBy({ id }),
    list: (userId, status) =>
      jobs.find({ where: { userId, status }, order: { createdAt: "DESC" }, take: LIST_LIMIT }),
    insert: (r) => jobs.save(jobs.create(r)),
    bulkInsert: (rows: NewLog[]) =>
      source.transaction(async (em) => {
        const out: unknown[] = [];
        for (let i = 0; i < rows.length; i += rowsPerInsert) {
          const chunk = rows.slice(i, i + rowsPerInsert);
          const insert = em.createQueryBuilder().insert().into(e.bulkLog).values(chunk);
          // TypeORM has RETURNING on PostgreSQL only; on SQLite it gives back the generated values.
          if (!sqlite) out.push(...(await insert.returning("*").execute()).raw);
          else {
            const { generatedMaps } = await insert.execute();
            out.push(...chunk.map((row, k) => ({ ...row, ...generatedMaps[k] })));
          }
        }
        return out;
      }),
    update: async (id, version, exitCode) => {
      if (sqlite) return updateSqlite(id, version, exitCode);
      const result = await jobs
        .createQueryBuilder()
        .update()
        .set({ exitCode, version: () => "version + 1" })
        .where("id = :id AND version = :version", { id, version })
        .returning("*")
        .execute();
      return result.raw[0];
    },
    eagerLoad: (offset) =>
      jobs.find({ relations: { logs: true }, order: { id: "ASC" }, take: EAGER_PARENTS, skip: offset }),
    page: async (status, n) => {
      const [items, total] = await jobs.findAndCount(pageOf(status, n));
      return { items, total };
    },
    // findAndCount's cache would cache the rows too: the items are read, only the count is cached.
    pageCached: async (status, n) => ({
      items: await jobs.find(pageOf(status, n)),
      total: await jobs.count({ where: { status }, cache: 60_000 }),
    }),
    verifyToken,
    close: () => source.destroy(),
  };
}
