/**
 * The audit trail is the truth: before-images right under concurrency, cascaded deletes recorded,
 * history that conflict resolution cannot rewrite, and a business write that never fails because
 * its audit context is long or its JSON deep.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Db } from "plinth";
import {
  AUDIT_TABLE,
  AuditTrail,
  asImmutableRowError,
  auditLog,
  installAuditTrail,
  ValidationError,
  withAuditContext,
} from "plinth";
import { col, ref, schema, table, timestamps, version } from "plinth/schema";
import { beforeAll, expect, it } from "vitest";
import { TOO_DEEP } from "../../src/audit/redact.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const counter = table("counter", { id: col.id(), n: col.integer(), ...version() }, { audit: true });
const parent = table("parent", { id: col.id(), name: col.varchar(40) }, { audit: true });
const child = table(
  "child",
  {
    id: col.id(),
    parentId: ref(() => parent.id, { onDelete: "cascade" }),
    label: col.varchar(40),
  },
  { audit: true },
);
const grandchild = table(
  "grandchild",
  { id: col.id(), childId: ref(() => child.id, { onDelete: "cascade" }), label: col.varchar(40) },
  { audit: true },
);
const pet = table(
  "pet",
  {
    id: col.id(),
    ownerId: ref(() => parent.id, { onDelete: "set null" }).nullable(),
    name: col.varchar(40),
    ...timestamps(),
  },
  { audit: true },
);
const doc = table("doc", { id: col.id(), body: col.json().nullable() }, { audit: true });
/** Not audited itself, but deleting one removes audited rows. */
const folder = table("folder", { id: col.id(), name: col.varchar(40) });
const file = table(
  "file",
  { id: col.id(), folderId: ref(() => folder.id, { onDelete: "cascade" }), name: col.varchar(40) },
  { audit: true },
);
const app = schema({ counter, parent, child, grandchild, pet, doc, folder, file, auditLog: auditLog() });
type App = typeof app;

type AuditRow = { id: number; tableName: string; rowId: string; action: string; changes: any } & Record<
  string,
  any
>;

async function auditRows(db: Db<App>, table?: string): Promise<AuditRow[]> {
  let q = (db.kysely as Kysely<any>).selectFrom(AUDIT_TABLE).selectAll();
  if (table) q = q.where("tableName", "=", table);
  return (await q.orderBy("id").execute()) as AuditRow[];
}

describeEngines("audit trail integrity", (engine) => {
  const h = useFreshDb(engine, app, { connect: { hooks: new AuditTrail({ schema: app }), poolSize: 20 } });
  beforeAll(async () => {
    await installAuditTrail(h.db);
  });

  /**
   * Concurrent updates of one row: each audit row's `old` must be what that update replaced, so the
   * rows chain (old of one = new of the one before, in the order the updates took the row).
   */
  async function concurrentUpdates(viaTransaction: boolean) {
    const counters = h.db.repo("counter");
    const row = await counters.create({ n: -1 });
    const writes = engine.name === "sqlite" || engine.name === "pglite" ? 60 : 400;
    await Promise.all(
      Array.from({ length: writes }, (_, i) =>
        viaTransaction
          ? h.db.transaction(() => counters.update(row.id, { n: i }))
          : counters.update(row.id, { n: i }),
      ),
    );
    const rows = (await auditRows(h.db, "counter")).filter(
      (r) => r.rowId === String(row.id) && r.action === "update",
    );
    expect(rows).toHaveLength(writes);
    let previous: number = -1;
    const broken: string[] = [];
    for (const r of rows) {
      if (r.changes.n.old !== previous)
        broken.push(`audit ${r.id}: old ${r.changes.n.old}, replaced ${previous}`);
      previous = r.changes.n.new;
    }
    expect(broken.slice(0, 5)).toEqual([]);
    expect((await counters.getById(row.id))!.n).toBe(previous);
    // And the versions moved one by one: no update was lost.
    expect((await counters.getById(row.id))!.version).toBe(writes + 1);
  }

  it("before-images are what each update replaced, under concurrency (transaction path)", async () => {
    await concurrentUpdates(true);
  });

  it("before-images are what each update replaced, under concurrency (each write on its own)", async () => {
    await concurrentUpdates(false);
  });

  it("records the rows a cascading delete removes and the rows it sets to null", async () => {
    const p = await h.db.repo("parent").create({ name: "p" });
    const c1 = await h.db.repo("child").create({ parentId: p.id, label: "c1" });
    const c2 = await h.db.repo("child").create({ parentId: p.id, label: "c2" });
    const g = await h.db.repo("grandchild").create({ childId: c1.id, label: "g" });
    const pet1 = await h.db.repo("pet").create({ ownerId: p.id, name: "rex" });
    const before = (await auditRows(h.db)).length;

    expect(await h.db.repo("parent").delete(p.id)).toBe(true);

    const after = (await auditRows(h.db)).slice(before);
    const seen = after.map((r) => `${r.tableName} ${r.rowId} ${r.action}`).sort();
    expect(seen).toEqual(
      [
        `child ${c1.id} delete`,
        `child ${c2.id} delete`,
        `grandchild ${g.id} delete`,
        `parent ${p.id} delete`,
        `pet ${pet1.id} update`,
      ].sort(),
    );
    const childRow = after.find((r) => r.tableName === "child" && r.rowId === String(c1.id))!;
    expect(childRow.changes).toMatchObject({ id: c1.id, parent_id: p.id, label: "c1" });
    const petRow = after.find((r) => r.tableName === "pet")!;
    expect(petRow.changes.owner_id).toEqual({ old: p.id, new: null });
    expect(await h.db.repo("pet").getById(pet1.id)).toMatchObject({ ownerId: null });
  });

  it("records audited rows that a delete of an unaudited row cascades to", async () => {
    const f = await h.db.repo("folder").create({ name: "f" });
    const files = await h.db.repo("file").createMany([
      { folderId: f.id, name: "a" },
      { folderId: f.id, name: "b" },
    ]);
    const before = (await auditRows(h.db)).length;
    expect(await h.db.repo("folder").delete(f.id)).toBe(true);
    const after = (await auditRows(h.db)).slice(before);
    expect(after.map((r) => `${r.tableName} ${r.rowId} ${r.action}`).sort()).toEqual(
      files.map((x) => `file ${x.id} delete`).sort(),
    );
  });

  it("conflict resolution cannot rewrite audit history", async () => {
    const p = await h.db.repo("parent").create({ name: "history" });
    const [first] = (await auditRows(h.db, "parent")).filter((r) => r.rowId === String(p.id));
    const k = h.db.kysely as Kysely<any>;
    const values = sql`(${first!.id}, 'parent', 'forged', 'delete', '{}')`;
    const columns = sql.raw("(id, table_name, row_id, action, changes)");
    const attempts =
      engine.dialect === "sqlite"
        ? [
            sql`INSERT OR REPLACE INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values}`,
            sql`REPLACE INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values}`,
            sql`INSERT INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values} ON CONFLICT (id) DO UPDATE SET row_id = 'forged'`,
          ]
        : engine.dialect === "mysql"
          ? [
              sql`REPLACE INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values}`,
              sql`INSERT INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values} ON DUPLICATE KEY UPDATE row_id = 'forged'`,
            ]
          : [
              sql`INSERT INTO ${sql.table(AUDIT_TABLE)} ${columns} VALUES ${values} ON CONFLICT (id) DO UPDATE SET row_id = 'forged'`,
            ];
    for (const attempt of attempts) {
      const error = await attempt.execute(k).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error, attempt.compile(k).sql).toBeDefined();
      expect(asImmutableRowError(error), String(error)).toBeDefined();
    }
    const [again] = (await auditRows(h.db, "parent")).filter((r) => r.id === first!.id);
    expect(again).toEqual(first);
  });

  it("a long audit context never fails the write: it is clipped and marked", async () => {
    const long = {
      actor: { id: "u".repeat(400), name: "N".repeat(300), roles: ["r".repeat(300)] },
      requestId: "q".repeat(400),
      ip: Array.from({ length: 12 }, (_, i) => `10.0.0.${i}`).join(", "),
      userAgent: "A".repeat(20_000),
    };
    const counters = h.db.repo("counter");
    const row = await withAuditContext(long, () => counters.create({ n: 1 }));
    await withAuditContext(long, () => counters.update(row.id, { n: 2 }));
    await withAuditContext(long, () => h.db.transaction(() => counters.update(row.id, { n: 3 })));
    const rows = (await auditRows(h.db, "counter")).filter((r) => r.rowId === String(row.id));
    expect(rows.map((r) => r.action)).toEqual(["create", "update", "update"]);
    for (const r of rows) {
      expect(r.actorName.length).toBeLessThanOrEqual(255);
      expect(r.actorName.endsWith("…[clipped]")).toBe(true);
      expect(r.actorId.length).toBeLessThanOrEqual(255);
      expect(r.requestId.length).toBeLessThanOrEqual(255);
      expect(r.requestId.startsWith("qqq")).toBe(true);
      expect(r.ip.length).toBeLessThanOrEqual(64);
      expect(r.ip.startsWith("10.0.0.0, 10.0.0.1")).toBe(true);
      expect(r.ip.endsWith("…[clipped]")).toBe(true);
    }
  });

  it("JSON deeper than every engine stores is refused; the deepest accepted is audited within bounds", async () => {
    const nest = (levels: number, leaf: unknown) => {
      let v = leaf;
      for (let i = 0; i < levels; i++) v = { next: v };
      return v;
    };
    const docs = h.db.repo("doc");
    const before = (await auditRows(h.db, "doc")).length;
    await expect(docs.create({ body: nest(2000, 1) as any })).rejects.toBeInstanceOf(ValidationError);
    await expect(docs.create({ body: nest(32, 1) as any })).rejects.toThrow(/deeper than 31/);
    expect(await auditRows(h.db, "doc")).toHaveLength(before);

    // 31 levels: the document itself is stored whole, and its audit row (which wraps it in one or two
    // levels of its own) replaces what lies past the limit instead of failing the write.
    const deepest = nest(30, { leaf: true, password: "p" });
    const d = await docs.create({ body: deepest as any });
    expect((await docs.getById(d.id))!.body).toEqual(deepest);
    await docs.update(d.id, { body: { shallow: 1 } });
    const rows = (await auditRows(h.db, "doc")).filter((r) => r.rowId === String(d.id));
    expect(rows.map((r) => r.action)).toEqual(["create", "update"]);
    for (const r of rows) {
      const text = JSON.stringify(r.changes);
      expect(text).not.toContain('"p"');
      expect(text).toContain(TOO_DEEP);
    }
  });
});
