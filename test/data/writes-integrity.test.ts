/**
 * Writes that touch exactly the rows they name: an upsert resolves only its declared conflict
 * target, and createMany returns (and audits) the rows it inserted, explicit keys or not.
 */
import type { Kysely } from "kysely";
import { AUDIT_TABLE, AuditTrail, auditLog, PlinthError, UniqueViolation } from "plinth";
import { col, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const member = table(
  "member",
  {
    id: col.id(),
    email: col.varchar(80).unique(),
    handle: col.varchar(40).unique(),
    name: col.varchar(40),
  },
  { audit: true },
);
const app = schema({ member, auditLog: auditLog() });

describeEngines("writes touch exactly the rows they name", (engine) => {
  const h = useFreshDb(engine, app, { connect: { hooks: new AuditTrail({ schema: app }) } });
  const members = () => h.db.repo("member");

  it("an upsert on one unique key never updates the row another unique key collides with", async () => {
    const ada = await members().create({ email: "ada@x.org", handle: "ada", name: "Ada" });
    // Conflicts on handle (ada's) but names a new email: not an update of ada, a UniqueViolation.
    const error = await members()
      .upsert({ email: "new@x.org", handle: "ada", name: "Mallory" }, { conflict: ["email"] })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "member", columns: ["handle"] });
    expect(await members().getById(ada.id)).toMatchObject({ email: "ada@x.org", name: "Ada" });
    expect(await members().count()).toBe(1);

    // On its own key it updates, and inserts when the key is new.
    const updated = await members().upsert(
      { email: "ada@x.org", handle: "ada", name: "Ada L." },
      { conflict: ["email"] },
    );
    expect(updated).toMatchObject({ id: ada.id, name: "Ada L." });
    const inserted = await members().upsert(
      { email: "bo@x.org", handle: "bo", name: "Bo" },
      { conflict: ["email"] },
    );
    expect(inserted.id).not.toBe(ada.id);
    const audit = await (h.db.kysely as Kysely<any>)
      .selectFrom(AUDIT_TABLE)
      .select(["rowId", "action"])
      .orderBy("id")
      .execute();
    expect(audit).toEqual([
      { rowId: String(ada.id), action: "create" },
      { rowId: String(ada.id), action: "update" },
      { rowId: String(inserted.id), action: "create" },
    ]);
  });

  it("refuses an upsert whose conflict columns are not a unique key", async () => {
    await expect(
      members().upsert({ email: "c@x.org", handle: "c", name: "C" }, { conflict: ["name"] }),
    ).rejects.toThrow(PlinthError);
    await expect(
      members().upsert({ email: "c@x.org", handle: "c", name: "C" }, { conflict: ["name"] }),
    ).rejects.toThrow(/member: name is not a primary key or unique constraint/);
  });

  it("createMany with explicit keys returns and audits exactly the rows it inserted", async () => {
    await members().create({ id: 500, email: "high@x.org", handle: "high", name: "High" });
    const rows = await members().createMany([
      { id: 1000, email: "k1@x.org", handle: "k1", name: "K1" },
      { id: 990, email: "k2@x.org", handle: "k2", name: "K2" },
      { id: 1001, email: "k3@x.org", handle: "k3", name: "K3" },
    ]);
    expect(rows.map((r) => [r.id, r.handle])).toEqual([
      [1000, "k1"],
      [990, "k2"],
      [1001, "k3"],
    ]);
    const audit = await (h.db.kysely as Kysely<any>)
      .selectFrom(AUDIT_TABLE)
      .select(["rowId", "changes"])
      .where("rowId", "in", ["1000", "990", "1001"])
      .orderBy("id")
      .execute();
    expect(audit.map((a) => [a.rowId, (a.changes as { handle: string }).handle])).toEqual([
      ["1000", "k1"],
      ["990", "k2"],
      ["1001", "k3"],
    ]);
    // Without keys, the engine numbers them after the highest so far.
    const next = await members().createMany([
      { email: "n1@x.org", handle: "n1", name: "N1" },
      { email: "n2@x.org", handle: "n2", name: "N2" },
    ]);
    expect(next.map((r) => r.handle)).toEqual(["n1", "n2"]);
    expect(next[0]!.id).toBeGreaterThan(1001);
  });
});
