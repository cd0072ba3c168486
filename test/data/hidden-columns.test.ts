/**
 * Hidden columns (`col.password()`, `.hidden()`): every repository read leaves them out unless asked
 * with `withHidden: true`, rows returned by writes leave them out, and the audit trail still sees a
 * hidden column change (redacted).
 */
import bcrypt from "bcryptjs";
import { AUDIT_TABLE, AuditTrail, auditLog, InvalidOptionError, ValidationError } from "plinth";
import { col, ref, schema, softDelete, table, version } from "plinth/schema";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useRepoDb } from "./repo-fixture.js";

const member = table(
  "member",
  {
    id: col.id(),
    email: col.varchar(100).unique(),
    passwordHash: col.password(),
    displayName: col.varchar(40),
    ...softDelete(),
    ...version(),
  },
  { audit: true },
);
const session = table("session", {
  id: col.id(),
  memberId: ref(() => member.id, { onDelete: "cascade" }),
  tokenHash: col.varchar(100).hidden(),
  label: col.varchar(40),
});
const hiddenSchema = schema({ member, session, auditLog: auditLog() });

// Cost 4 keeps the test fast; the column only checks that the value looks like a hash.
const HASH_A = bcrypt.hashSync("first secret", 4);
const HASH_B = bcrypt.hashSync("second secret", 4);

describeEngines("hidden columns", (engine) => {
  const fx = useRepoDb(engine, hiddenSchema, { hooks: new AuditTrail({ schema: hiddenSchema }) });
  let annId = 0;
  let boId = 0;

  beforeAll(async () => {
    const members = fx.db.repo("member");
    const ann = await members.create({ email: "ann@x.io", passwordHash: HASH_A, displayName: "Ann" });
    const bo = await members.create({ email: "bo@x.io", passwordHash: HASH_B, displayName: "Bo" });
    annId = ann.id;
    boId = bo.id;
    await fx.db.repo("session").createMany([
      { memberId: annId, tokenHash: "tok-1", label: "laptop" },
      { memberId: annId, tokenHash: "tok-2", label: "phone" },
    ]);
  });

  it("create, createMany and upsert return rows without the hidden column", async () => {
    const members = fx.db.repo("member");
    const cy = await members.create({ email: "cy@x.io", passwordHash: HASH_A, displayName: "Cy" });
    expect(cy).not.toHaveProperty("passwordHash");
    expect(cy).toMatchObject({ email: "cy@x.io", displayName: "Cy" });
    const [dee] = await members.createMany([{ email: "dee@x.io", passwordHash: HASH_A, displayName: "Dee" }]);
    expect(dee).not.toHaveProperty("passwordHash");
    const upserted = await members.upsert(
      { email: "dee@x.io", passwordHash: HASH_B, displayName: "Dee 2" },
      { conflict: ["email"] },
    );
    expect(upserted).not.toHaveProperty("passwordHash");
    expect(upserted.displayName).toBe("Dee 2");
    expect((await members.getById(dee!.id, { withHidden: true }))?.passwordHash).toBe(HASH_B);
  });

  it("getById, getByIdOrThrow, findOne, findMany and both paginations leave it out unless asked", async () => {
    const members = fx.db.repo("member");
    const reads: Record<string, unknown>[] = [
      (await members.getById(annId))!,
      await members.getByIdOrThrow(annId),
      (await members.findOne({ email: "ann@x.io" }))!,
      ...(await members.findMany({ where: { id: [annId, boId] } })),
      ...(await members.paginate({ page: 1, perPage: 10 })).items,
      ...(await members.paginate({ limit: 10 })).items,
    ];
    expect(reads.length).toBeGreaterThanOrEqual(6);
    for (const row of reads) {
      expect(row).not.toHaveProperty("passwordHash");
      expect(row).toHaveProperty("email");
    }

    const ann = await members.getById(annId, { withHidden: true });
    expect(ann?.passwordHash).toBe(HASH_A);
    expect((await members.getByIdOrThrow(boId, { withHidden: true })).passwordHash).toBe(HASH_B);
    expect((await members.findOne({ email: "bo@x.io" }, { withHidden: true }))?.passwordHash).toBe(HASH_B);
    const many = await members.findMany({ where: { id: [annId, boId] }, orderBy: "id", withHidden: true });
    expect(many.map((m) => m.passwordHash)).toEqual([HASH_A, HASH_B]);
    const page = await members.paginate({ page: 1, perPage: 1, orderBy: "id", withHidden: true });
    expect(page.items[0]?.passwordHash).toBe(HASH_A);
    const cursor = await members.paginate({ limit: 1, orderBy: "id", withHidden: true });
    expect(cursor.items[0]?.passwordHash).toBe(HASH_A);
  });

  it("keyset pagination refuses to order by a hidden column, whose values would travel in the cursor", async () => {
    const members = fx.db.repo("member");
    for (const withHidden of [false, true]) {
      const error = await members.paginate({ limit: 1, orderBy: ["passwordHash", "id"], withHidden }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect(error).toMatchObject({ option: "orderBy", value: "passwordHash" });
    }
    // Ordered by visible columns, no cursor holds a hash.
    const page = await members.paginate({ limit: 1, orderBy: ["email", "id"], withHidden: true });
    const decoded = Buffer.from(page.meta.nextCursor!, "base64url").toString("utf8");
    expect(decoded).not.toContain(HASH_A.slice(0, 20));
    expect(decoded).not.toContain(HASH_B.slice(0, 20));
  });

  it("included relations leave out the target's hidden columns unless asked", async () => {
    const sessions = await fx.db
      .repo("session")
      .findMany({ where: { memberId: annId }, include: ["member"] });
    expect(sessions).toHaveLength(2);
    for (const s of sessions) {
      expect(s).not.toHaveProperty("tokenHash");
      expect(s.member).toMatchObject({ id: annId, email: "ann@x.io" });
      expect(s.member).not.toHaveProperty("passwordHash");
    }
    const ann = await fx.db.repo("member").getById(annId, { include: ["sessions"] });
    const list = ann!.sessions as Record<string, unknown>[];
    expect(list.map((s) => s.label).sort()).toEqual(["laptop", "phone"]);
    for (const s of list) expect(s).not.toHaveProperty("tokenHash");

    const full = await fx.db.repo("member").getById(annId, { include: ["sessions"], withHidden: true });
    expect(full?.passwordHash).toBe(HASH_A);
    expect((full!.sessions as Record<string, unknown>[]).map((s) => s.tokenHash).sort()).toEqual([
      "tok-1",
      "tok-2",
    ]);
  });

  it("update and restore leave it out; the audit trail records the change, redacted", async () => {
    const members = fx.db.repo("member");
    const eve = await members.create({ email: "eve@x.io", passwordHash: HASH_A, displayName: "Eve" });
    const updated = await members.update(eve.id, { passwordHash: HASH_B }, { expectedVersion: eve.version });
    expect(updated).not.toHaveProperty("passwordHash");
    expect(updated.version).toBe(eve.version + 1);
    expect((await members.getById(eve.id, { withHidden: true }))?.passwordHash).toBe(HASH_B);

    const rows = await (fx.db.kysely as any)
      .selectFrom(AUDIT_TABLE)
      .selectAll()
      .where("rowId", "=", String(eve.id))
      .where("tableName", "=", "member")
      .orderBy("id")
      .execute();
    expect(rows.map((r: { action: string }) => r.action)).toEqual(["create", "update"]);
    expect(rows[0].changes.password_hash).toBe("[redacted]");
    expect(rows[1].changes.password_hash).toEqual({ old: "[redacted]", new: "[redacted]" });
    expect(JSON.stringify(rows)).not.toContain(HASH_A);
    expect(JSON.stringify(rows)).not.toContain(HASH_B);

    expect(await members.delete(eve.id)).toBe(true);
    expect(await members.getById(eve.id)).toBeUndefined();
    const deleted = await members.getById(eve.id, { onlyDeleted: true });
    expect(deleted).toMatchObject({ id: eve.id });
    expect(deleted).not.toHaveProperty("passwordHash");
    expect(await members.restore(eve.id)).toBe(true);
    const restored = await members.getById(eve.id);
    expect(restored).toMatchObject({ id: eve.id, deletedAt: null });
    expect(restored).not.toHaveProperty("passwordHash");
  });

  it("refuses a plaintext password with a ValidationError naming the column", async () => {
    const error = await fx.db
      .repo("member")
      .create({ email: "plain@x.io", passwordHash: "hunter2", displayName: "P" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(String(error.message)).toContain("password");
    expect(await fx.db.repo("member").findOne({ email: "plain@x.io" })).toBeUndefined();
  });
});
