/**
 * Repositories and the audit trail together: every repository write leaves its audit row in the
 * same transaction, so a rolled-back write leaves none.
 */
import { AUDIT_TABLE, AuditTrail, auditLog } from "plinth";
import { col, schema, softDelete, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useRepoDb } from "./repo-fixture.js";

const member = table(
  "member",
  { id: col.id(), name: col.varchar(40).unique(), secretKey: col.varchar(60).secret(), ...softDelete() },
  { audit: true },
);
const auditedSchema = schema({ member, auditLog: auditLog() });

describeEngines("repository with the audit trail", (engine) => {
  const fx = useRepoDb(engine, auditedSchema, { hooks: new AuditTrail({ schema: auditedSchema }) });
  const trail = () =>
    (fx.db.kysely as any).selectFrom(AUDIT_TABLE).select(["rowId", "action"]).orderBy("id").execute();

  it("records create, update, soft delete and hard delete; a failed transaction records nothing", async () => {
    const members = fx.db.repo("member");
    const m = await members.create({ name: "ann", secretKey: "s1" });
    await members.update(m.id, { name: "anna" });
    await members.delete(m.id);
    await members.hardDelete(m.id);
    const id = String(m.id);
    expect(await trail()).toEqual([
      { rowId: id, action: "create" },
      { rowId: id, action: "update" },
      { rowId: id, action: "update" },
      { rowId: id, action: "delete" },
    ]);

    await expect(
      fx.db.transaction(async () => {
        await members.create({ name: "bo", secretKey: "s2" });
        await members.create({ name: "bo", secretKey: "s3" }); // unique violation
      }),
    ).rejects.toThrow();
    expect(await trail()).toHaveLength(4);
    expect(await members.count({}, { withDeleted: true })).toBe(0);
  });
});
