/**
 * The audit trail a schema declares is wired by connect itself: a schema with auditLog() and
 * `audit: true` tables records every repository write without being handed an AuditTrail, opting out
 * is explicit, and a write to an audited table that nothing records is refused, never silent.
 */
import type { Db, WriteHooks } from "plinth";
import { AUDIT_TABLE, AuditTrailMissingError, auditLog, connect, withAuditContext } from "plinth";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { connect as connectWithoutWiring } from "../../src/data/index.js";
import { describeEngines } from "../engines/matrix.js";

const team = table("team", { id: col.id(), name: col.varchar(40) });
const member = table(
  "member",
  {
    id: col.id(),
    teamId: ref(() => team.id, { onDelete: "cascade" }),
    name: col.varchar(40),
    note: col.json<Record<string, unknown>>().nullable(),
  },
  { audit: true },
);
const audited = schema({ team, member, auditLog: auditLog() });
const withoutLog = schema({ team, member });

/** Every audit row, oldest first. */
const trail = (db: Db<any>) =>
  db.kysely
    .selectFrom(AUDIT_TABLE as never)
    .select(["tableName", "rowId", "action", "changes", "actorName"] as never)
    .orderBy("id" as never)
    .execute() as Promise<Record<string, unknown>[]>;

/** The rejection of `p`, failing the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.unreachable("expected a rejection"),
    (e: unknown) => e,
  );
}

describeEngines("connect wires the declared audit trail", (engine) => {
  /** A fresh database with the tables created, connected as `options` say, then dropped. */
  async function withDb(
    options: Parameters<typeof connect>[2],
    fn: (db: Db<typeof audited>) => Promise<void>,
  ) {
    const fresh = await engine.freshDatabase();
    const db = await connect(fresh.url, audited, { retry: { attempts: 1 }, ...options });
    try {
      await db.createSchema();
      await fn(db);
    } finally {
      await db.close();
      await fresh.drop();
    }
  }

  it("records repository writes with no AuditTrail passed, in the caller's audit context", () =>
    withDb({}, async (db) => {
      const t = await db.repo("team").create({ name: "core" });
      const m = await withAuditContext({ actor: { id: 7, name: "ann" } }, () =>
        db.repo("member").create({ teamId: t.id, name: "bo" }),
      );
      await db.repo("member").update(m.id, { name: "bob" });
      const rows = await trail(db);
      // team is not audited: only member's writes are recorded.
      expect(rows.map((r) => [r.tableName, r.rowId, r.action, r.actorName])).toEqual([
        ["member", String(m.id), "create", "ann"],
        ["member", String(m.id), "update", null],
      ]);
      expect(rows[1]!.changes).toEqual({ name: { old: "bo", new: "bob" } });
    }));

  it("audit: false writes without a trail, on purpose", () =>
    withDb({ audit: false }, async (db) => {
      const t = await db.repo("team").create({ name: "core" });
      await db.repo("member").create({ teamId: t.id, name: "bo" });
      expect(await db.repo("member").count()).toBe(1);
      expect(await trail(db)).toEqual([]);
      expect(db.unaudited).toBe(true);
    }));

  it("audit options reach the trail it wires", () =>
    withDb({ audit: { redactKeys: ["pin"] } }, async (db) => {
      const t = await db.repo("team").create({ name: "core" });
      await db.repo("member").create({ teamId: t.id, name: "bo", note: { pin: "1234", colour: "red" } });
      const [row] = await trail(db);
      expect(row!.changes).toMatchObject({ note: { pin: "[redacted]", colour: "red" } });
    }));

  it("hooks given replace the trail; a write they do not observe is refused and changes nothing", () =>
    withDb(
      { hooks: { afterWrite: async () => {}, observes: () => false } satisfies WriteHooks },
      async (db) => {
        const t = await db.repo("team").create({ name: "core" });
        const error = await rejection(db.repo("member").create({ teamId: t.id, name: "bo" }));
        expect(error).toBeInstanceOf(AuditTrailMissingError);
        expect((error as AuditTrailMissingError).code).toBe("PLINTH_AUDIT_TRAIL_MISSING");
        expect((error as AuditTrailMissingError).table).toBe("member");
        expect(await db.repo("member").count()).toBe(0);
        // Deleting the team would cascade into member unrecorded: refused too, and the team stays.
        expect(await rejection(db.repo("team").delete(t.id))).toBeInstanceOf(AuditTrailMissingError);
        expect(await db.repo("team").count()).toBe(1);
        // Reads are never refused.
        expect(await db.repo("member").findMany()).toEqual([]);
      },
    ));

  it("the data layer's connect, which wires nothing, refuses audited writes instead of dropping the trail", async () => {
    const fresh = await engine.freshDatabase();
    const db = await connectWithoutWiring(fresh.url, audited, { retry: { attempts: 1 } });
    try {
      await db.createSchema();
      const t = await db.repo("team").create({ name: "core" });
      for (const write of [
        () => db.repo("member").create({ teamId: t.id, name: "bo" }),
        () => db.repo("member").createMany([{ teamId: t.id, name: "bo" }]),
        () => db.repo("member").updateMany({ name: "bo" }, { name: "x" }),
        () => db.repo("member").upsert({ id: 1, teamId: t.id, name: "bo" }, { conflict: ["id"] }),
        () => db.repo("member").hardDelete(1),
      ]) {
        const error = await rejection(write());
        expect(error).toBeInstanceOf(AuditTrailMissingError);
        expect((error as Error).message).toMatch(
          /^member is declared audit: true, but this connection records/,
        );
      }
      expect(await db.repo("member").count()).toBe(0);
    } finally {
      await db.close();
      await fresh.drop();
    }
  });
});

describe("a schema with audited tables and no auditLog()", () => {
  it("is refused by connect, naming the tables and both ways out", async () => {
    const error = await rejection(connect("sqlite::memory:", withoutLog));
    expect(error).toBeInstanceOf(AuditTrailMissingError);
    expect((error as Error).message).toBe(
      "the schema declares audit: true on member but has no auditLog() table to record into; " +
        "add auditLog: auditLog() to schema({ … }), or connect with { audit: false } to write without a trail",
    );
  });

  it("connects with audit: false, and then writes", async () => {
    const db = await connect("sqlite::memory:", withoutLog, { audit: false });
    try {
      await db.createSchema();
      const t = await db.repo("team").create({ name: "core" });
      expect((await db.repo("member").create({ teamId: t.id, name: "bo" })).name).toBe("bo");
    } finally {
      await db.close();
    }
  });
});
