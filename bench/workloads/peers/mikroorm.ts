/**
 * MikroORM 6 as its documentation writes it: entities as EntitySchema, a fork of the EntityManager
 * per operation (its per-request context), `em.create` + `flush` for inserts (the unit of work
 * batches the bulk insert), a `version: true` property with an optimistic lock for the versioned
 * update, `populate` for the eager load, `findAndCount` for a page and the result cache
 * (`cache: ms` on `count`) for a cached total.
 *
 * On SQLite the timestamps are mapped as the ISO text plinth stores (as Drizzle's peer maps them),
 * so rows this peer writes stay readable to the others.
 */
import { BetterSqliteDriver } from "@mikro-orm/better-sqlite";
import { EntitySchema, LockMode, MikroORM, type Options } from "@mikro-orm/core";
import { PostgreSqlDriver } from "@mikro-orm/postgresql";
import { EAGER_PARENTS, LIST_LIMIT, type NewLog, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import type { BenchEngine, Peer } from "./peer.js";

const SQLITE_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

class Job {
  id!: number;
  userId!: number;
  status!: string;
  exitCode!: number | null;
  errorMessage!: string | null;
  version!: number;
  createdAt!: Date | string;
  updatedAt!: Date | string;
  logs!: unknown;
}
class JobLog {
  id!: number;
  job!: Job;
  lineNumber!: number;
  stream!: string;
  content!: string;
  loggedAt!: Date | string;
}
class BulkLog extends JobLog {}
class AuthToken {
  id!: number;
  realmId!: number;
  alias!: string;
  tokenPrefix!: string;
  tokenHash!: string;
  expiresAt!: Date | string | null;
  isActive!: boolean;
  lastUsedAt!: Date | string | null;
  createdAt!: Date | string;
}

function entities(sqlite: boolean) {
  const time = sqlite ? "string" : "Date";
  const now = sqlite ? SQLITE_NOW : "now()";
  const touched = sqlite ? () => new Date().toISOString() : () => new Date();
  const log = (entity: typeof JobLog, tableName: string, inverse: boolean) =>
    new EntitySchema<JobLog>({
      class: entity,
      tableName,
      properties: {
        id: { type: "number", primary: true },
        job: {
          kind: "m:1",
          entity: () => Job,
          fieldName: "job_id",
          ...(inverse ? { inversedBy: "logs" } : {}),
        },
        lineNumber: { type: "number", fieldName: "line_number" },
        stream: { type: "string", default: "stdout" },
        content: { type: "string" },
        loggedAt: { type: time, fieldName: "logged_at", defaultRaw: now },
      },
    });
  return [
    new EntitySchema<Job>({
      class: Job,
      tableName: "jobs",
      properties: {
        id: { type: "number", primary: true },
        userId: { type: "number", fieldName: "user_id" },
        status: { type: "string", default: "pending" },
        exitCode: { type: "number", fieldName: "exit_code", nullable: true },
        errorMessage: { type: "string", fieldName: "error_message", nullable: true },
        version: { type: "number", version: true },
        createdAt: { type: time, fieldName: "created_at", defaultRaw: now },
        updatedAt: { type: time, fieldName: "updated_at", defaultRaw: now, onUpdate: touched },
        logs: { kind: "1:m", entity: () => JobLog, mappedBy: "job" as never },
      },
    }),
    log(JobLog, "job_logs", true),
    log(BulkLog, "bulk_log", false),
    new EntitySchema<AuthToken>({
      class: AuthToken,
      tableName: "auth_token",
      properties: {
        id: { type: "number", primary: true },
        realmId: { type: "number", fieldName: "realm_id" },
        alias: { type: "string" },
        tokenPrefix: { type: "string", fieldName: "token_prefix", unique: true },
        tokenHash: { type: "string", fieldName: "token_hash" },
        expiresAt: { type: time, fieldName: "expires_at", nullable: true },
        isActive: { type: "boolean", fieldName: "is_active", default: true },
        lastUsedAt: { type: time, fieldName: "last_used_at", nullable: true },
        createdAt: { type: time, fieldName: "created_at", defaultRaw: now },
      },
    }),
  ];
}

export async function mikroormPeer(engine: BenchEngine): Promise<Peer> {
  const sqlite = engine.kind === "sqlite";
  const common = { entities: entities(sqlite), debug: false };
  const options: Options = sqlite
    ? {
        ...common,
        driver: BetterSqliteDriver,
        dbName: engine.file!,
        pool: {
          afterCreate: (db: any, done: (error: unknown, db: unknown) => void) => {
            db.pragma("journal_mode = WAL");
            db.pragma("synchronous = NORMAL");
            db.pragma("foreign_keys = ON");
            db.pragma("busy_timeout = 5000");
            done(null, db);
          },
        },
      }
    : { ...common, driver: PostgreSqlDriver, clientUrl: engine.url, pool: { min: 0, max: 10 } };
  const orm = await MikroORM.init(options);
  const em = () => orm.em.fork();
  const verifyToken = tokenVerifier(
    (tokenPrefix) => em().findOne(AuthToken, { tokenPrefix }),
    (r) => ({ hash: r.tokenHash, active: r.isActive, expiresAt: r.expiresAt }),
  );
  const pageOf = (n: number) => ({
    orderBy: { id: "asc" } as const,
    limit: PER_PAGE + 1,
    offset: (n - 1) * PER_PAGE,
  });
  return {
    name: "MikroORM",
    pointRead: (id) => em().findOne(Job, id),
    list: (userId, status) =>
      em().find(Job, { userId, status }, { orderBy: { createdAt: "desc" }, limit: LIST_LIMIT }),
    insert: async (r) => {
      const fork = em();
      const job = fork.create(Job, r as any);
      await fork.flush();
      return job;
    },
    bulkInsert: async (rows: NewLog[]) => {
      const fork = em();
      const out = rows.map(({ jobId, ...r }) => fork.create(BulkLog, { ...r, job: jobId } as any));
      await fork.flush();
      return out;
    },
    update: async (id, version, exitCode) => {
      const fork = em();
      const job = await fork.findOneOrFail(Job, id, { lockMode: LockMode.OPTIMISTIC, lockVersion: version });
      job.exitCode = exitCode;
      await fork.flush();
      return job;
    },
    eagerLoad: (offset) =>
      em().find(Job, {}, { populate: ["logs"] as any, orderBy: { id: "asc" }, limit: EAGER_PARENTS, offset }),
    page: async (status, n) => {
      const [items, total] = await em().findAndCount(Job, { status }, pageOf(n));
      return { items, total };
    },
    pageCached: async (status, n) => {
      const fork = em();
      return {
        items: await fork.find(Job, { status }, pageOf(n)),
        total: await fork.count(Job, { status }, { cache: 60_000 }),
      };
    },
    verifyToken,
    close: () => orm.close(),
  };
}
