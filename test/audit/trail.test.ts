/**
 * AuditTrail as repositories will call it: afterWrite inside the write's transaction, one audit row
 * per change to an `audit: true` table, secrets and sensitive JSON keys redacted, context from
 * withAuditContext.
 */
import type { Kysely } from "kysely";
import type { RowChange } from "plinth";
import {
  AUDIT_TABLE,
  AuditTrail,
  auditHistory,
  auditLog,
  currentAuditContext,
  REDACTED,
  withAuditContext,
} from "plinth";
import { col, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { auditSchema } from "./fixture.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("withAuditContext", () => {
  it("is undefined outside, follows awaits inside, and merges when nested", async () => {
    expect(currentAuditContext()).toBeUndefined();
    await withAuditContext({ requestId: "r1", ip: "10.0.0.1" }, async () => {
      await sleep(2);
      expect(currentAuditContext()).toEqual({ requestId: "r1", ip: "10.0.0.1" });
      await withAuditContext({ actor: { id: 1, name: "ann" } }, async () => {
        await Promise.resolve();
        expect(currentAuditContext()).toEqual({
          requestId: "r1",
          ip: "10.0.0.1",
          actor: { id: 1, name: "ann" },
        });
      });
      expect(currentAuditContext()?.actor).toBeUndefined();
    });
    expect(currentAuditContext()).toBeUndefined();
  });

  it("keeps concurrent requests apart", async () => {
    const seen = await Promise.all(
      [1, 2, 3].map((n) =>
        withAuditContext({ requestId: `r${n}` }, async () => {
          await sleep(10 - n * 3);
          return currentAuditContext()?.requestId;
        }),
      ),
    );
    expect(seen).toEqual(["r1", "r2", "r3"]);
  });
});

describe("AuditTrail construction", () => {
  it("refuses a schema without the audit table", () => {
    const s = schema({ t: table("t", { id: col.id() }, { audit: true }) });
    expect(() => new AuditTrail({ schema: s })).toThrow(/no plinth_audit_log table/);
  });

  it("knows which tables are audited", () => {
    const trail = new AuditTrail({ schema: auditSchema });
    expect(trail.audits("account")).toBe(true);
    expect(trail.audits("note")).toBe(false);
    // The audit table itself is not audited (that would recurse).
    expect(trail.audits(AUDIT_TABLE)).toBe(false);
    expect(auditLog().$options.audit).toBeUndefined();
  });
});

describeEngines("audit trail", (engine) => {
  const fx = useFreshDb(engine, auditSchema);
  const trail = new AuditTrail({ schema: auditSchema });
  let seq = 0;
  const nextId = () => String(1000 + ++seq);

  const entries = (k: Kysely<any>, rowId: string) => auditHistory(k).forEntity("account", rowId);
  const write = (change: RowChange) => fx.db.transaction((trx) => trail.afterWrite(trx, change));

  it("writes the create row in the write's transaction", async () => {
    const rowId = nextId();
    const seenInside = await fx.db.transaction(async (trx) => {
      await trail.afterWrite(trx, {
        table: "account",
        rowId,
        action: "create",
        after: { id: Number(rowId), username: "ann", password_hash: "$argon2id$abc", settings: null },
      });
      return entries(trx, rowId);
    });
    expect(seenInside).toHaveLength(1);
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row).toMatchObject({
      tableName: "account",
      rowId,
      action: "create",
      changes: { id: Number(rowId), username: "ann", password_hash: REDACTED, settings: null },
      actorId: null,
      actorName: null,
      actorRoles: null,
      requestId: null,
      ip: null,
      userAgent: null,
    });
    expect(row?.createdAt).toBeInstanceOf(Date);
    expect(Math.abs(Date.now() - row!.createdAt.getTime())).toBeLessThan(60_000);
  });

  it("rolls back with the transaction", async () => {
    const rowId = nextId();
    await expect(
      fx.db.transaction(async (trx) => {
        await trail.afterWrite(trx, { table: "account", rowId, action: "create", after: { username: "x" } });
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await entries(fx.db.kysely, rowId)).toHaveLength(0);
  });

  it("records only changed fields on update, with old and new values, secrets redacted", async () => {
    const rowId = nextId();
    await write({
      table: "account",
      rowId,
      action: "update",
      before: { id: 1, username: "ann", password_hash: "old-hash", settings: { theme: "dark", size: 1 } },
      // Same JSON with keys in another order (as jsonb returns it) is not a change.
      after: { id: 1, username: "anna", password_hash: "new-hash", settings: { size: 1, theme: "dark" } },
    });
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row?.action).toBe("update");
    expect(row?.changes).toEqual({
      username: { old: "ann", new: "anna" },
      password_hash: { old: REDACTED, new: REDACTED },
    });
  });

  it("redacts sensitive keys inside JSON values, at any depth and in any case", async () => {
    const rowId = nextId();
    await write({
      table: "account",
      rowId,
      action: "delete",
      before: {
        id: 1,
        username: "ann",
        password_hash: null,
        settings: {
          theme: "dark",
          apiKey: "k-1",
          api_key: "k-2",
          Authorization: "Bearer x",
          webhooks: [{ url: "https://h", signingSecret: "s", headers: { Cookie: "c", accept: "json" } }],
          oauth: { access_token: "a", refreshToken: "r", PASSWORD: "p" },
        },
      },
    });
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row?.action).toBe("delete");
    expect(row?.changes).toEqual({
      id: 1,
      username: "ann",
      password_hash: null, // a null secret discloses nothing
      settings: {
        theme: "dark",
        apiKey: REDACTED,
        api_key: REDACTED,
        Authorization: REDACTED,
        webhooks: [
          { url: "https://h", signingSecret: REDACTED, headers: { Cookie: REDACTED, accept: "json" } },
        ],
        oauth: { access_token: REDACTED, refreshToken: REDACTED, PASSWORD: REDACTED },
      },
    });
    const text = JSON.stringify(row?.changes);
    for (const leaked of ["k-1", "k-2", "Bearer", '"s"', '"a"', '"r"', '"p"'])
      expect(text).not.toContain(leaked);
  });

  it("takes a custom redact list instead of the default", async () => {
    const custom = new AuditTrail({ schema: auditSchema, redactKeys: ["ssn"] });
    const rowId = nextId();
    await fx.db.transaction((trx) =>
      custom.afterWrite(trx, {
        table: "account",
        rowId,
        action: "create",
        after: { settings: { SSN: "123", token: "visible" } },
      }),
    );
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row?.changes).toEqual({ settings: { SSN: REDACTED, token: "visible" } });
  });

  it("writes nothing for tables that are not audited", async () => {
    const before = await fx.db.kysely.selectFrom(AUDIT_TABLE).select("id").execute();
    await fx.db.transaction((trx) =>
      trail.afterWrite(trx, { table: "note", rowId: "1", action: "create", after: { id: 1, body: "hi" } }),
    );
    const after = await fx.db.kysely.selectFrom(AUDIT_TABLE).select("id").execute();
    expect(after.length).toBe(before.length);
  });

  it("captures actor and request from the context across awaits", async () => {
    const rowId = nextId();
    const context = {
      actor: { id: 42, name: "ann", roles: ["admin", "ops"] },
      requestId: "req-7",
      ip: "2001:db8::1",
      userAgent: "curl/8.0",
    };
    await withAuditContext(context, async () => {
      await sleep(5);
      await new Promise((r) => setImmediate(r));
      await fx.db.transaction(async (trx) => {
        await sleep(1);
        await trail.afterWrite(trx, {
          table: "account",
          rowId,
          action: "create",
          after: { username: "ann" },
        });
      });
    });
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row).toMatchObject({
      actorId: "42",
      actorName: "ann",
      actorRoles: ["admin", "ops"],
      requestId: "req-7",
      ip: "2001:db8::1",
      userAgent: "curl/8.0",
    });
  });

  it("keeps Dates and other values readable in the JSON payload", async () => {
    const rowId = nextId();
    const at = new Date("2026-01-02T03:04:05.678Z");
    await write({
      table: "account",
      rowId,
      action: "update",
      before: { settings: { at: null }, username: "a" },
      after: { settings: { at }, username: "a" },
    });
    const [row] = await entries(fx.db.kysely, rowId);
    expect(row?.changes).toEqual({
      settings: { old: { at: null }, new: { at: "2026-01-02T03:04:05.678Z" } },
    });
  });
});
