/**
 * An audited update takes one of three paths: one statement on a PostgreSQL server (the database
 * computes the audit row), one synchronous transaction on SQLite's driver, or a Kysely transaction
 * (MySQL, PGlite, JSON columns, hooks that only run JavaScript). Each must write the same audit row,
 * undo the update when the audit row cannot be written, and keep optimistic locking intact.
 */
import type { CompiledQuery, Kysely } from "kysely";
import { sql } from "kysely";
import type { Db, RowChange, SingleRowUpdate, WriteHooks } from "plinth";
import {
  AUDIT_TABLE,
  AuditTrail,
  auditLog,
  connect,
  NotFoundError,
  StaleVersionError,
  withAuditContext,
} from "plinth";
import { col, schema, softDelete, table, timestamps, version } from "plinth/schema";
import { expect, it } from "vitest";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { modifyWithRetry } from "../helpers/optimistic.js";

const doc = table(
  "doc",
  {
    id: col.id(),
    title: col.varchar(80),
    body: col.text().nullable(),
    meta: col.json<Record<string, unknown>>().nullable(),
    apiSecret: col.varchar(80).secret().nullable(),
    ...version(),
    ...timestamps(),
    ...softDelete(),
  },
  { audit: true },
);
const app = schema({ doc, auditLog: auditLog() });
type App = typeof app;

/**
 * An AuditTrail that records which of its paths the repository took: one statement (PostgreSQL),
 * statements handed over without afterWrite (SQLite's driver), or afterWrite (a Kysely transaction).
 */
class WatchedTrail extends AuditTrail {
  readonly used = { statement: 0, handedOver: 0, afterWrite: 0 };
  override updateStatement(update: SingleRowUpdate): CompiledQuery | undefined {
    const statement = super.updateStatement(update);
    if (statement) this.used.statement++;
    return statement;
  }
  override statementsFor(kysely: Kysely<any>, change: RowChange): CompiledQuery[] {
    this.used.handedOver++;
    return super.statementsFor(kysely, change);
  }
  override afterWrite(trx: Kysely<any>, change: RowChange): Promise<void> {
    this.used.afterWrite++;
    this.used.handedOver--; // afterWrite runs statementsFor itself
    return super.afterWrite(trx, change);
  }
}

/** The same trail seen only through afterWrite: the path every engine can take. */
function javascriptOnly(trail: AuditTrail): WriteHooks {
  return { afterWrite: (trx, change) => trail.afterWrite(trx, change), observes: (t) => trail.observes(t) };
}

const context = {
  actor: { id: 7, name: "ada", roles: ["editor"] },
  requestId: "req-9",
  ip: "10.1.2.3",
  userAgent: "t/1",
};

/** Creates one doc and updates it every way that matters; returns its audit rows with volatile values masked. */
async function scenario(db: Db<App>) {
  const docs = db.repo("doc");
  await withAuditContext(context, async () => {
    const d = await docs.create({ title: "a", body: "b", apiSecret: "s1" });
    await docs.update(d.id, { title: "a2" });
    await docs.update(d.id, { body: null }, { expectedVersion: 2 });
    await docs.update(d.id, { apiSecret: "s2", title: "a2" });
    await docs.update(d.id, { meta: { password: "p", colour: "red" } });
    await docs.update(d.id, { title: "a2" });
  });
  const rows = await (db.kysely as Kysely<any>)
    .selectFrom(AUDIT_TABLE)
    .selectAll()
    .where("action", "=", "update")
    .orderBy("id")
    .execute();
  return rows.map((r) => {
    // The touched timestamps differ between the two databases (and two updates in one millisecond
    // leave it unchanged), so they are left out of the comparison.
    const { updated_at: _touched, ...changes } = r.changes as Record<string, any>;
    return [r.rowId, r.actorId, r.actorName, r.actorRoles, r.requestId, r.ip, r.userAgent, changes];
  });
}

/** SQL that makes every audit insert for `rowId` fail, and SQL that removes it again, per engine. */
function refuseAuditOf(engine: TestEngine, rowId: string): { install: string[]; remove: string[] } {
  switch (engine.name) {
    case "sqlite":
      return {
        install: [
          `CREATE TRIGGER refuse_audit BEFORE INSERT ON ${AUDIT_TABLE} WHEN NEW.row_id = '${rowId}' BEGIN SELECT RAISE(ABORT, 'audit refused'); END`,
        ],
        remove: ["DROP TRIGGER refuse_audit"],
      };
    case "mysql":
      return {
        install: [
          `CREATE TRIGGER refuse_audit BEFORE INSERT ON ${AUDIT_TABLE} FOR EACH ROW BEGIN IF NEW.row_id = '${rowId}' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit refused'; END IF; END`,
        ],
        remove: ["DROP TRIGGER refuse_audit"],
      };
    default:
      return {
        install: [
          `CREATE FUNCTION refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.row_id = '${rowId}' THEN RAISE EXCEPTION 'audit refused'; END IF; RETURN NEW; END $$`,
          `CREATE TRIGGER refuse_audit BEFORE INSERT ON ${AUDIT_TABLE} FOR EACH ROW EXECUTE FUNCTION refuse_audit()`,
        ],
        remove: [`DROP TRIGGER refuse_audit ON ${AUDIT_TABLE}`, "DROP FUNCTION refuse_audit()"],
      };
  }
}

describeEngines("audited update paths", (engine) => {
  const trail = new WatchedTrail({ schema: app });
  const fast = useFreshDb(engine, app, { connect: { hooks: trail } });
  const slow = useFreshDb(engine, app, {
    connect: { hooks: javascriptOnly(new AuditTrail({ schema: app })) },
  });

  it("writes the same audit rows as the JavaScript path, on the engine's fastest path", async () => {
    const expected = await scenario(slow.db);
    expect(await scenario(fast.db)).toEqual(expected);
    // One create and five updates. On the PostgreSQL server the JSON update needs JavaScript's key
    // redaction; PGlite and MySQL take the transaction path.
    const paths = {
      sqlite: { statement: 0, handedOver: 5, afterWrite: 1 },
      postgres: { statement: 4, handedOver: 0, afterWrite: 2 },
      pglite: { statement: 0, handedOver: 0, afterWrite: 6 },
      mysql: { statement: 0, handedOver: 0, afterWrite: 6 },
    };
    expect(trail.used).toEqual(paths[engine.name]);
    expect(expected[3]![7]).toEqual({
      meta: { old: null, new: { password: "[redacted]", colour: "red" } },
      version: { old: 4, new: 5 },
    });
  });

  it("writes the same audit rows for compiled inserts, one or many, as the JavaScript path", async () => {
    const creates = async (db: Db<App>) => {
      const docs = db.repo("doc");
      await withAuditContext(context, async () => {
        await docs.create({ title: "c1", meta: { password: "p", colour: "red" } });
        await docs.createMany([{ title: "c2" }, { title: "c3", body: "b", apiSecret: "s" }]);
      });
      const rows = await (db.kysely as Kysely<any>)
        .selectFrom(AUDIT_TABLE)
        .selectAll()
        .where("action", "=", "create")
        .orderBy("id")
        .execute();
      return rows
        .map((r) => {
          const { created_at: _c, updated_at: _u, id: _id, ...changes } = r.changes as Record<string, any>;
          return [r.actorId, r.actorName, r.requestId, r.ip, r.userAgent, changes];
        })
        .filter(([, , , , , changes]) => ["c1", "c2", "c3"].includes((changes as any).title));
    };
    const expected = await creates(slow.db);
    expect(expected).toHaveLength(3);
    expect(await creates(fast.db)).toEqual(expected);
  });

  it("undoes the update when its audit row cannot be written, alone or in a transaction", async () => {
    const docs = fast.db.repo("doc");
    const d = await docs.create({ title: "keep" });
    const auditRows = () =>
      (fast.db.kysely as Kysely<any>)
        .selectFrom(AUDIT_TABLE)
        .select("id")
        .where("rowId", "=", String(d.id))
        .execute();
    const written = (await auditRows()).length;
    const refusal = refuseAuditOf(engine, String(d.id));
    for (const statement of refusal.install) await sql.raw(statement).execute(fast.db.kysely);
    try {
      await expect(docs.update(d.id, { title: "lost" })).rejects.toThrow(/audit refused/);
      await expect(
        fast.db.transaction(async () => {
          await docs.update(d.id, { body: "lost too" }, { expectedVersion: 1 });
        }),
      ).rejects.toThrow(/audit refused/);
      expect(await docs.getByIdOrThrow(d.id)).toMatchObject({ title: "keep", body: null, version: 1 });
      expect(await auditRows()).toHaveLength(written);
    } finally {
      for (const statement of refusal.remove) await sql.raw(statement).execute(fast.db.kysely);
    }

    await expect(
      fast.db.transaction(async () => {
        await docs.update(d.id, { title: "rolled back" });
        throw new Error("after the update");
      }),
    ).rejects.toThrow("after the update");
    expect(await docs.getByIdOrThrow(d.id)).toMatchObject({ title: "keep", version: 1 });
    expect(await auditRows()).toHaveLength(written);
  });

  it("refuses stale versions, missing and soft-deleted rows without an audit row", async () => {
    const docs = fast.db.repo("doc");
    const d = await docs.create({ title: "v" });
    await docs.update(d.id, { title: "v2" });
    const count = async () =>
      (await (fast.db.kysely as Kysely<any>).selectFrom(AUDIT_TABLE).select("id").execute()).length;
    const written = await count();

    const stale = await docs.update(d.id, { title: "v3" }, { expectedVersion: 1 }).catch((e) => e);
    expect(stale).toBeInstanceOf(StaleVersionError);
    expect(stale).toMatchObject({ expected: 1, actual: 2 });
    expect(await docs.update(999_999, { title: "x" }).catch((e) => e)).toBeInstanceOf(NotFoundError);
    expect(await docs.update(999_999, { title: "x" }, { expectedVersion: 1 }).catch((e) => e)).toBeInstanceOf(
      NotFoundError,
    );
    expect(await count()).toBe(written);

    await docs.delete(d.id);
    const afterDelete = await count();
    expect(await docs.update(d.id, { title: "ghost" }).catch((e) => e)).toBeInstanceOf(NotFoundError);
    expect(await count()).toBe(afterDelete);
    expect((await docs.getByIdOrThrow(d.id, { withDeleted: true })).title).toBe("v2");
  });

  it("concurrent audited read-modify-write workers: every increment and its audit row, once", async () => {
    const WORKERS = 4;
    const EACH = 8;
    // SQLite: several connections to one file; server engines: one pool; PGlite has one connection.
    const extra: Db<App>[] =
      engine.name === "sqlite"
        ? await Promise.all(
            Array.from({ length: WORKERS - 1 }, () =>
              connect(fast.url, app, { hooks: new AuditTrail({ schema: app }) }),
            ),
          )
        : [];
    try {
      const { id } = await fast.db.repo("doc").create({ title: "0" });
      const dbs = [fast.db, ...extra];
      const worker = async (db: Db<App>) => {
        const docs = db.repo("doc");
        for (let i = 0; i < EACH; i++) {
          await modifyWithRetry(
            () => docs.getByIdOrThrow(id),
            (row) =>
              docs.update(id, { title: String(Number(row.title) + 1) }, { expectedVersion: row.version }),
          );
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(dbs[w % dbs.length]!)));
      const final = await fast.db.repo("doc").getByIdOrThrow(id);
      expect(final.title).toBe(String(WORKERS * EACH));
      expect(final.version).toBe(WORKERS * EACH + 1);
      const audit = await (fast.db.kysely as Kysely<any>)
        .selectFrom(AUDIT_TABLE)
        .select("changes")
        .where("rowId", "=", String(id))
        .where("action", "=", "update")
        .execute();
      expect(
        audit.map((a) => (a.changes as any).title.new).sort((a: string, b: string) => Number(a) - Number(b)),
      ).toEqual(Array.from({ length: WORKERS * EACH }, (_, i) => String(i + 1)));
    } finally {
      await Promise.all(extra.map((db) => db.close()));
    }
  });
});
