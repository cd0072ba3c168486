import type { KyselyPlugin } from "kysely";
import {
  CheckViolation,
  ForeignKeyViolation,
  ImmutableRowError,
  rowsPerStatement,
  UniqueViolation,
  ValidationError,
} from "plinth";
import { hashPassword, PasswordPolicyError } from "plinth/security";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { repositories } from "../repositories/index.js";
import { infraAutomation } from "../schema.js";
import { seed } from "../seed.js";

const model = (name: string) => infraAutomation.model.tables.find((t) => t.name === name)!;
const column = (table: string, name: string) => model(table).columns.find((c) => c.name === name)!;
const fk = (table: string, col: string) => model(table).foreignKeys.find((f) => f.columns[0] === col)!;

describe("infra-automation declaration", () => {
  it("declares the seven tables, and plinth's audit table for the audited ones", () => {
    expect(infraAutomation.model.tables.map((t) => t.name).sort()).toEqual([
      "audit_logs",
      "job_logs",
      "jobs",
      "playbooks",
      "plinth_audit_log",
      "servers",
      "tickets",
      "users",
    ]);
  });

  it("gives the high-volume tables BIGINT keys and the others INT keys", () => {
    for (const t of ["job_logs", "audit_logs"]) expect(column(t, "id").type.kind, t).toBe("bigint");
    for (const t of ["users", "servers", "playbooks", "jobs", "tickets"])
      expect(column(t, "id").type.kind, t).toBe("integer");
  });

  it("gives jobs and tickets unique UUID external ids", () => {
    expect(column("jobs", "job_id").type.kind).toBe("uuid");
    expect(column("tickets", "ticket_id").type.kind).toBe("uuid");
    expect(model("jobs").uniques.map((u) => u.columns)).toContainEqual(["job_id"]);
    expect(model("tickets").uniques.map((u) => u.columns)).toContainEqual(["ticket_id"]);
  });

  it("declares the seed's ON DELETE rules", () => {
    expect(fk("job_logs", "job_id")).toMatchObject({ refTable: "jobs", onDelete: "cascade" });
    expect(fk("tickets", "job_id")).toMatchObject({ refTable: "jobs", onDelete: "restrict" });
    expect(fk("jobs", "user_id")).toMatchObject({ refTable: "users", onDelete: "restrict" });
    expect(fk("audit_logs", "user_id")).toMatchObject({ refTable: "users", onDelete: "set null" });
    expect(column("audit_logs", "user_id").nullable).toBe(true);
  });

  it("declares the relationship map: users, servers and playbooks to jobs; users to tickets and audit_logs", () => {
    const edges = infraAutomation.model.tables.flatMap((t) =>
      t.foreignKeys.map((f) => `${f.refTable}->${t.name}.${f.columns[0]}`),
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        "users->jobs.user_id",
        "users->tickets.created_by",
        "users->audit_logs.user_id",
        "servers->jobs.server_id",
        "playbooks->jobs.playbook_id",
        "jobs->job_logs.job_id",
        "jobs->tickets.job_id",
      ]),
    );
  });
});

/** Counts INSERT statements into job_logs, to see how an ingest was split. */
const logInserts = { count: 0 };
const countLogInserts: KyselyPlugin = {
  transformQuery({ node }) {
    if (node.kind === "InsertQueryNode" && node.into?.table.identifier.name === "job_logs")
      logInserts.count++;
    return node;
  },
  transformResult: async ({ result }) => result,
};

describeEngines("infra-automation on the database", (engine) => {
  const fx = useFreshDb(engine, infraAutomation, { connect: { plugins: [countLogInserts] } });
  let n = 0;

  /** A user, server, playbook and job of their own for each test. */
  async function scenario() {
    const r = repositories(fx.db);
    n += 1;
    const user = await r.users.register({
      username: `op${n}`,
      email: `Op${n}@Example.COM`,
      password: "correct horse battery staple",
      role: "operator",
    });
    const server = await r.servers.create({ hostname: `web${n}.example.com`, ipAddress: `10.0.0.${n}` });
    const playbook = await r.playbooks.create({ name: `deploy-${n}`, filePath: `playbooks/deploy-${n}.yml` });
    const job = await r.jobs.enqueue({ playbookId: playbook.id, serverId: server.id, userId: user.id });
    return { r, user, server, playbook, job };
  }

  it("deletes a job's logs with the job (CASCADE)", async () => {
    const { r, job } = await scenario();
    const other = await r.jobs.enqueue({
      playbookId: job.playbookId,
      serverId: job.serverId,
      userId: job.userId,
    });
    await r.jobLogs.ingest(job.id, ["PLAY [all]", "TASK [ping]", "ok: [web]"]);
    await r.jobLogs.ingest(other.id, ["PLAY [other]"]);
    expect(await r.jobLogs.count({ jobId: job.id })).toBe(3);
    expect(await r.jobs.delete(job.id)).toBe(true);
    expect(await r.jobLogs.count({ jobId: job.id })).toBe(0);
    expect(await r.jobLogs.count({ jobId: other.id })).toBe(1);
  });

  it("refuses to delete a job that has tickets (RESTRICT)", async () => {
    const { r, user, job } = await scenario();
    await r.tickets.open({ jobId: job.id, createdBy: user.id, title: "deploy failed on web" });
    const error = await r.jobs.delete(job.id).catch((e) => e);
    expect(error).toBeInstanceOf(ForeignKeyViolation);
    // PostgreSQL and MySQL name the referencing table; SQLite names none, so the statement's table is given.
    expect(["tickets", "jobs"]).toContain(error.table);
    expect(await r.jobs.getById(job.id)).toBeDefined();
  });

  it("refuses to delete a user who started jobs (RESTRICT)", async () => {
    const { r, user } = await scenario();
    const error = await r.users.delete(user.id).catch((e) => e);
    expect(error).toBeInstanceOf(ForeignKeyViolation);
    expect(["jobs", "users"]).toContain(error.table);
    expect(await r.users.getById(user.id)).toBeDefined();
  });

  it("keeps a deleted user's audit trail, with the user emptied (SET NULL)", async () => {
    const r = repositories(fx.db);
    const gone = await r.users.register({
      username: "leaver",
      email: "leaver@example.com",
      password: "x".repeat(12),
    });
    const stays = await r.users.register({
      username: "stayer",
      email: "stayer@example.com",
      password: "y".repeat(12),
    });
    await r.auditLogs.record({
      userId: gone.id,
      action: "user.login",
      resourceType: "user",
      resourceId: String(gone.id),
    });
    await r.auditLogs.record({
      userId: gone.id,
      action: "server.update",
      resourceType: "server",
      resourceId: "7",
    });
    await r.auditLogs.record({
      userId: stays.id,
      action: "user.login",
      resourceType: "user",
      resourceId: String(stays.id),
    });
    expect(await r.users.delete(gone.id)).toBe(true);
    const trail = await r.auditLogs.findMany({
      where: { action: ["user.login", "server.update"] },
      orderBy: "id",
    });
    expect(trail.map((a) => [a.action, a.userId])).toEqual([
      ["user.login", null],
      ["server.update", null],
      ["user.login", stays.id],
    ]);
  });

  it("keeps the audit trail append-only through its repository", async () => {
    const r = repositories(fx.db);
    const row = await r.auditLogs.record({ action: "job.start", resourceType: "job", resourceId: "1" });
    await expect(r.auditLogs.update(row.id, { action: "x" })).rejects.toBeInstanceOf(ImmutableRowError);
    await expect(r.auditLogs.delete(row.id)).rejects.toMatchObject({
      table: "audit_logs",
      operation: "DELETE",
    });
    expect(await r.auditLogs.getById(row.id)).toMatchObject({ action: "job.start" });
  });

  it("stores e-mail lower-case: the repository normalises, the database refuses anything else", async () => {
    const { r, user } = await scenario();
    expect(user.email).toBe(`op${n}@example.com`);
    expect(await r.users.findByEmail(`OP${n}@example.com`)).toMatchObject({ id: user.id });
    const error = await fx.db.kysely
      .insertInto("users")
      .values({
        username: "shouty",
        email: "Shouty@Example.com",
        passwordHash: await hashPassword("shouty password"),
      })
      .execute()
      .catch((e) => e);
    expect(error).toBeInstanceOf(CheckViolation);
    expect(error).toMatchObject({ table: "users", constraint: "ck_users_email_lower_case" });
  });

  it("refuses a weak password at registration, naming each broken rule, and stores nothing", async () => {
    const r = repositories(fx.db);
    const error = await r.users
      .register({ username: "weakling", email: "weakling@example.com", password: "weakling1" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(PasswordPolicyError);
    expect(error.rules).toEqual(["minLength", "personal"]);
    expect(error.message).not.toContain("weakling1");
    expect(await r.users.exists({ username: "weakling" })).toBe(false);
  });

  it("never reads a password hash back unless asked, and authenticates by username or e-mail", async () => {
    const { r, user } = await scenario();
    expect(user).not.toHaveProperty("passwordHash");
    expect(await r.users.authenticate(user.username, "wrong password")).toBeUndefined();
    const byName = await r.users.authenticate(user.username, "correct horse battery staple");
    expect(byName?.lastLoginAt).toBeInstanceOf(Date);
    expect(
      await r.users.authenticate(user.email.toUpperCase(), "correct horse battery staple"),
    ).toMatchObject({
      id: user.id,
    });
  });

  it("refuses a duplicate job UUID and a duplicate log line number", async () => {
    const { r, job } = await scenario();
    const again = await r.jobs
      .enqueue({ jobId: job.jobId, playbookId: job.playbookId, serverId: job.serverId, userId: job.userId })
      .catch((e) => e);
    expect(again).toBeInstanceOf(UniqueViolation);
    expect(again).toMatchObject({ table: "jobs", columns: ["job_id"] });
    await r.jobLogs.ingest(job.id, ["one"]);
    const dup = await r.jobLogs
      .create({ jobId: job.id, lineNumber: 1, content: "one again" })
      .catch((e) => e);
    expect(dup).toBeInstanceOf(UniqueViolation);
    expect(dup).toMatchObject({ table: "job_logs", constraint: "uq_job_logs_job_id_line_number" });
  });

  it("ingests logs in bulk: chunked, numbered on from the last line, in order", async () => {
    const { r, job } = await scenario();
    // More rows than one INSERT may carry on SQLite, so createMany itself must split too.
    const perStatement = rowsPerStatement(engine.dialect, 5); // job_id, line_number, stream, content, logged_at
    const total = 2500 + perStatement + 1234;
    const lines = Array.from({ length: total }, (_, i) =>
      i % 10 === 9 ? { content: `err ${i}`, stream: "stderr" as const } : `line ${i}`,
    );
    logInserts.count = 0;
    const first = await r.jobLogs.ingest(job.id, lines.slice(0, 2500), { chunkSize: 1000 });
    expect(first).toEqual({ first: 1, last: 2500, count: 2500 });
    expect(logInserts.count).toBe(3); // chunks of 1000, 1000 and 500
    logInserts.count = 0;
    const rest = await r.jobLogs.ingest(job.id, lines.slice(2500), { chunkSize: 1_000_000 });
    expect(rest).toEqual({ first: 2501, last: total, count: total - 2500 });
    expect(logInserts.count).toBe(2); // one chunk, split under the engine's parameter limit
    expect(await r.jobLogs.count({ jobId: job.id })).toBe(total);
    expect(await r.jobLogs.lastLine(job.id)).toBe(total);
    const page = await r.jobLogs.stream(job.id, 2495, 10);
    expect(page.map((l) => [l.lineNumber, l.content, l.stream])).toEqual(
      Array.from({ length: 10 }, (_, k) => {
        const i = 2495 + k; // line i + 1 holds lines[i]
        return [i + 1, i % 10 === 9 ? `err ${i}` : `line ${i}`, i % 10 === 9 ? "stderr" : "stdout"];
      }),
    );
  });

  it("ingests nothing when one chunk is invalid, and says which row", async () => {
    const { r, job } = await scenario();
    const error = await r.jobLogs
      .ingest(job.id, ["fine", { content: null as unknown as string }], { chunkSize: 10 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toMatch(/row 1/);
    expect(await r.jobLogs.count({ jobId: job.id })).toBe(0);
  });

  it("seeds one admin, idempotently, with the password from the environment or a generated one", async () => {
    const r = repositories(fx.db);
    const env = {
      INFRA_ADMIN_PASSWORD: "s3cret-from-the-environment",
      INFRA_ADMIN_EMAIL: "Root@Infra.Example",
    };
    expect(await seed(fx.db, env)).toEqual(["users admin (admin; password from INFRA_ADMIN_PASSWORD)"]);
    expect(await seed(fx.db, env)).toEqual([]);
    expect(await r.users.count({ role: "admin" })).toBe(1);
    const admin = await r.users.authenticate("root@infra.example", "s3cret-from-the-environment");
    expect(admin).toMatchObject({ username: "admin", role: "admin" });
    const stored = await r.users.findOne({ username: "admin" }, { withHidden: true });
    expect(stored?.passwordHash).toMatch(/^\$argon2id\$/);
    expect(stored?.passwordHash).not.toContain("s3cret");

    await r.users.delete(admin!.id);
    const [line] = await seed(fx.db, {});
    const generated = /shown only now: (\S+)\)$/.exec(line!)?.[1];
    expect(generated).toMatch(/^[\w-]{24}$/);
    expect(await r.users.authenticate("admin", generated!)).toMatchObject({ email: "admin@infra.local" });
  });
});
