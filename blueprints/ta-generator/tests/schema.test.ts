import {
  CheckViolation,
  ForeignKeyViolation,
  NotNullViolation,
  UniqueViolation,
  ValidationError,
} from "plinth";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { withoutCodec } from "../../../test/helpers/insert.js";
import { repositories } from "../repositories/index.js";
import {
  AuditAction,
  MAX_SAMPLE_BYTES,
  RequestStatus,
  TARevisionType,
  taGenerator,
  UserRoleEnum,
  ValidationStatus,
} from "../schema.js";

const model = (name: string) => taGenerator.model.tables.find((t) => t.name === name)!;
const columnType = (t: string, c: string) => model(t).columns.find((col) => col.name === c)!.type;

describe("ta-generator declaration", () => {
  it("declares the seed's ten models", () => {
    expect(taGenerator.model.tables.map((t) => t.name).sort()).toEqual([
      "audit_logs",
      "knowledge_documents",
      "log_samples",
      "requests",
      "roles",
      "system_config",
      "ta_revisions",
      "user_roles",
      "users",
      "validation_runs",
    ]);
  });

  it("declares the seed's five enums and stores each where the seed uses it", () => {
    expect(RequestStatus.values).toEqual([
      "NEW",
      "PENDING_APPROVAL",
      "APPROVED",
      "REJECTED",
      "GENERATING_TA",
      "VALIDATING",
      "COMPLETED",
      "FAILED",
    ]);
    expect(ValidationStatus.values).toEqual(["QUEUED", "RUNNING", "PASSED", "FAILED"]);
    expect(TARevisionType.values).toEqual(["AUTO", "MANUAL"]);
    expect(UserRoleEnum.values).toEqual(["REQUESTOR", "APPROVER", "ADMIN", "KNOWLEDGE_MANAGER"]);
    expect(AuditAction.values).toEqual([
      "CREATE",
      "UPDATE",
      "DELETE",
      "APPROVE",
      "REJECT",
      "DOWNLOAD",
      "UPLOAD",
      "LOGIN",
      "LOGOUT",
    ]);
    expect(columnType("requests", "status")).toEqual({ kind: "enum", values: [...RequestStatus.values] });
    expect(columnType("validation_runs", "status")).toMatchObject({ values: [...ValidationStatus.values] });
    expect(columnType("ta_revisions", "generated_by")).toMatchObject({ values: ["AUTO", "MANUAL"] });
    expect(columnType("roles", "name")).toMatchObject({ values: [...UserRoleEnum.values] });
    expect(columnType("audit_logs", "action")).toMatchObject({ values: [...AuditAction.values] });
  });

  it("gives every table a UUID primary key", () => {
    for (const t of taGenerator.model.tables) {
      expect(t.primaryKey.columns, t.name).toEqual(["id"]);
      expect(columnType(t.name, "id"), t.name).toEqual({ kind: "uuid" });
    }
  });

  it("declares every relationship with its ON DELETE rule", () => {
    const rules = taGenerator.model.tables.flatMap((t) =>
      t.foreignKeys.map((f) => `${t.name}.${f.columns.join(",")} -> ${f.refTable} ${f.onDelete}`),
    );
    expect(rules.sort()).toEqual(
      [
        "user_roles.user_id -> users cascade",
        "user_roles.role_id -> roles cascade",
        "user_roles.assigned_by -> users set null",
        "requests.created_by -> users restrict",
        "requests.approved_by -> users set null",
        "log_samples.request_id -> requests cascade",
        "ta_revisions.request_id -> requests cascade",
        "ta_revisions.generated_by_user -> users set null",
        "validation_runs.request_id -> requests cascade",
        "validation_runs.ta_revision_id -> ta_revisions cascade",
        "knowledge_documents.uploaded_by -> users restrict",
        "audit_logs.user_id -> users restrict",
        "system_config.updated_by -> users set null",
      ].sort(),
    );
  });

  it("declares the unique constraints and indexes", () => {
    const uniques = taGenerator.model.tables.flatMap((t) =>
      t.uniques.map((u) => `${t.name}(${u.columns.join(",")})`),
    );
    expect(uniques.sort()).toEqual(
      [
        "users(username)",
        "users(email)",
        "roles(name)",
        "user_roles(user_id,role_id)",
        "ta_revisions(request_id,version)",
        "system_config(key)",
      ].sort(),
    );
    const indexes = taGenerator.model.tables.flatMap((t) =>
      t.indexes.map((i) => `${t.name}(${i.columns.join(",")})`),
    );
    expect(indexes).toEqual(
      expect.arrayContaining([
        "users(external_id)",
        "users(email,auth_provider)",
        "requests(status,created_at)",
        "requests(created_by)",
        "log_samples(request_id)",
        "log_samples(retention_until)",
        "validation_runs(request_id,created_at)",
        "validation_runs(status)",
        "knowledge_documents(pinecone_indexed)",
        "knowledge_documents(is_active)",
        "audit_logs(user_id,timestamp)",
        "audit_logs(entity_type,entity_id)",
        "audit_logs(correlation_id)",
        "audit_logs(timestamp)",
      ]),
    );
  });

  it("soft-deletes log samples by deleted_at and knowledge documents by is_active", () => {
    expect(model("log_samples").columns.find((c) => c.name === "deleted_at")?.role).toBe("deletedAt");
    expect(model("knowledge_documents").columns.find((c) => c.name === "is_active")).toMatchObject({
      type: { kind: "boolean" },
      default: { kind: "literal", value: true },
    });
  });
});

describeEngines("ta-generator constraints on the database", (engine) => {
  const fx = useFreshDb(engine, taGenerator);
  let n = 0;
  const user = (name = `u${++n}`) =>
    repositories(fx.db).users.create({ username: name, email: `${name}@example.com` });
  const request = async (createdBy: string) =>
    repositories(fx.db).requests.create({ createdBy, sourceSystem: "Apache", description: "access logs" });

  it("refuses a duplicate username and a duplicate e-mail", async () => {
    await user("dup");
    const error = await repositories(fx.db)
      .users.create({ username: "dup", email: "other@example.com" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "users", columns: ["username"], constraint: "uq_users_username" });
    const email = await repositories(fx.db)
      .users.create({ username: "dup2", email: "dup@example.com" })
      .catch((e) => e);
    expect(email).toMatchObject({ table: "users", constraint: "uq_users_email" });
  });

  it("refuses a malformed e-mail before writing, and an unknown auth provider in the database", async () => {
    const invalid = await repositories(fx.db)
      .users.create({ username: "bad_mail", email: "not-an-address" })
      .catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    const provider = await fx.db.kysely
      .insertInto("users")
      .values({
        id: crypto.randomUUID(),
        username: "kerb",
        email: "kerb@example.com",
        authProvider: "kerberos",
      })
      .execute()
      .catch((e) => e);
    expect(provider).toBeInstanceOf(CheckViolation);
    expect(provider).toMatchObject({ table: "users", constraint: "ck_users_auth_provider" });
  });

  it("stores only password hashes, and leaves them out of reads unless asked", async () => {
    const { users } = repositories(fx.db);
    const plaintext = await users
      .create({ username: "plain", email: "plain@example.com", hashedPassword: "hunter2hunter2" })
      .catch((e) => e);
    expect(plaintext).toBeInstanceOf(ValidationError);
    const hash = `$2b$12$${"a".repeat(53)}`;
    const local = await users.create({ username: "local", email: "local@example.com", hashedPassword: hash });
    expect(await users.getById(local.id)).not.toHaveProperty("hashedPassword");
    expect((await users.getById(local.id, { withHidden: true }))?.hashedPassword).toBe(hash);
    const sso = await users.create({ username: "sso", email: "sso@example.com", authProvider: "oidc" });
    expect((await users.getById(sso.id, { withHidden: true }))?.hashedPassword).toBeNull();
  });

  it("refuses a status the enum does not list", async () => {
    const r = await request((await user()).id);
    // Past the codec, which refuses it first: the database's own CHECK must refuse it too.
    const error = await withoutCodec(fx.db.kysely)
      .updateTable("requests")
      // Every other CHECK is satisfied, so only the enum's can refuse it.
      .set({
        status: "ON_HOLD" as never,
        approvedAt: new Date(),
        completedAt: new Date(),
        rejectionReason: "-",
      })
      .where("id", "=", r.id)
      .execute()
      .catch((e) => e);
    expect(error).toBeInstanceOf(CheckViolation);
    expect(error).toMatchObject({ table: "requests", constraint: "ck_requests_status_enum" });
  });

  it("refuses states no legal transition reaches, even for writes that bypass the repository", async () => {
    const r = await request((await user()).id);
    const skipApproval = await fx.db.kysely
      .updateTable("requests")
      .set({ status: "GENERATING_TA" })
      .where("id", "=", r.id)
      .execute()
      .catch((e) => e);
    expect(skipApproval).toBeInstanceOf(CheckViolation);
    expect(skipApproval).toMatchObject({ table: "requests", constraint: "ck_requests_approved_at" });
    const silentReject = await fx.db.kysely
      .updateTable("requests")
      .set({ status: "REJECTED" })
      .where("id", "=", r.id)
      .execute()
      .catch((e) => e);
    expect(silentReject).toMatchObject({ constraint: "ck_requests_rejection_reason" });
    const unfinished = await fx.db.kysely
      .updateTable("requests")
      .set({ status: "COMPLETED", approvedAt: new Date() })
      .where("id", "=", r.id)
      .execute()
      .catch((e) => e);
    expect(unfinished).toMatchObject({ constraint: "ck_requests_completed_at" });
    expect((await repositories(fx.db).requests.getByIdOrThrow(r.id)).status).toBe("NEW");
  });

  it("keeps (request_id, version) unique", async () => {
    const r = await request((await user()).id);
    const revision = { requestId: r.id, storageKey: "k", storageBucket: "b", generatedBy: "AUTO" as const };
    await repositories(fx.db).revisions.create({ ...revision, version: 1 });
    const error = await repositories(fx.db)
      .revisions.create({ ...revision, version: 1 })
      .catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "ta_revisions", constraint: "uq_ta_revisions_request_id_version" });
    expect([...error.columns].sort()).toEqual(["request_id", "version"]);
  });

  it("refuses a log sample over 500 MiB, before writing and in the database", async () => {
    const r = await request((await user()).id);
    const sample = {
      requestId: r.id,
      filename: "huge.log",
      fileSize: MAX_SAMPLE_BYTES + 1,
      storageKey: "s/huge.log",
      storageBucket: "samples",
    };
    expect(
      await repositories(fx.db)
        .logSamples.create(sample)
        .catch((e) => e),
    ).toBeInstanceOf(ValidationError);
    const raw = await fx.db.kysely
      .insertInto("log_samples")
      .values({ ...sample, id: crypto.randomUUID() })
      .execute()
      .catch((e) => e);
    expect(raw).toBeInstanceOf(CheckViolation);
    expect(raw).toMatchObject({ table: "log_samples", constraint: "ck_log_samples_file_size_between" });
  });

  it("refuses a request without a description", async () => {
    const error = await fx.db.kysely
      .insertInto("requests")
      .values({
        id: crypto.randomUUID(),
        createdBy: (await user()).id,
        sourceSystem: "x",
        description: null as unknown as string,
      })
      .execute()
      .catch((e) => e);
    expect(error).toBeInstanceOf(NotNullViolation);
    expect(error).toMatchObject({ table: "requests", columns: ["description"] });
  });

  it("deletes a request's samples, revisions and validation runs with it", async () => {
    const repos = repositories(fx.db);
    const owner = await user();
    const doomed = await request(owner.id);
    const kept = await request(owner.id);
    for (const r of [doomed, kept]) {
      await repos.logSamples.create({
        requestId: r.id,
        filename: "a.log",
        fileSize: 10,
        storageKey: `s/${r.id}`,
        storageBucket: "samples",
      });
      const rev = await repos.revisions.createRevision(r.id, {
        storageKey: `ta/${r.id}`,
        storageBucket: "tas",
        generatedBy: "AUTO",
      });
      await repos.validationRuns.create({ requestId: r.id, taRevisionId: rev.id });
    }
    await fx.db.kysely.deleteFrom("requests").where("id", "=", doomed.id).execute();
    for (const t of ["log_samples", "ta_revisions", "validation_runs"] as const) {
      const rows = await fx.db.kysely
        .selectFrom(t)
        .select("requestId")
        .where("requestId", "in", [doomed.id, kept.id])
        .execute();
      expect(
        rows.map((row) => row.requestId),
        t,
      ).toEqual([kept.id]);
    }
  });

  it("refuses to delete a user who filed requests, and forgets a deleted approver", async () => {
    const repos = repositories(fx.db);
    const requestor = await user();
    const approver = await user();
    const r = await request(requestor.id);
    await repos.requests.submitForApproval(r.id);
    await repos.requests.approveRequest(r.id, approver.id);
    const restricted = await fx.db.kysely
      .deleteFrom("users")
      .where("id", "=", requestor.id)
      .execute()
      .catch((e) => e);
    expect(restricted).toBeInstanceOf(ForeignKeyViolation);
    // The approval wrote an audit entry naming the approver, which the audit log keeps (RESTRICT).
    const audited = await fx.db.kysely
      .deleteFrom("users")
      .where("id", "=", approver.id)
      .execute()
      .catch((e) => e);
    expect(audited).toBeInstanceOf(ForeignKeyViolation);
    // An approver without audit entries (a raw approval) is deleted, and the request forgets them.
    const other = await user();
    await fx.db.kysely.updateTable("requests").set({ approvedBy: other.id }).where("id", "=", r.id).execute();
    await fx.db.kysely.deleteFrom("users").where("id", "=", other.id).execute();
    const after = await repos.requests.getByIdOrThrow(r.id);
    expect(after).toMatchObject({ approvedBy: null, status: "APPROVED" });
  });

  it("reads JSON columns back as written", async () => {
    const r = await request((await user()).id);
    await repositories(fx.db).requests.update(r.id, {
      metadata: { priority: "high", tags: ["web", "proxy"] },
    });
    const { metadata } = await fx.db.kysely
      .selectFrom("requests")
      .select("metadata")
      .where("id", "=", r.id)
      .executeTakeFirstOrThrow();
    expect(metadata).toEqual({ priority: "high", tags: ["web", "proxy"] });
  });
});
