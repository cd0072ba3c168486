/**
 * Drizzle ORM on its own connection, written as its documentation writes queries: the query builder
 * per call, and the relational query (`db.query…findMany({ with })`) for the eager load.
 */
import Database from "better-sqlite3";
import { and, asc, count, desc, eq, relations, sql } from "drizzle-orm";
import { drizzle as drizzleSqlite } from "drizzle-orm/better-sqlite3";
import { drizzle as drizzlePg } from "drizzle-orm/node-postgres";
import * as p from "drizzle-orm/pg-core";
import * as s from "drizzle-orm/sqlite-core";
import { EAGER_PARENTS, LIST_LIMIT, type NewLog, PER_PAGE } from "../model.js";
import { tokenVerifier } from "../tokens.js";
import { type BenchEngine, benchPool, type Peer } from "./peer.js";

const SQLITE_NOW = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;
const STATUSES = ["pending", "running", "success", "failed", "cancelled"] as const;

export async function drizzlePeer(engine: BenchEngine): Promise<Peer> {
  return engine.kind === "sqlite" ? drizzleOnSqlite(engine.file!) : drizzleOnPostgres(engine.url);
}

function logsOf<T>(rows: NewLog[], map: (r: NewLog) => T): T[] {
  return rows.map(map);
}

function drizzleOnSqlite(file: string): Peer {
  const jobs = s.sqliteTable("jobs", {
    id: s.integer("id").primaryKey({ autoIncrement: true }),
    userId: s.integer("user_id").notNull(),
    status: s.text("status", { enum: STATUSES }).notNull(),
    exitCode: s.integer("exit_code"),
    errorMessage: s.text("error_message"),
    version: s.integer("version").notNull().default(1),
    createdAt: s.text("created_at").default(SQLITE_NOW),
    updatedAt: s.text("updated_at").default(SQLITE_NOW),
  });
  const logColumns = {
    id: s.integer("id").primaryKey({ autoIncrement: true }),
    jobId: s.integer("job_id").notNull(),
    lineNumber: s.integer("line_number").notNull(),
    stream: s.text("stream", { enum: ["stdout", "stderr"] }).notNull(),
    content: s.text("content").notNull(),
    loggedAt: s.text("logged_at").default(SQLITE_NOW),
  };
  const jobLogs = s.sqliteTable("job_logs", logColumns);
  const bulkLog = s.sqliteTable("bulk_log", logColumns);
  const jobsRelations = relations(jobs, ({ many }) => ({ logs: many(jobLogs) }));
  const logsRelations = relations(jobLogs, ({ one }) => ({
    job: one(jobs, { fields: [jobLogs.jobId], references: [jobs.id] }),
  }));
  const authToken = s.sqliteTable("auth_token", {
    id: s.integer("id").primaryKey({ autoIncrement: true }),
    realmId: s.integer("realm_id").notNull(),
    alias: s.text("alias").notNull(),
    tokenPrefix: s.text("token_prefix").notNull().unique(),
    tokenHash: s.text("token_hash").notNull(),
    expiresAt: s.text("expires_at"),
    isActive: s.integer("is_active", { mode: "boolean" }).notNull().default(true),
    lastUsedAt: s.text("last_used_at"),
    createdAt: s.text("created_at").default(SQLITE_NOW),
  });
  const database = new Database(file);
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const db = drizzleSqlite({ client: database, schema: { jobs, jobLogs, jobsRelations, logsRelations } });
  const perInsert = Math.floor(32766 / 4);
  const verifyToken = tokenVerifier(
    (prefix) => db.select().from(authToken).where(eq(authToken.tokenPrefix, prefix)).get(),
    (r) => ({ hash: r.tokenHash, active: r.isActive, expiresAt: r.expiresAt }),
  );
  return {
    name: "Drizzle",
    verifyToken,
    pointRead: (id) => db.select().from(jobs).where(eq(jobs.id, id)).get(),
    list: (userId, status) =>
      db
        .select()
        .from(jobs)
        .where(and(eq(jobs.userId, userId), eq(jobs.status, status as "success")))
        .orderBy(desc(jobs.createdAt))
        .limit(LIST_LIMIT)
        .all(),
    insert: (r) => db.insert(jobs).values(r).returning().get(),
    bulkInsert: (rows) =>
      db.transaction((tx) => {
        const out: unknown[] = [];
        for (let i = 0; i < rows.length; i += perInsert)
          out.push(
            ...tx
              .insert(bulkLog)
              .values(logsOf(rows.slice(i, i + perInsert), (r) => r))
              .returning()
              .all(),
          );
        return out;
      }),
    update: (id, version, exitCode) =>
      db
        .update(jobs)
        .set({
          exitCode,
          version: sql`${jobs.version} + 1`,
          updatedAt: SQLITE_NOW,
        })
        .where(and(eq(jobs.id, id), eq(jobs.version, version)))
        .returning()
        .get()!,
    eagerLoad: (offset) =>
      db.query.jobs
        .findMany({ with: { logs: true }, orderBy: [asc(jobs.id)], limit: EAGER_PARENTS, offset })
        .sync(),
    page: (status, n) => ({
      items: db
        .select()
        .from(jobs)
        .where(eq(jobs.status, status as "failed"))
        .orderBy(asc(jobs.id))
        .limit(PER_PAGE + 1)
        .offset((n - 1) * PER_PAGE)
        .all(),
      total: db
        .select({ n: count() })
        .from(jobs)
        .where(eq(jobs.status, status as "failed"))
        .get()!.n,
    }),
    close: async () => void database.close(),
  };
}

function drizzleOnPostgres(url: string): Peer {
  const jobs = p.pgTable("jobs", {
    id: p.integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: p.integer("user_id").notNull(),
    status: p.text("status", { enum: STATUSES }).notNull(),
    exitCode: p.integer("exit_code"),
    errorMessage: p.text("error_message"),
    version: p.integer("version").notNull().default(1),
    createdAt: p.timestamp("created_at", { withTimezone: true }),
    updatedAt: p.timestamp("updated_at", { withTimezone: true }),
  });
  const logColumns = {
    id: p.bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    jobId: p.integer("job_id").notNull(),
    lineNumber: p.integer("line_number").notNull(),
    stream: p.text("stream", { enum: ["stdout", "stderr"] }).notNull(),
    content: p.text("content").notNull(),
    loggedAt: p.timestamp("logged_at", { withTimezone: true }),
  };
  const jobLogs = p.pgTable("job_logs", logColumns);
  const bulkLog = p.pgTable("bulk_log", logColumns);
  const jobsRelations = relations(jobs, ({ many }) => ({ logs: many(jobLogs) }));
  const logsRelations = relations(jobLogs, ({ one }) => ({
    job: one(jobs, { fields: [jobLogs.jobId], references: [jobs.id] }),
  }));
  const authToken = p.pgTable("auth_token", {
    id: p.integer("id").primaryKey().generatedByDefaultAsIdentity(),
    realmId: p.integer("realm_id").notNull(),
    alias: p.varchar("alias", { length: 64 }).notNull(),
    tokenPrefix: p.varchar("token_prefix", { length: 64 }).notNull().unique(),
    tokenHash: p.varchar("token_hash", { length: 255 }).notNull(),
    expiresAt: p.timestamp("expires_at", { withTimezone: true }),
    isActive: p.boolean("is_active").notNull().default(true),
    lastUsedAt: p.timestamp("last_used_at", { withTimezone: true }),
    createdAt: p.timestamp("created_at", { withTimezone: true }),
  });
  const pool = benchPool(url);
  const db = drizzlePg({ client: pool, schema: { jobs, jobLogs, jobsRelations, logsRelations } });
  const perInsert = Math.floor(65535 / 4);
  const verifyToken = tokenVerifier(
    async (prefix) => (await db.select().from(authToken).where(eq(authToken.tokenPrefix, prefix)))[0],
    (r) => ({ hash: r.tokenHash, active: r.isActive, expiresAt: r.expiresAt }),
  );
  return {
    name: "Drizzle",
    verifyToken,
    pointRead: async (id) => (await db.select().from(jobs).where(eq(jobs.id, id)))[0],
    list: (userId, status) =>
      db
        .select()
        .from(jobs)
        .where(and(eq(jobs.userId, userId), eq(jobs.status, status as "success")))
        .orderBy(desc(jobs.createdAt))
        .limit(LIST_LIMIT),
    insert: async (r) => (await db.insert(jobs).values(r).returning())[0],
    bulkInsert: (rows) =>
      db.transaction(async (tx) => {
        const out: unknown[] = [];
        for (let i = 0; i < rows.length; i += perInsert)
          out.push(
            ...(await tx
              .insert(bulkLog)
              .values(rows.slice(i, i + perInsert))
              .returning()),
          );
        return out;
      }),
    update: async (id, version, exitCode) =>
      (
        await db
          .update(jobs)
          .set({ exitCode, version: sql`${jobs.version} + 1` })
          .where(and(eq(jobs.id, id), eq(jobs.version, version)))
          .returning()
      )[0]!,
    eagerLoad: (offset) =>
      db.query.jobs.findMany({ with: { logs: true }, orderBy: [asc(jobs.id)], limit: EAGER_PARENTS, offset }),
    page: async (status, n) => ({
      items: await db
        .select()
        .from(jobs)
        .where(eq(jobs.status, status as "failed"))
        .orderBy(asc(jobs.id))
        .limit(PER_PAGE + 1)
        .offset((n - 1) * PER_PAGE),
      total: await db.$count(jobs, eq(jobs.status, status as "failed")),
    }),
    close: () => pool.end(),
  };
}
