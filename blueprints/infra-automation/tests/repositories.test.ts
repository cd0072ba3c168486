import { randomUUID } from "node:crypto";
import type { Compilable } from "kysely";
import { sql } from "kysely";
import { queryPlan } from "plinth/review";
import { hashPassword } from "plinth/security";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { repositories } from "../repositories/index.js";
import { infraAutomation, type JobStatus } from "../schema.js";

/**
 * The four query patterns the schema is indexed for: each returns the right rows, and each is
 * served by its index, as the engine's own query plan shows. Enough rows that a planner which
 * prefers a scan for tiny tables still picks the index.
 */
const USERS = 20;
const JOBS = 3000;
const LOG_JOBS = 4;
const LINES = 1500;
const AUDITS = 3000;
const RESOURCE_TYPES = ["job", "server", "playbook", "user", "ticket"];
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

describeEngines("infra-automation query patterns", (engine) => {
  const fx = useFreshDb(engine, infraAutomation);
  let r: ReturnType<typeof repositories>;
  type JobRow = { id: number; userId: number; status: string; createdAt: Date };
  let jobs: JobRow[] = [];
  let audits: { id: number; resourceType: string; resourceId: string; createdAt: Date }[] = [];

  beforeAll(async () => {
    r = repositories(fx.db);
    const passwordHash = await hashPassword("not used to log in");
    const users = await r.users.createMany(
      Array.from({ length: USERS }, (_, i) => ({
        username: `u${i}`,
        email: `u${i}@example.com`,
        passwordHash,
      })),
    );
    const servers = await r.servers.createMany(
      Array.from({ length: 5 }, (_, i) => ({ hostname: `h${i}.example.com`, ipAddress: `10.1.0.${i}` })),
    );
    const playbook = await r.playbooks.create({ name: "site", filePath: "site.yml" });
    // Statuses are skewed as on a real platform: most jobs succeed, few are running.
    const statusOf = (i: number) =>
      i % 50 === 0 ? "running" : i % 10 === 3 ? "failed" : i % 25 === 7 ? "cancelled" : "success";
    const created = await r.jobs.createMany(
      Array.from({ length: JOBS }, (_, i) => ({
        jobId: randomUUID(),
        playbookId: playbook.id,
        serverId: servers[i % servers.length]!.id,
        userId: users[i % USERS]!.id,
        status: statusOf(i) as (typeof JobStatus.values)[number],
        // Several jobs share each minute, so the id breaks ties in the ordering.
        createdAt: new Date(T0 + Math.floor(i / 3) * 60_000),
      })),
    );
    jobs = created.map((j) => ({ id: j.id, userId: j.userId, status: j.status, createdAt: j.createdAt }));
    for (const job of created.slice(0, LOG_JOBS))
      await r.jobLogs.ingest(
        job.id,
        Array.from({ length: LINES }, (_, i) => `${job.id}:${i + 1}`),
      );
    const recorded = await r.auditLogs.createMany(
      Array.from({ length: AUDITS }, (_, i) => ({
        userId: users[i % USERS]!.id,
        action: "update",
        resourceType: RESOURCE_TYPES[i % RESOURCE_TYPES.length]!,
        resourceId: String(i % 97),
        createdAt: new Date(T0 + Math.floor(i / 2) * 1000),
      })),
    );
    audits = recorded.map((a) => ({
      id: a.id,
      resourceType: a.resourceType,
      resourceId: a.resourceId,
      createdAt: a.createdAt,
    }));
    if (engine.dialect === "postgres")
      for (const t of ["jobs", "job_logs", "audit_logs"])
        await sql`ANALYZE ${sql.table(t)}`.execute(fx.db.kysely);
    if (engine.dialect === "mysql")
      for (const t of ["jobs", "job_logs", "audit_logs"])
        await sql`ANALYZE TABLE ${sql.table(t)}`.execute(fx.db.kysely);
  });

  const newestFirst = <T extends { id: number; createdAt: Date }>(a: T, b: T) =>
    b.createdAt.getTime() - a.createdAt.getTime() || b.id - a.id;

  it("dashboard: recent jobs by status, newest first, from the (status, created_at) index", async () => {
    for (const status of ["running", "failed"] as const) {
      const expected = jobs
        .filter((j) => j.status === status)
        .sort(newestFirst)
        .slice(0, 20);
      expect((await r.jobs.recentJobs(status)).map((j) => j.id)).toEqual(expected.map((j) => j.id));
    }
    expect(await plan(r.jobs.recentJobsQuery("running"))).toMatch(
      usesIndex("jobs", "ix_jobs_status_created_at"),
    );
  });

  it("user history: a user's jobs by status, newest first, from the (user_id, status, created_at) index", async () => {
    const userId = jobs[3]!.userId; // job 3 failed, and so did every 20th job after it: all this user's
    const expected = jobs
      .filter((j) => j.userId === userId && j.status === "failed")
      .sort(newestFirst)
      .slice(0, 50);
    expect(expected.length).toBeGreaterThan(10);
    const got = await r.jobs.userHistory(userId, { status: "failed" });
    expect(got.map((j) => j.id)).toEqual(expected.map((j) => j.id));
    const all = await r.jobs.userHistory(userId, { limit: 1000 });
    expect(all.map((j) => j.id)).toEqual(
      jobs
        .filter((j) => j.userId === userId)
        .sort(newestFirst)
        .map((j) => j.id),
    );
    // (user_id, status, created_at) serves it exactly; MySQL may prefer (user_id, created_at), which
    // also finds the user's rows by index and reads them newest first.
    expect(await plan(r.jobs.userHistoryQuery(userId, { status: "failed" }))).toMatch(
      usesIndex("jobs", "ix_jobs_user_id_(status_)?created_at"),
    );
  });

  it("log streaming: a job's lines in order from a line number, from the (job_id, line_number) key", async () => {
    const job = jobs[2]!;
    const page = await r.jobLogs.stream(job.id, 700, 100);
    expect(page.map((l) => l.lineNumber)).toEqual(Array.from({ length: 100 }, (_, i) => 701 + i));
    expect(page.map((l) => l.content)).toEqual(page.map((l) => `${job.id}:${l.lineNumber}`));
    expect(await r.jobLogs.stream(job.id, LINES - 3)).toHaveLength(3);
    expect(await r.jobLogs.stream(job.id, LINES)).toEqual([]);
    expect(await plan(r.jobLogs.streamQuery(job.id, 700, 100))).toMatch(
      usesIndex("job_logs", "uq_job_logs_job_id_line_number", "job_id=\\? AND line_number>\\?"),
    );
  });

  it("audit trail: an entity's history, newest first, from the (resource_type, resource_id, created_at) index", async () => {
    const expected = audits
      .filter((a) => a.resourceType === "job" && a.resourceId === "42")
      .sort(newestFirst);
    expect(expected.length).toBeGreaterThan(3);
    expect((await r.auditLogs.trail("job", 42)).map((a) => a.id)).toEqual(expected.map((a) => a.id));
    expect(await plan(r.auditLogs.trailQuery("job", 42))).toMatch(
      usesIndex("audit_logs", "ix_audit_logs_resource_type_resource_id_created_at"),
    );
  });

  /**
   * The index as each engine's plan names it. SQLite names a unique constraint's index
   * sqlite_autoindex_<table>_<n>, so there the plan must also show the index's columns.
   */
  function usesIndex(table: string, index: string, sqliteSearch?: string): RegExp {
    if (engine.dialect === "sqlite") {
      const name = sqliteSearch ? `(${index}|sqlite_autoindex_${table}_\\d+)` : index;
      return new RegExp(`SEARCH ${table} USING (COVERING )?INDEX ${name} \\(${sqliteSearch ?? ""}`);
    }
    if (engine.dialect === "postgres")
      return new RegExp(`(Index (Only )?Scan (Backward )?using|Bitmap Index Scan on) ${index}`);
    return new RegExp(`"table":"${table}".*"key":"${index}"`);
  }

  /** The engine's plan for the exact statement a repository method runs. */
  const plan = (query: Compilable<unknown>) => queryPlan(fx.db.kysely, engine.dialect, query);
});
