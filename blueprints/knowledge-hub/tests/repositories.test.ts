import { randomUUID } from "node:crypto";
import { StaleVersionError } from "plinth";
import { generateEncryptionKey, hashPassword } from "plinth/security";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import type { BaseRepository, BaseTable } from "../repositories/index.js";
import { repositories } from "../repositories/index.js";
import { knowledgeHub } from "../schema.js";

/**
 * The repository methods schema.test.ts leaves out: the base model's lifecycle on the tables
 * other than knowledge_items (it is shared code, but each table has its own columns and
 * constraints), its answers for rows that are missing or in the wrong state, optimistic locking
 * through the users repository, and byCreator.
 */
describeEngines("knowledge-hub repositories", (engine) => {
  const fx = useFreshDb(engine, knowledgeHub, { connect: { encryptionKeys: generateEncryptionKey("test") } });
  let r: ReturnType<typeof repositories>;
  let passwordHash = "";

  beforeAll(async () => {
    r = repositories(fx.db);
    passwordHash = await hashPassword("correct horse battery staple");
  });

  const newUser = (username: string) =>
    r.users.create({ username, email: `${username}@example.com`, passwordHash });

  /** Soft delete, restore and archive on one row, with the refusals in between. */
  async function lifecycle<N extends BaseTable>(repo: BaseRepository<N>, id: string) {
    expect(await repo.isActive(id)).toBe(true);

    expect(await repo.softDelete(id)).toBe(true);
    expect(await repo.getById(id)).toBeUndefined();
    expect(await repo.getById(id, { withDeleted: true })).toMatchObject({ status: "deleted" });
    expect(await repo.isActive(id)).toBe(false);
    expect(await repo.softDelete(id)).toBe(false);

    expect(await repo.restore(id)).toBe(true);
    expect(await repo.getById(id)).toMatchObject({ status: "active", deletedAt: null });
    expect(await repo.restore(id)).toBe(false);

    const archived = (await repo.archive(id)) as { status: string };
    expect(archived.status).toBe("archived");
    expect(await repo.getById(id)).toMatchObject({ status: "archived" });
    expect(await repo.isActive(id)).toBe(false);
  }

  it("records changes of audited tables in plinth's audit trail, which connect wires itself", async () => {
    const ann = await newUser("audited");
    await r.users.update(ann.id, { email: "ann@example.org" });
    const rows = await fx.db.kysely
      .selectFrom("plinth_audit_log")
      .select(["action", "changes"])
      .where("tableName", "=", "users")
      .where("rowId", "=", ann.id)
      .orderBy("id")
      .execute();
    expect(rows.map((row) => row.action)).toEqual(["create", "update"]);
    expect(rows[1]!.changes).toMatchObject({
      email: { old: "audited@example.com", new: "ann@example.org" },
      version: { old: 1, new: 2 },
    });
    // The password hash is a secret: recorded as changed-or-set, never its value.
    expect((rows[0]!.changes as Record<string, unknown>).password_hash).toBe("[redacted]");
  });

  it("gives sessions, API keys and queries the base model's lifecycle", async () => {
    const owner = await newUser("lifecycle");
    const session = await r.sessions.create({
      userId: owner.id,
      tokenHash: "session-hash",
      expiresAt: new Date("2030-01-01T00:00:00.000Z"),
    });
    const key = await r.apiKeys.create({
      userId: owner.id,
      name: "ci",
      keyHash: "key-hash",
      keyPrefix: "kh_ci",
    });
    const query = await r.queries.create({ userId: owner.id, queryText: "What does the base model add?" });

    await lifecycle(r.sessions, session.id);
    await lifecycle(r.apiKeys, key.id);
    await lifecycle(r.queries, query.id);
    await lifecycle(r.users, owner.id);
  });

  it("answers false for a row that is not there", async () => {
    const missing = randomUUID();
    expect(await r.knowledgeItems.softDelete(missing)).toBe(false);
    expect(await r.knowledgeItems.restore(missing)).toBe(false);
    expect(await r.sessions.isActive(missing)).toBe(false);
  });

  it("hides a soft-deleted user from byEmail", async () => {
    const gone = await newUser("gone");
    expect((await r.users.byEmail("GONE@example.com"))?.id).toBe(gone.id);
    await r.users.softDelete(gone.id);
    expect(await r.users.byEmail("gone@example.com")).toBeUndefined();
  });

  it("updates a user only at the version it was read at, still lower-casing the email", async () => {
    const read = await newUser("versioned");
    const updated = await r.users.update(
      read.id,
      { email: "New@Example.COM" },
      { expectedVersion: read.version },
    );
    expect(updated.email).toBe("new@example.com");
    expect(updated.version).toBeGreaterThan(read.version);

    const stale = await r.users
      .update(read.id, { email: "other@example.com" }, { expectedVersion: read.version })
      .catch((e) => e);
    expect(stale).toBeInstanceOf(StaleVersionError);
    expect(stale).toMatchObject({ table: "users", expected: read.version, actual: updated.version });
    expect((await r.users.getById(read.id))?.email).toBe("new@example.com");
  });

  it("lists a creator's live items, oldest first", async () => {
    const author = await newUser("author");
    const other = await newUser("other");
    // Created out of order, so the order seen is the createdAt order and not the insert order.
    const second = await r.knowledgeItems.create({
      title: "Second",
      content: "b",
      createdBy: author.id,
      createdAt: new Date("2026-01-02T00:00:00.000Z"),
    });
    const first = await r.knowledgeItems.create({
      title: "First",
      content: "a",
      createdBy: author.id,
      createdAt: new Date("2026-01-01T00:00:00.000Z"),
    });
    const withdrawn = await r.knowledgeItems.create({
      title: "Withdrawn",
      content: "c",
      createdBy: author.id,
      createdAt: new Date("2026-01-03T00:00:00.000Z"),
    });
    await r.knowledgeItems.create({ title: "Someone else's", content: "d", createdBy: other.id });
    await r.knowledgeItems.softDelete(withdrawn.id);

    expect((await r.knowledgeItems.byCreator(author.id)).map((i) => i.id)).toEqual([first.id, second.id]);
    expect(await r.knowledgeItems.byCreator(randomUUID())).toEqual([]);
  });
});
