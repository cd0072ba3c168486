/**
 * The platform's repositories. Each of the four hot read paths (dashboard, a user's job history,
 * log streaming, an entity's audit trail) has a `...Query` method returning the exact Kysely query,
 * so its plan can be inspected (the tests EXPLAIN each one on every engine), and a method that runs it.
 */
import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database, Db, NewRowOf, VisibleRowOf } from "plinth";
import { ImmutableRowError, Repository } from "plinth";
import { hashPassword, passwordPolicy, verifyPassword } from "plinth/security";
import type { infraAutomation, JobStatus } from "../schema.js";

type Schema = typeof infraAutomation;
type DB = Database<Schema>;
type Job = VisibleRowOf<Schema, "jobs">;
type JobStatusValue = (typeof JobStatus.values)[number];

/** The typed handle of a repository's executor (the open transaction, else the database). */
function typed(q: Kysely<any>): Kysely<DB> {
  return q as Kysely<DB>;
}

export class UserRepository extends Repository<Schema, "users"> {
  constructor(db: Db<Schema>) {
    super(db, "users");
  }

  /**
   * Creates a user from a plaintext password, which must pass the password policy (PasswordPolicyError
   * names every rule it breaks) and is stored only as an argon2id hash; the e-mail is stored lower-case.
   */
  async register(
    user: Omit<NewRowOf<Schema, "users">, "passwordHash"> & { password: string },
  ): Promise<VisibleRowOf<Schema, "users">> {
    const { password, ...rest } = user;
    const email = normalizeEmail(rest.email);
    PASSWORDS.assert(password, { userInputs: [rest.username, email] });
    return this.create({ ...rest, email, passwordHash: await hashPassword(password) });
  }

  findByEmail(email: string) {
    return this.findOne({ email: normalizeEmail(email) });
  }

  /**
   * The active user whose username or e-mail and password match, with last_login_at updated;
   * undefined otherwise. A legacy bcrypt hash is replaced by an argon2id one on the way.
   */
  async authenticate(login: string, password: string): Promise<VisibleRowOf<Schema, "users"> | undefined> {
    const where = login.includes("@") ? { email: normalizeEmail(login) } : { username: login };
    const user = await this.findOne({ ...where, isActive: true }, { withHidden: true });
    if (!user) return undefined;
    const check = await verifyPassword(user.passwordHash, password);
    if (!check.ok) return undefined;
    const patch: { lastLoginAt: Date; passwordHash?: string } = { lastLoginAt: new Date() };
    if (check.needsRehash) patch.passwordHash = await hashPassword(password);
    return this.update(user.id, patch);
  }
}

/** NIST SP 800-63B defaults: at least 12 characters, common and personal passwords refused. */
const PASSWORDS = passwordPolicy();

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export class JobRepository extends Repository<Schema, "jobs"> {
  constructor(db: Db<Schema>) {
    super(db, "jobs");
  }

  /** Queues a job; its external UUID is generated here. */
  enqueue(job: Omit<NewRowOf<Schema, "jobs">, "jobId"> & { jobId?: string }): Promise<Job> {
    return this.create({ ...job, jobId: job.jobId ?? randomUUID() });
  }

  byJobId(jobId: string): Promise<Job | undefined> {
    return this.findOne({ jobId });
  }

  /** Dashboard: the most recent jobs in one status, newest first. Served by (status, created_at). */
  recentJobsQuery(status: JobStatusValue, limit = 20) {
    return typed(this.q)
      .selectFrom("jobs")
      .selectAll()
      .where("status", "=", status)
      .orderBy("createdAt", "desc")
      .orderBy("id", "desc")
      .limit(limit);
  }

  recentJobs(status: JobStatusValue, limit = 20): Promise<Job[]> {
    return this.recentJobsQuery(status, limit).execute();
  }

  /** A user's jobs, optionally in one status, newest first. Served by (user_id, status, created_at). */
  userHistoryQuery(userId: number, options: { status?: JobStatusValue; limit?: number } = {}) {
    let q = typed(this.q).selectFrom("jobs").selectAll().where("userId", "=", userId);
    if (options.status) q = q.where("status", "=", options.status);
    return q
      .orderBy("createdAt", "desc")
      .orderBy("id", "desc")
      .limit(options.limit ?? 50);
  }

  userHistory(userId: number, options: { status?: JobStatusValue; limit?: number } = {}): Promise<Job[]> {
    return this.userHistoryQuery(userId, options).execute();
  }
}

/** A line of job output to ingest: its text, or its text and stream. */
export type LogLine = string | { content: string; stream?: "stdout" | "stderr"; loggedAt?: Date };

export class JobLogRepository extends Repository<Schema, "job_logs"> {
  constructor(db: Db<Schema>) {
    super(db, "job_logs");
  }

  /**
   * Appends lines to a job's log, numbered after its last line, in chunks of `chunkSize` rows
   * (default 1000): each chunk is one `createMany` (itself split under the engine's parameter limit)
   * and its own transaction, so a long ingest never holds one huge transaction. One writer per job:
   * a concurrent writer's duplicate line numbers are refused by the (job_id, line_number) key.
   */
  async ingest(
    jobId: number,
    lines: readonly LogLine[],
    options: { chunkSize?: number } = {},
  ): Promise<{ first: number; last: number; count: number }> {
    const chunkSize = Math.max(1, options.chunkSize ?? 1000);
    const first = (await this.lastLine(jobId)) + 1;
    const now = new Date();
    for (let start = 0; start < lines.length; start += chunkSize) {
      // Every row names the same columns, so createMany can put as many in one INSERT as the engine allows.
      const rows = lines.slice(start, start + chunkSize).map((line, i) => {
        const { content, stream, loggedAt } = typeof line === "string" ? { content: line } : line;
        return {
          jobId,
          lineNumber: first + start + i,
          stream: stream ?? ("stdout" as const),
          content,
          loggedAt: loggedAt ?? now,
        };
      });
      await this.createMany(rows);
    }
    return { first, last: first + lines.length - 1, count: lines.length };
  }

  /** The job's last line number, 0 when it has none. */
  async lastLine(jobId: number): Promise<number> {
    const row = await typed(this.q)
      .selectFrom("job_logs")
      .select((eb) => eb.fn.max("lineNumber").as("last"))
      .where("jobId", "=", jobId)
      .executeTakeFirst();
    return Number(row?.last ?? 0);
  }

  /** Log streaming: the job's lines after `afterLine`, in order. Served by the (job_id, line_number) key. */
  streamQuery(jobId: number, afterLine = 0, limit = 500) {
    return typed(this.q)
      .selectFrom("job_logs")
      .selectAll()
      .where("jobId", "=", jobId)
      .where("lineNumber", ">", afterLine)
      .orderBy("lineNumber")
      .limit(limit);
  }

  stream(jobId: number, afterLine = 0, limit = 500): Promise<VisibleRowOf<Schema, "job_logs">[]> {
    return this.streamQuery(jobId, afterLine, limit).execute();
  }
}

export class TicketRepository extends Repository<Schema, "tickets"> {
  constructor(db: Db<Schema>) {
    super(db, "tickets");
  }

  /** Opens a ticket; its external UUID is generated here. */
  open(ticket: Omit<NewRowOf<Schema, "tickets">, "ticketId">): Promise<VisibleRowOf<Schema, "tickets">> {
    return this.create({ ...ticket, ticketId: randomUUID() });
  }
}

type AuditBase = Repository<Schema, "audit_logs">;

/** The audit trail: rows are only ever added; update, delete and upsert throw ImmutableRowError. */
export class AuditLogRepository extends Repository<Schema, "audit_logs"> {
  constructor(db: Db<Schema>) {
    super(db, "audit_logs");
  }

  record(entry: NewRowOf<Schema, "audit_logs">): Promise<VisibleRowOf<Schema, "audit_logs">> {
    return this.create(entry);
  }

  /** An entity's history, newest first. Served by (resource_type, resource_id, created_at). */
  trailQuery(resourceType: string, resourceId: string | number, limit = 100) {
    return typed(this.q)
      .selectFrom("audit_logs")
      .selectAll()
      .where("resourceType", "=", resourceType)
      .where("resourceId", "=", String(resourceId))
      .orderBy("createdAt", "desc")
      .orderBy("id", "desc")
      .limit(limit);
  }

  trail(
    resourceType: string,
    resourceId: string | number,
    limit = 100,
  ): Promise<VisibleRowOf<Schema, "audit_logs">[]> {
    return this.trailQuery(resourceType, resourceId, limit).execute();
  }

  override update(..._args: Parameters<AuditBase["update"]>): Promise<never> {
    return Promise.reject(new ImmutableRowError("audit_logs", "UPDATE"));
  }

  override updateMany(..._args: Parameters<AuditBase["updateMany"]>): Promise<never> {
    return Promise.reject(new ImmutableRowError("audit_logs", "UPDATE"));
  }

  override delete(..._args: Parameters<AuditBase["delete"]>): Promise<never> {
    return Promise.reject(new ImmutableRowError("audit_logs", "DELETE"));
  }

  override hardDelete(..._args: Parameters<AuditBase["hardDelete"]>): Promise<never> {
    return Promise.reject(new ImmutableRowError("audit_logs", "DELETE"));
  }

  override upsert(..._args: Parameters<AuditBase["upsert"]>): Promise<never> {
    return Promise.reject(new ImmutableRowError("audit_logs", "UPDATE"));
  }
}

/** Every repository of the blueprint over one connection. */
export function repositories(db: Db<Schema>) {
  return {
    users: new UserRepository(db),
    servers: db.repo("servers"),
    playbooks: db.repo("playbooks"),
    jobs: new JobRepository(db),
    jobLogs: new JobLogRepository(db),
    tickets: new TicketRepository(db),
    auditLogs: new AuditLogRepository(db),
  };
}
