import { asImmutableRowError, ImmutableRowError, withAuditContext } from "plinth";
import { generateEncryptionKey, hashPassword } from "plinth/security";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { installKnowledgeHubGuards, knowledgeHubHooks, recordEvent } from "../repositories/audit-logs.js";
import { repositories } from "../repositories/index.js";
import { knowledgeHub } from "../schema.js";

/**
 * The seed's audit_logs is written by the blueprint's write hooks in the transaction of the change
 * (old and new values, the seed's action names), and the database refuses to rewrite it.
 */
describeEngines("knowledge-hub audit_logs", (engine) => {
  const fx = useFreshDb(engine, knowledgeHub, {
    connect: { encryptionKeys: generateEncryptionKey("test"), hooks: knowledgeHubHooks() },
  });
  let r: ReturnType<typeof repositories>;
  let passwordHash = "";

  beforeAll(async () => {
    await installKnowledgeHubGuards(fx.db);
    r = repositories(fx.db);
    passwordHash = await hashPassword("correct horse battery staple");
  });

  const newUser = (username: string) =>
    r.users.create({ username, email: `${username}@example.com`, passwordHash });

  const logOf = (entityId: string) =>
    fx.db.kysely
      .selectFrom("audit_logs")
      .selectAll()
      .where("entityId", "=", entityId)
      .orderBy("createdAt")
      .orderBy("action")
      .execute();

  it("writes old and new values of a change to an audited table, secrets redacted", async () => {
    const actor = await newUser("actor");
    const ann = await newUser("ann");
    await withAuditContext({ actor: { id: actor.id }, ip: "203.0.113.7" }, () =>
      r.users.update(ann.id, { email: "ann@example.org" }),
    );
    const rows = await logOf(ann.id);
    expect(rows.map((row) => row.action)).toEqual(["create", "update"]);
    const [created, updated] = rows as [(typeof rows)[number], (typeof rows)[number]];
    expect(created.oldValues).toBeNull();
    expect(created.newValues).toMatchObject({ email: "ann@example.com", password_hash: "[redacted]" });
    expect(created.userId).toBeNull();
    expect(updated).toMatchObject({ entityType: "users", userId: actor.id, ipAddress: "203.0.113.7" });
    expect(updated.oldValues).toMatchObject({ email: "ann@example.com", version: 1 });
    expect(updated.newValues).toMatchObject({ email: "ann@example.org", version: 2 });
    // The hash never reaches the log, in either state.
    expect(JSON.stringify(rows)).not.toContain(passwordHash);
  });

  it("names soft delete, restore and archive with the seed's actions", async () => {
    const item = await r.knowledgeItems.create({ title: "Lifecycle", content: "x" });
    await r.knowledgeItems.softDelete(item.id);
    await r.knowledgeItems.restore(item.id);
    await r.knowledgeItems.archive(item.id);
    const actions = (await logOf(item.id)).map((row) => row.action);
    expect(actions).toEqual(expect.arrayContaining(["create", "delete", "restore", "archive"]));
    expect(actions.filter((a) => a === "delete")).toHaveLength(1);
  });

  it("leaves no audit row when the change's transaction rolls back", async () => {
    const before = await newUser("rollback");
    const failure = new Error("abandon the change");
    const thrown = await fx.db
      .transaction(async () => {
        await r.users.update(before.id, { fullName: "Never Saved" });
        throw failure;
      })
      .catch((e) => e);
    expect(thrown).toBe(failure);
    expect((await r.users.getById(before.id))?.fullName).toBeNull();
    expect((await logOf(before.id)).map((row) => row.action)).toEqual(["create"]);
  });

  it("does not log tables that are not audited", async () => {
    const owner = await newUser("querier");
    const query = await r.queries.create({ userId: owner.id, queryText: "unaudited?" });
    expect(await logOf(query.id)).toEqual([]);
  });

  it("records a login event, which changes no audited row", async () => {
    const user = await newUser("loginevent");
    await recordEvent(fx.db, { action: "login", entityType: "users", entityId: user.id, userId: user.id });
    expect((await logOf(user.id)).map((row) => row.action)).toEqual(["create", "login"]);
  });

  it("refuses a raw UPDATE or DELETE of audit_logs with ImmutableRowError", async () => {
    const user = await newUser("immutable");
    const update = await fx.db.kysely
      .updateTable("audit_logs")
      .set({ entityType: "rewritten" })
      .where("entityId", "=", user.id)
      .execute()
      .catch((e) => e);
    const refusedUpdate = asImmutableRowError(update);
    expect(refusedUpdate).toBeInstanceOf(ImmutableRowError);
    expect(refusedUpdate).toMatchObject({ table: "audit_logs", operation: "UPDATE" });

    const del = await fx.db.kysely
      .deleteFrom("audit_logs")
      .where("entityId", "=", user.id)
      .execute()
      .catch((e) => e);
    expect(asImmutableRowError(del)).toMatchObject({ table: "audit_logs", operation: "DELETE" });
    expect(await logOf(user.id)).toHaveLength(1);
    expect((await logOf(user.id))[0]!.entityType).toBe("users");
  });
});
