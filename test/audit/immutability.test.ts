/**
 * The audit table is append-only in the database itself: UPDATE and DELETE are refused by triggers
 * on every engine, whoever issues them, and the refused row stays as it was.
 */
import { sql } from "kysely";
import {
  AUDIT_TABLE,
  asImmutableRowError,
  auditImmutabilityStatements,
  ImmutableRowError,
  installAppendOnly,
  installAuditTrail,
} from "plinth";
import { col, schema, table } from "plinth/schema";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { auditSchema } from "./fixture.js";

/** The error a promise rejects with (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the statement to be refused, but it succeeded");
}

describe("auditImmutabilityStatements", () => {
  it("drops before creating, so the list can run again", () => {
    for (const d of ["sqlite", "postgres", "mysql"] as const) {
      const statements = auditImmutabilityStatements(d);
      const creates = statements.filter((s) => s.startsWith("CREATE TRIGGER"));
      const drops = statements.filter((s) => s.startsWith("DROP TRIGGER IF EXISTS"));
      expect(creates.length).toBeGreaterThanOrEqual(1);
      expect(drops.length).toBe(creates.length);
    }
  });

  it("asImmutableRowError recognises only the refusal", () => {
    const e = asImmutableRowError(new Error("plinth_audit_log is append-only: DELETE refused"));
    expect(e).toBeInstanceOf(ImmutableRowError);
    expect(e?.table).toBe("plinth_audit_log");
    expect(e?.operation).toBe("DELETE");
    expect(asImmutableRowError(new Error("UNIQUE constraint failed"))).toBeUndefined();
    expect(asImmutableRowError("not an error")).toBeUndefined();
  });
});

describeEngines("audit table is append-only", (engine) => {
  const fx = useFreshDb(engine, auditSchema);
  let id = 0;

  beforeAll(async () => {
    await installAuditTrail(fx.db);
    await installAuditTrail(fx.db); // idempotent: a second start-up replaces the triggers
    await fx.db.kysely
      .insertInto(AUDIT_TABLE)
      .values({ tableName: "account", rowId: "1", action: "create", changes: { username: "ann" } })
      .execute();
    const row = await fx.db.kysely.selectFrom(AUDIT_TABLE).select("id").executeTakeFirstOrThrow();
    id = row.id;
  });

  const read = () => fx.db.kysely.selectFrom(AUDIT_TABLE).selectAll().where("id", "=", id).execute();

  it("refuses UPDATE with an error naming the table, and the row is unchanged", async () => {
    const before = await read();
    const error = await failure(
      fx.db.kysely.updateTable(AUDIT_TABLE).set({ actorName: "mallory" }).where("id", "=", id).execute(),
    );
    expect(error.message).toContain("plinth_audit_log is append-only: UPDATE refused");
    const typed = asImmutableRowError(error);
    expect(typed).toBeInstanceOf(ImmutableRowError);
    expect(typed).toMatchObject({ table: AUDIT_TABLE, operation: "UPDATE" });
    expect(await read()).toEqual(before);
    expect(before[0]?.actorName).toBeNull();
  });

  it("refuses DELETE with an error naming the table, and the row is still there", async () => {
    const before = await read();
    const error = await failure(fx.db.kysely.deleteFrom(AUDIT_TABLE).where("id", "=", id).execute());
    expect(error.message).toContain("plinth_audit_log is append-only: DELETE refused");
    expect(asImmutableRowError(error)).toMatchObject({ table: AUDIT_TABLE, operation: "DELETE" });
    expect(await read()).toEqual(before);
  });

  it("refuses raw SQL too, not only plinth's query builder", async () => {
    const error = await failure(sql.raw(`DELETE FROM ${AUDIT_TABLE}`).execute(fx.db.kysely));
    expect(asImmutableRowError(error)?.operation).toBe("DELETE");
    expect(await read()).toHaveLength(1);
  });

  it("still accepts inserts", async () => {
    await fx.db.kysely
      .insertInto(AUDIT_TABLE)
      .values({ tableName: "account", rowId: "2", action: "delete", changes: {} })
      .execute();
    const rows = await fx.db.kysely
      .selectFrom(AUDIT_TABLE)
      .select("rowId")
      .where("rowId", "=", "2")
      .execute();
    expect(rows).toHaveLength(1);
  });

  if (engine.dialect === "postgres") {
    it("refuses TRUNCATE (PostgreSQL statement trigger)", async () => {
      const error = await failure(sql.raw(`TRUNCATE ${AUDIT_TABLE}`).execute(fx.db.kysely));
      expect(asImmutableRowError(error)?.operation).toBe("TRUNCATE");
      expect(await read()).toHaveLength(1);
    });
  }
});

const ledger = table("ledger_entry", { id: col.id(), amount: col.integer() });
const ledgerSchema = schema({ ledger });

describeEngines("installAppendOnly on a domain table", (engine) => {
  const fx = useFreshDb(engine, ledgerSchema);

  it("refuses UPDATE and DELETE on that table, naming it, and keeps accepting inserts", async () => {
    await installAppendOnly(fx.db, "ledger_entry");
    await installAppendOnly(fx.db, "ledger_entry"); // idempotent
    await fx.db.kysely.insertInto("ledger_entry").values({ amount: 5 }).execute();
    const update = await failure(fx.db.kysely.updateTable("ledger_entry").set({ amount: 6 }).execute());
    expect(asImmutableRowError(update)).toMatchObject({ table: "ledger_entry", operation: "UPDATE" });
    const del = await failure(fx.db.kysely.deleteFrom("ledger_entry").execute());
    expect(asImmutableRowError(del)).toMatchObject({ table: "ledger_entry", operation: "DELETE" });
    await fx.db.kysely.insertInto("ledger_entry").values({ amount: 7 }).execute();
    const amounts = await fx.db.kysely.selectFrom("ledger_entry").select("amount").orderBy("id").execute();
    expect(amounts.map((r) => r.amount)).toEqual([5, 7]);
  });

  it("names a table the schema does not declare", async () => {
    await expect(installAppendOnly(fx.db, "nope")).rejects.toThrow(/no table nope/);
  });
});

describe("installAuditTrail", () => {
  it("names the missing table when the schema lacks auditLog()", async () => {
    const { connect } = await import("plinth");
    const db = await connect("sqlite::memory:", schema({ t: table("t", { id: col.id() }) }));
    try {
      await expect(installAuditTrail(db)).rejects.toThrow(/no plinth_audit_log table/);
    } finally {
      await db.close();
    }
  });
});
