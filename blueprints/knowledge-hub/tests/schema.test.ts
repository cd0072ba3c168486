import { sql } from "kysely";
import { CheckViolation, UniqueViolation, ValidationError } from "plinth";
import { generateEncryptionKey, hashPassword } from "plinth/security";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { repositories } from "../repositories/index.js";
import { knowledgeHub } from "../schema.js";
import { DEFAULT_ROLES, seed } from "../seed.js";

const model = (name: string) => knowledgeHub.model.tables.find((t) => t.name === name)!;
const KEYS = generateEncryptionKey("test");

describe("knowledge-hub declaration", () => {
  it("declares the seed's models, roles through plinth's RBAC tables, and plinth's audit table", () => {
    expect(knowledgeHub.model.tables.map((t) => t.name).sort()).toEqual([
      "api_keys",
      "audit_logs",
      "knowledge_items",
      "permissions",
      "plinth_audit_log",
      "queries",
      "role_permissions",
      "roles",
      "user_roles",
      "user_sessions",
      "users",
    ]);
  });

  it("gives every domain table the base model", () => {
    for (const t of ["users", "user_sessions", "api_keys", "knowledge_items", "queries"]) {
      const columns = model(t).columns;
      const names = columns.map((c) => c.name);
      expect(names, t).toEqual(
        expect.arrayContaining([
          "id",
          "created_at",
          "updated_at",
          "deleted_at",
          "status",
          "version",
          "metadata_json",
        ]),
      );
      expect(columns.find((c) => c.name === "id")!.type.kind).toBe("uuid");
      expect(
        model(t).indexes.some((i) => i.columns.join() === "deleted_at"),
        t,
      ).toBe(true);
    }
  });

  it("declares the composite indexes and the weighted full-text index", () => {
    const index = (t: string, name: string) => model(t).indexes.find((i) => i.name === name)?.columns;
    expect(index("users", "idx_users_status_login")).toEqual(["status", "last_login_at"]);
    expect(index("knowledge_items", "idx_knowledge_type_creator")).toEqual(["type", "created_by"]);
    expect(index("queries", "idx_queries_user_time")).toEqual(["user_id", "created_at"]);
    expect(model("knowledge_items").fullText).toEqual({
      name: "ft_knowledge_items",
      columns: [
        { column: "title", weight: "A" },
        { column: "content", weight: "B" },
      ],
      language: "english",
    });
    expect(model("users").columns.find((c) => c.name === "two_factor_secret")).toMatchObject({
      encrypted: true,
      secret: true,
    });
  });
});

describeEngines("knowledge-hub", (engine) => {
  const fx = useFreshDb(engine, knowledgeHub, { connect: { encryptionKeys: KEYS } });
  const repos = () => repositories(fx.db);
  let passwordHash = "";

  beforeAll(async () => {
    passwordHash = await hashPassword("correct horse battery staple");
    await seed(fx.db);
  });

  const newUser = (username: string, email: string) =>
    repos().users.create({ username, email, passwordHash });

  it("stores emails lower-case and finds them however they are typed", async () => {
    const ann = await newUser("ann", "Ann.Smith@Example.COM");
    expect(ann.email).toBe("ann.smith@example.com");
    expect((await repos().users.byEmail("ANN.SMITH@example.com"))?.id).toBe(ann.id);
    await repos().users.update(ann.id, { email: "ANN@Example.com" });
    expect((await repos().users.getById(ann.id))?.email).toBe("ann@example.com");
    const dup = await newUser("ann2", "ann@EXAMPLE.com").catch((e) => e);
    expect(dup).toBeInstanceOf(UniqueViolation);
  });

  it("refuses usernames under 3 characters: validator and CHECK", async () => {
    const short = await newUser("ab", "ab@example.com").catch((e) => e);
    expect(short).toBeInstanceOf(ValidationError);
    const raw = await fx.db.kysely
      .insertInto("users")
      .values({ id: crypto.randomUUID(), username: "ab", email: "ab@example.com", passwordHash })
      .execute()
      .catch((e) => e);
    expect(raw).toBeInstanceOf(CheckViolation);
    expect(raw).toMatchObject({ table: "users" });
  });

  it("keeps confidence within 0..1: validator and CHECK", async () => {
    const items = repos().knowledgeItems;
    const bad = await items.create({ title: "x", content: "y", confidence: 1.5 }).catch((e) => e);
    expect(bad).toBeInstanceOf(ValidationError);
    const raw = await fx.db.kysely
      .insertInto("knowledge_items")
      .values({ id: crypto.randomUUID(), title: "x", content: "y", confidence: -0.1 })
      .execute()
      .catch((e) => e);
    expect(raw).toBeInstanceOf(CheckViolation);
    const ok = await items.create({ title: "Edge", content: "confidence one", confidence: 1 });
    expect(ok.confidence).toBe(1);
  });

  it("soft-deletes, restores and archives", async () => {
    const items = repos().knowledgeItems;
    const item = await items.create({ title: "Lifecycle", content: "A row that comes and goes." });
    expect(item.status).toBe("active");
    expect(await items.isActive(item.id)).toBe(true);

    expect(await items.softDelete(item.id)).toBe(true);
    expect(await items.getById(item.id)).toBeUndefined();
    const deleted = await items.getById(item.id, { withDeleted: true });
    expect(deleted).toMatchObject({ status: "deleted" });
    expect(deleted!.deletedAt).toBeInstanceOf(Date);
    expect(await items.isActive(item.id)).toBe(false);

    expect(await items.restore(item.id)).toBe(true);
    expect(await items.getById(item.id)).toMatchObject({ status: "active", deletedAt: null });

    const archived = await items.archive(item.id);
    expect(archived.status).toBe("archived");
    expect(await items.isActive(item.id)).toBe(false);
    expect(archived.version).toBeGreaterThan(item.version);
  });

  it("answers has_role and has_permission from the seeded roles", async () => {
    const users = repos().users;
    const eve = await newUser("eve", "eve@example.com");
    expect(await users.hasRole(eve.id, "editor")).toBe(false);
    await users.grant(eve.id, "editor");
    expect(await users.hasRole(eve.id, "editor")).toBe(true);
    expect(await users.hasRole(eve.id, "admin")).toBe(false);
    expect(await users.hasPermission(eve.id, "knowledge.write")).toBe(true);
    expect(await users.hasPermission(eve.id, "users.manage")).toBe(false);
    // The seed is idempotent.
    expect(await seed(fx.db)).toEqual([]);
    const roles = await fx.db.kysely.selectFrom("roles").select("name").execute();
    expect(roles.map((r) => r.name).sort()).toEqual(DEFAULT_ROLES.map((r) => r.name).sort());
  });

  it("stores the 2FA secret encrypted and reads it back", async () => {
    const bob = await newUser("bob", "bob@example.com");
    await repos().users.update(bob.id, { twoFactorSecret: "JBSWY3DPEHPK3PXP", twoFactorEnabled: true });
    expect((await repos().users.getById(bob.id))?.twoFactorSecret).toBe("JBSWY3DPEHPK3PXP");
    const stored = await sql<{
      s: string;
    }>`SELECT two_factor_secret AS s FROM users WHERE id = ${bob.id}`.execute(fx.db.kysely);
    expect(stored.rows[0]!.s).not.toContain("JBSWY3DPEHPK3PXP");
    expect(stored.rows[0]!.s).toMatch(/^v1:test:/);
  });

  it("searches knowledge items: title (A) before content (B), updates and deletes seen", async () => {
    const items = repos().knowledgeItems;
    const author = await newUser("writer", "writer@example.com");
    const inTitle = await items.create({
      title: "Python best practices",
      content: "A guide to idiomatic code.",
      createdBy: author.id,
    });
    const inContent = await items.create({
      title: "Language survey",
      content: "Python, Rust and Go compared.",
      type: "survey",
    });
    const hits = await items.search("python");
    expect(hits.map((h) => h.id)).toEqual([inTitle.id, inContent.id]);
    expect(hits[0]!.rank).toBeGreaterThan(hits[1]!.rank);
    expect((await items.search("python", { where: { type: "survey" } })).map((h) => h.id)).toEqual([
      inContent.id,
    ]);

    await items.update(inContent.id, { content: "Rust and Go compared." });
    expect((await items.search("python")).map((h) => h.id)).toEqual([inTitle.id]);
    await items.softDelete(inTitle.id);
    expect(await items.search("python")).toEqual([]);
    expect(await items.search(`python" OR 1=1 -- (`)).toEqual([]);
  });
});
