/**
 * The seed's own examples, on every engine: the approval workflow (request → approval → revision →
 * validation → completion), the status flow refusing illegal moves, concurrent version hand-out,
 * the append-only audit log, default roles, system config and the seed itself.
 */
import type { Db } from "plinth";
import { asImmutableRowError, connect, installAppendOnly, NotFoundError } from "plinth";
import { expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { repositories } from "../repositories/index.js";
import { StatusTransitionError } from "../repositories/status-flow.js";
import type { TaGenerator } from "../schema.js";
import { taGenerator } from "../schema.js";
import { seed } from "../seed.js";

describeEngines("ta-generator repositories", (engine) => {
  const fx = useFreshDb(engine, taGenerator);
  let n = 0;
  const repos = () => repositories(fx.db);
  const user = (name = `user${++n}`) =>
    repos().users.create({ username: name, email: `${name}@example.com` });
  const newRequest = async (createdBy?: string) =>
    repos().requests.create({
      createdBy: createdBy ?? (await user()).id,
      sourceSystem: "Apache",
      description: "Apache access logs",
    });
  const pendingRequest = async () => repos().requests.submitForApproval((await newRequest()).id);
  const autoRevision = { storageKey: "ta/TA-Apache.tgz", storageBucket: "tas", generatedBy: "AUTO" as const };

  it("runs the approval workflow end to end", async () => {
    const { requests, revisions, validationRuns, auditLog, roles } = repos();
    await roles.ensureDefaultRoles();
    const requestor = await user("requestor");
    const approver = await user("approver");
    await roles.assignRole(requestor.id, "REQUESTOR");
    await roles.assignRole(approver.id, "APPROVER");

    const created = await requests.create({
      createdBy: requestor.id,
      sourceSystem: "Apache",
      description: "Test request",
      cimRequired: true,
    });
    expect(created).toMatchObject({
      status: "NEW",
      approvedBy: null,
      approvedAt: null,
      lastRevisionVersion: 0,
    });
    await requests.submitForApproval(created.id);
    expect((await requests.getPendingApproval()).map((r) => r.id)).toContain(created.id);

    const approved = await requests.approveRequest(created.id, approver.id, { ipAddress: "192.168.1.100" });
    expect(approved).toMatchObject({ status: "APPROVED", approvedBy: approver.id });
    expect(approved.approvedAt).toBeInstanceOf(Date);
    expect((await requests.getPendingApproval()).map((r) => r.id)).not.toContain(created.id);
    const [entry] = await auditLog.getByEntity("request", created.id);
    expect(entry).toMatchObject({
      userId: approver.id,
      action: "APPROVE",
      entityType: "request",
      ipAddress: "192.168.1.100",
      details: { previous_status: "PENDING_APPROVAL", new_status: "APPROVED" },
    });

    await requests.transition(created.id, "GENERATING_TA");
    const v1 = await revisions.createRevision(created.id, autoRevision);
    expect(v1.version).toBe(1);
    await requests.transition(created.id, "VALIDATING");
    const run = await validationRuns.create({ requestId: created.id, taRevisionId: v1.id });
    expect(run.status).toBe("QUEUED");
    const running = await validationRuns.startValidation(run.id, "job-abc-123");
    expect(running).toMatchObject({ status: "RUNNING", splunkContainerId: "job-abc-123" });
    expect(running.startedAt).toBeInstanceOf(Date);
    expect(await validationRuns.getRunningCount()).toBe(1);
    const passed = await validationRuns.completeValidation(run.id, {
      status: "PASSED",
      results: { fields_extracted: 15, errors: 0 },
      debugBundleKey: "debug/request-123-v1.zip",
    });
    expect(passed).toMatchObject({
      status: "PASSED",
      resultsJson: { fields_extracted: 15, errors: 0 },
      debugBundleKey: "debug/request-123-v1.zip",
    });
    expect(passed.completedAt).toBeInstanceOf(Date);
    expect(passed.durationSeconds).toBeGreaterThanOrEqual(0);
    expect(await validationRuns.getRunningCount()).toBe(0);

    const done = await requests.transition(created.id, "COMPLETED");
    expect(done.status).toBe("COMPLETED");
    expect(done.completedAt).toBeInstanceOf(Date);
    expect((await requests.getByUser(requestor.id)).map((r) => r.id)).toEqual([created.id]);
  });

  it("refuses an illegal transition, naming the current status, the requested one and the allowed ones", async () => {
    const { requests } = repos();
    const r = await newRequest();
    const error = await requests.transition(r.id, "APPROVED").catch((e) => e);
    expect(error).toBeInstanceOf(StatusTransitionError);
    expect(error).toMatchObject({ table: "requests", id: r.id, from: "NEW", to: "APPROVED" });
    expect(error.allowed).toEqual(["PENDING_APPROVAL"]);
    expect(error.message).toBe(
      `requests ${r.id}: cannot move from NEW to APPROVED; allowed from NEW: PENDING_APPROVAL`,
    );
    expect((await requests.getByIdOrThrow(r.id)).status).toBe("NEW");

    await requests.submitForApproval(r.id);
    const rejected = await requests.rejectRequest(r.id, (await user()).id, "no samples attached");
    expect(rejected).toMatchObject({ status: "REJECTED", rejectionReason: "no samples attached" });
    const final = await requests.approveRequest(r.id, (await user()).id).catch((e) => e);
    expect(final).toBeInstanceOf(StatusTransitionError);
    expect(final.message).toMatch(/cannot move from REJECTED to APPROVED; REJECTED is final/);
    expect(await requests.transition(crypto.randomUUID(), "PENDING_APPROVAL").catch((e) => e)).toBeInstanceOf(
      NotFoundError,
    );
  });

  it("lets exactly one of two concurrent approvals win", async () => {
    const { requests, auditLog } = repos();
    const r = await pendingRequest();
    const [a, b] = [await user(), await user()];
    const outcomes = await Promise.allSettled([
      requests.approveRequest(r.id, a.id),
      requests.approveRequest(r.id, b.id),
    ]);
    const won = outcomes.filter((o) => o.status === "fulfilled");
    const lost = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(StatusTransitionError);
    expect(lost[0]).toMatchObject({ from: "APPROVED", to: "APPROVED" });
    // The loser's audit entry rolled back with its transaction.
    expect(await auditLog.getByEntity("request", r.id)).toHaveLength(1);
  });

  it("moves a validation run only along QUEUED → RUNNING → PASSED | FAILED", async () => {
    const { requests, revisions, validationRuns } = repos();
    const r = await newRequest();
    const rev = await revisions.createRevision(r.id, autoRevision);
    const run = await validationRuns.create({ requestId: r.id, taRevisionId: rev.id });
    const early = await validationRuns.completeValidation(run.id, { status: "PASSED" }).catch((e) => e);
    expect(early).toBeInstanceOf(StatusTransitionError);
    expect(early).toMatchObject({
      table: "validation_runs",
      from: "QUEUED",
      to: "PASSED",
      allowed: ["RUNNING"],
    });
    await validationRuns.startValidation(run.id, "c1");
    const twice = await validationRuns.startValidation(run.id, "c2").catch((e) => e);
    expect(twice).toMatchObject({ from: "RUNNING", to: "RUNNING", allowed: ["PASSED", "FAILED"] });
    const failed = await validationRuns.completeValidation(run.id, {
      status: "FAILED",
      errorMessage: "no events",
    });
    expect(failed).toMatchObject({ status: "FAILED", errorMessage: "no events", splunkContainerId: "c1" });
    expect(await requests.getByIdOrThrow(r.id)).toMatchObject({ status: "NEW" });
  });

  it("counts running validations against a max-parallel limit", async () => {
    const { revisions, validationRuns, systemConfig } = repos();
    await systemConfig.setValue("MAX_PARALLEL_VALIDATIONS", 2);
    const limit = (await systemConfig.getValue("MAX_PARALLEL_VALIDATIONS")) as number;
    const r = await newRequest();
    const rev = await revisions.createRevision(r.id, autoRevision);
    for (let i = 0; i < 4; i++) await validationRuns.create({ requestId: r.id, taRevisionId: rev.id });
    const before = await validationRuns.getRunningCount();
    let started = 0;
    for (const queued of await validationRuns.getQueued(10)) {
      if ((await validationRuns.getRunningCount()) - before >= limit) break;
      await validationRuns.startValidation(queued.id, `c${started++}`);
    }
    expect(started).toBe(2);
    expect(await validationRuns.getRunningCount()).toBe(before + 2);
  });

  it("counts requests per status, every status present", async () => {
    const { requests } = repos();
    const before = await requests.getStatistics();
    await newRequest();
    await pendingRequest();
    await pendingRequest();
    const after = await requests.getStatistics();
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(Object.keys(after)).toHaveLength(8);
    expect(after.NEW - before.NEW).toBe(1);
    expect(after.PENDING_APPROVAL - before.PENDING_APPROVAL).toBe(2);
    expect(after.COMPLETED - before.COMPLETED).toBe(0);
  });

  it("never hands two concurrent callers the same version", async () => {
    const WORKERS = 6;
    const EACH = 5;
    const r = await newRequest();
    // SQLite: a connection per worker on the same file; server engines: the pool; PGlite has one connection.
    const extra: Db<TaGenerator>[] =
      engine.name === "sqlite"
        ? await Promise.all(Array.from({ length: WORKERS - 1 }, () => connect(fx.url, taGenerator)))
        : [];
    const dbs = [fx.db, ...extra];
    try {
      const handedOut = await Promise.all(
        Array.from({ length: WORKERS }, async (_, w) => {
          const revisions = repositories(dbs[w % dbs.length]!).revisions;
          const mine: number[] = [];
          for (let i = 0; i < EACH; i++) {
            // Half the workers reserve a version and insert with it; half let createRevision do both.
            if (w % 2 === 0) mine.push(await revisions.getNextVersion(r.id));
            else mine.push((await revisions.createRevision(r.id, autoRevision)).version);
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 3));
          }
          return mine;
        }),
      );
      const all = handedOut.flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: WORKERS * EACH }, (_, i) => i + 1));
      const stored = await repos().revisions.getRevisionHistory(r.id);
      expect(stored.map((s) => s.version).sort((a, b) => a - b)).toEqual(
        handedOut
          .filter((_, w) => w % 2 === 1)
          .flat()
          .sort((a, b) => a - b),
      );
      expect((await repos().revisions.getLatestRevision(r.id))?.version).toBe(
        Math.max(...stored.map((s) => s.version)),
      );
    } finally {
      await Promise.all(extra.map((d) => d.close()));
    }
  });

  it("hands out versions 1, 2, 3 per request and refuses an unknown request", async () => {
    const { revisions } = repos();
    const [a, b] = [await newRequest(), await newRequest()];
    expect(await revisions.getNextVersion(a.id)).toBe(1);
    expect(await revisions.getNextVersion(a.id)).toBe(2);
    expect(await revisions.getNextVersion(b.id)).toBe(1);
    expect(await revisions.getNextVersion(crypto.randomUUID()).catch((e) => e)).toBeInstanceOf(NotFoundError);
  });

  it("keeps the audit log append-only: no update or delete on the type, refused by the database", async () => {
    await installAppendOnly(fx.db, "audit_logs");
    const { auditLog } = repos();
    const actor = await user();
    const correlationId = crypto.randomUUID();
    const entry = await auditLog.createLog({
      userId: actor.id,
      action: "DOWNLOAD",
      entityType: "ta_revision",
      entityId: crypto.randomUUID(),
      details: { file: "debug.zip" },
      correlationId,
    });
    // @ts-expect-error the audit repository has no update
    expect(auditLog.update).toBeUndefined();
    // @ts-expect-error the audit repository has no delete
    expect(auditLog.delete).toBeUndefined();
    const update = await fx.db.kysely
      .updateTable("audit_logs")
      .set({ action: "LOGIN" })
      .where("id", "=", entry.id)
      .execute()
      .catch((e) => e);
    expect(asImmutableRowError(update)).toMatchObject({ table: "audit_logs", operation: "UPDATE" });
    const del = await fx.db
      .repo("audit_logs")
      .hardDelete(entry.id)
      .catch((e) => e);
    expect(asImmutableRowError(del)).toMatchObject({ table: "audit_logs", operation: "DELETE" });
    expect(await auditLog.getByCorrelationId(correlationId)).toMatchObject([
      { id: entry.id, action: "DOWNLOAD" },
    ]);
    expect((await auditLog.getByUser(actor.id)).map((e) => e.id)).toEqual([entry.id]);
    expect((await auditLog.getRecentActivity({ hours: 1 })).map((e) => e.id)).toContain(entry.id);
  });

  it("soft-deletes log samples and finds the ones past their retention", async () => {
    const { logSamples } = repos();
    const r = await newRequest();
    const sample = (name: string, retentionUntil: Date | null) =>
      logSamples.create({
        requestId: r.id,
        filename: name,
        fileSize: 1024,
        storageKey: `samples/${name}`,
        storageBucket: "samples",
        retentionUntil,
      });
    const expired = await sample("old.log", new Date(Date.now() - 86_400_000));
    const fresh = await sample("new.log", new Date(Date.now() + 86_400_000));
    await sample("kept.log", null);
    expect((await logSamples.getSamplesForCleanup(new Date())).map((s) => s.id)).toEqual([expired.id]);
    expect(await logSamples.markAsDeleted(fresh.id)).toBe(true);
    expect((await logSamples.getByRequest(r.id)).map((s) => s.filename)).toEqual(["old.log", "kept.log"]);
    expect((await logSamples.getById(fresh.id, { withDeleted: true }))?.deletedAt).toBeInstanceOf(Date);
  });

  it("tracks knowledge documents through indexing", async () => {
    const { knowledgeDocuments } = repos();
    const uploader = await user();
    const doc = (title: string, documentType: string) =>
      knowledgeDocuments.create({
        title,
        documentType,
        storageKey: `kb/${title}`,
        storageBucket: "kb",
        uploadedBy: uploader.id,
      });
    const a = await doc("props.conf reference", "splunk_doc");
    const b = await doc("TA-cisco", "ta_archive");
    const c = await doc("old notes", "markdown");
    await knowledgeDocuments.deactivate(c.id);
    expect((await knowledgeDocuments.getUnindexedDocuments()).map((d) => d.id)).toEqual([a.id, b.id]);
    await knowledgeDocuments.markAsIndexed(a.id, "splunk-docs-index", 150);
    expect(await knowledgeDocuments.getStatistics()).toEqual({
      byType: { splunk_doc: 1, ta_archive: 1 },
      indexed: 1,
      unindexed: 1,
    });
  });

  it("reads configuration values back with their types", async () => {
    const { systemConfig } = repos();
    await systemConfig.setValue("SAMPLE_RETENTION_ENABLED", true);
    await systemConfig.setValue("ALLOWED_WEB_DOMAINS", ["docs.splunk.com"]);
    await systemConfig.setValue("PINECONE_API_KEY", "pc-secret", { isSecret: true });
    expect(await systemConfig.getValue("SAMPLE_RETENTION_ENABLED")).toBe(true);
    expect(await systemConfig.getValue("ALLOWED_WEB_DOMAINS")).toEqual(["docs.splunk.com"]);
    expect(await systemConfig.getValue("MISSING", 7)).toBe(7);
    await systemConfig.setValue("SAMPLE_RETENTION_ENABLED", false);
    expect(await systemConfig.getValue("SAMPLE_RETENTION_ENABLED")).toBe(false);
    const shown = (await systemConfig.getPublicConfigs()).map((c) => c.key);
    expect(shown).toContain("ALLOWED_WEB_DOMAINS");
    expect(shown).not.toContain("PINECONE_API_KEY");
  });

  it("finds users by name, e-mail, SSO identity, search and role", async () => {
    const { users, roles } = repos();
    await roles.ensureDefaultRoles();
    const ann = await users.create({
      username: "ann_search",
      email: "ann@corp.example",
      fullName: "Ann Example",
      authProvider: "saml",
      externalId: "saml-ann",
    });
    expect((await users.getByUsername("ann_search"))?.id).toBe(ann.id);
    expect((await users.getByEmail("ann@corp.example"))?.id).toBe(ann.id);
    expect((await users.getByExternalId("saml-ann", "saml"))?.id).toBe(ann.id);
    expect(await users.getByExternalId("saml-ann", "oidc")).toBeUndefined();
    expect((await users.searchUsers("EXAMPLE")).map((u) => u.id)).toContain(ann.id);
    await roles.assignRole(ann.id, "KNOWLEDGE_MANAGER");
    await roles.assignRole(ann.id, "ADMIN");
    expect((await users.getWithRoles(ann.id))?.roles).toEqual(["ADMIN", "KNOWLEDGE_MANAGER"]);
    expect((await users.getUsersByRole("KNOWLEDGE_MANAGER")).map((u) => u.id)).toEqual([ann.id]);
    const login = await users.updateLastLogin(ann.id);
    expect(login.lastLogin).toBeInstanceOf(Date);
  });
});

describeEngines("ta-generator roles and seed", (engine) => {
  const fx = useFreshDb(engine, taGenerator);

  it("creates the default roles once, however often and however concurrently it runs", async () => {
    const { roles } = repositories(fx.db);
    const first = await Promise.all([
      roles.ensureDefaultRoles(),
      roles.ensureDefaultRoles(),
      roles.ensureDefaultRoles(),
    ]);
    expect(first.flat().sort()).toEqual(["ADMIN", "APPROVER", "KNOWLEDGE_MANAGER", "REQUESTOR"]);
    expect(await roles.ensureDefaultRoles()).toEqual([]);
    expect((await roles.findMany()).map((r) => r.name).sort()).toEqual([
      "ADMIN",
      "APPROVER",
      "KNOWLEDGE_MANAGER",
      "REQUESTOR",
    ]);
  });

  it("assigns a role once, checks it, and revokes it", async () => {
    const { roles, users } = repositories(fx.db);
    const admin = await users.create({ username: "root", email: "root@example.com" });
    const bob = await users.create({ username: "bob", email: "bob@example.com" });
    expect(await roles.assignRole(bob.id, "APPROVER", admin.id)).toBe(true);
    expect(await roles.assignRole(bob.id, "APPROVER", admin.id)).toBe(false);
    expect(await fx.db.repo("user_roles").count({ userId: bob.id })).toBe(1);
    expect(await fx.db.repo("user_roles").findOne({ userId: bob.id })).toMatchObject({
      assignedBy: admin.id,
    });
    expect(await roles.hasRole(bob.id, "APPROVER")).toBe(true);
    expect(await roles.hasRole(bob.id, "ADMIN")).toBe(false);
    expect(await roles.revokeRole(bob.id, "APPROVER")).toBe(true);
    expect(await roles.revokeRole(bob.id, "APPROVER")).toBe(false);
    expect(await roles.getUserRoles(bob.id)).toEqual([]);
    // Deleting the admin who granted a role keeps the grant and forgets who made it (SET NULL).
    await roles.assignRole(bob.id, "REQUESTOR", admin.id);
    await fx.db.repo("users").hardDelete(admin.id);
    expect(await fx.db.repo("user_roles").findOne({ userId: bob.id })).toMatchObject({ assignedBy: null });
  });

  it("seeds idempotently, leaving an operator's configuration alone", async () => {
    const first = await seed(fx.db);
    expect(first).toEqual(["system_config MAX_PARALLEL_VALIDATIONS"]); // the roles exist already
    const config = repositories(fx.db).systemConfig;
    expect(await config.getValue("MAX_PARALLEL_VALIDATIONS")).toBe(5);
    await config.setValue("MAX_PARALLEL_VALIDATIONS", 3);
    expect(await seed(fx.db)).toEqual([]);
    expect(await config.getValue("MAX_PARALLEL_VALIDATIONS")).toBe(3);
    const entry = await repositories(fx.db).auditLog.createLog({
      action: "LOGIN",
      entityType: "user",
    });
    const refused = await fx.db.kysely
      .deleteFrom("audit_logs")
      .where("id", "=", entry.id)
      .execute()
      .catch((e) => e);
    expect(asImmutableRowError(refused)).toMatchObject({ table: "audit_logs", operation: "DELETE" });
  });
});
