/**
 * getById's compiled point read: the same values as the query builder (codec decoding, key mapping,
 * soft-delete visibility), the caller's transaction joined, nobody else's uncommitted writes seen.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { col, schema, softDelete, table, timestamps } from "plinth/schema";
import { DecryptionError, generateEncryptionKey } from "plinth/security";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useRepoDb } from "./repo-fixture.js";

const gadget = table("gadget", {
  id: col.id(),
  name: col.varchar(40),
  isActive: col.boolean().default(true),
  price: col.decimal(12, 4).nullable(),
  seenAt: col.timestamp().nullable(),
  specs: col.json<{ size: number; tags: string[] }>().nullable(),
  // Unique among live rows only (soft delete): a deleted row may share it.
  serial: col.varchar(20).unique().nullable(),
  ...timestamps(),
  ...softDelete(),
});
const pair = table(
  "pair_item",
  { left: col.integer(), right: col.integer(), note: col.varchar(20) },
  { primaryKey: ["left", "right"] },
);
const readSchema = schema({ gadget, pair });

const vault = table("vault", {
  id: col.id(),
  label: col.varchar(40),
  opensOn: col.date().nullable(),
  amount: col.decimal(20, 6).nullable(),
  secret: col.encrypted().nullable(),
  backup: col.encrypted().nullable(),
  pinHash: col.varchar(100).hidden(),
  ...timestamps(),
});
const vaultSchema = schema({ vault });

describeEngines("point reads", (engine) => {
  const fx = useRepoDb(engine, readSchema);

  it("decode every column type exactly as findMany does", async () => {
    const gadgets = fx.db.repo("gadget");
    const seenAt = new Date("2024-05-06T07:08:09.123Z");
    const created = await gadgets.create({
      name: "lamp",
      isActive: false,
      price: "12.5000",
      seenAt,
      specs: { size: 3, tags: ["a", "b"] },
    });
    const read = await gadgets.getById(created.id);
    const [found] = await gadgets.findMany({ where: { id: created.id } });
    expect(read).toEqual(found);
    expect(read).toEqual(created);
    expect(read?.isActive).toBe(false);
    expect(read?.price).toBe("12.5000");
    expect(read?.seenAt).toEqual(seenAt);
    expect(read?.createdAt).toBeInstanceOf(Date);
    expect(read?.specs).toEqual({ size: 3, tags: ["a", "b"] });
    // The compiled statement is reused: a second read of another row gets that row's values.
    const other = await gadgets.create({ name: "desk" });
    expect((await gadgets.getById(other.id))?.name).toBe("desk");
    expect((await gadgets.getById(created.id))?.name).toBe("lamp");
    expect(await gadgets.getById(-1)).toBeUndefined();
  });

  it("respect soft delete, and take composite keys as objects", async () => {
    const gadgets = fx.db.repo("gadget");
    const g = await gadgets.create({ name: "gone" });
    await gadgets.delete(g.id);
    expect(await gadgets.getById(g.id)).toBeUndefined();
    expect((await gadgets.getById(g.id, { withDeleted: true }))?.name).toBe("gone");
    expect((await gadgets.getById(g.id, { onlyDeleted: true }))?.name).toBe("gone");
    const live = await gadgets.create({ name: "here" });
    expect(await gadgets.getById(live.id, { onlyDeleted: true })).toBeUndefined();

    const pairs = fx.db.repo("pair_item");
    await pairs.create({ left: 1, right: 2, note: "one-two" });
    expect((await pairs.getById({ left: 1, right: 2 }))?.note).toBe("one-two");
    expect(await pairs.getById({ left: 2, right: 1 })).toBeUndefined();
    await expect(pairs.getById(1)).rejects.toThrow(/composite key/);
  });

  it("join the caller's transaction and see its writes", async () => {
    const gadgets = fx.db.repo("gadget");
    const g = await gadgets.create({ name: "before" });
    await fx.db.transaction(async () => {
      await gadgets.update(g.id, { name: "inside" });
      expect((await gadgets.getById(g.id))?.name).toBe("inside");
      await fx.db.transaction(async () => {
        await gadgets.update(g.id, { name: "nested" });
        expect((await gadgets.getById(g.id))?.name).toBe("nested");
      });
    });
    expect((await gadgets.getById(g.id))?.name).toBe("nested");
  });

  it("never see another transaction's uncommitted writes, even while it is open", async () => {
    const gadgets = fx.db.repo("gadget");
    const g = await gadgets.create({ name: "committed" });
    let outside: Promise<unknown> | undefined;
    const failed = await fx.db
      .transaction(async () => {
        await gadgets.update(g.id, { name: "uncommitted" });
        // A read from outside the transaction (a fresh async context, as another request would be).
        outside = new Promise((resolve) => setImmediate(resolve)).then(() =>
          runOutside(() => gadgets.getById(g.id)),
        );
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error("roll back");
      })
      .catch((e) => e);
    expect(failed).toBeInstanceOf(Error);
    const seen = (await outside) as { name: string } | undefined;
    expect(seen?.name).toBe("committed");
    expect((await gadgets.getById(g.id))?.name).toBe("committed");
  });

  it("many concurrent reads and writes each see a consistent row", async () => {
    const gadgets = fx.db.repo("gadget");
    const rows = await gadgets.createMany(Array.from({ length: 20 }, (_, i) => ({ name: `n${i}` })));
    const work = rows.flatMap((r, i) => [
      fx.db.transaction(async () => {
        await gadgets.update(r.id, { name: `t${i}` });
        return (await gadgets.getById(r.id))?.name;
      }),
      runOutside(() => gadgets.getById(r.id)).then((row) => row?.name),
    ]);
    const names = await Promise.all(work);
    for (let i = 0; i < rows.length; i++) {
      expect(names[2 * i]).toBe(`t${i}`);
      expect([`n${i}`, `t${i}`]).toContain(names[2 * i + 1]);
    }
  });
});

describeEngines("point reads of dates, decimals, hidden and encrypted columns", (engine) => {
  const fx = useRepoDb(engine, vaultSchema, { encryptionKeys: generateEncryptionKey("k1") });

  it("decode exactly as findMany does, hidden columns left out unless asked", async () => {
    const vaults = fx.db.repo("vault");
    const created = await vaults.create({
      label: "main",
      opensOn: "2024-02-29",
      amount: "12345678901234.123456",
      secret: "JBSWY3DPEHPK3PXP",
      pinHash: "argon2-stand-in",
    });
    const read = await vaults.getById(created.id);
    const [found] = await vaults.findMany({ where: { id: created.id } });
    expect(read).toEqual(found);
    expect(read).toMatchObject({
      opensOn: "2024-02-29",
      amount: "12345678901234.123456",
      secret: "JBSWY3DPEHPK3PXP",
      backup: null,
    });
    expect(read?.createdAt).toBeInstanceOf(Date);
    expect(read).not.toHaveProperty("pinHash");
    expect(Object.keys(read!).sort()).toEqual(Object.keys(found!).sort());

    const withHidden = await vaults.getById(created.id, { withHidden: true });
    const [foundWithHidden] = await vaults.findMany({ where: { id: created.id }, withHidden: true });
    expect(withHidden).toEqual(foundWithHidden);
    expect(withHidden?.pinHash).toBe("argon2-stand-in");
    expect(withHidden?.secret).toBe("JBSWY3DPEHPK3PXP");
  });

  it("reject with a typed DecryptionError, never throw, when a stored value was moved", async () => {
    const vaults = fx.db.repo("vault");
    const v = await vaults.create({ label: "moved", secret: "only-here", pinHash: "x" });
    const raw = fx.db.kysely.withoutPlugins() as unknown as Kysely<any>;
    await sql`UPDATE vault SET backup = secret WHERE id = ${v.id}`.execute(raw);
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = vaults.getById(v.id);
    }).not.toThrow();
    const error = await pending!.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect(error).toMatchObject({ table: "vault", column: "backup" });
    await sql`UPDATE vault SET backup = NULL WHERE id = ${v.id}`.execute(raw);
    expect((await vaults.getById(v.id))?.secret).toBe("only-here");
  });
});

/**
 * Runs `fn` as another request would: outside the caller's transaction. The transaction frame lives
 * in AsyncLocalStorage, so run from a snapshot of the context taken at module load, where no store
 * is set.
 */
function runOutside<T>(fn: () => Promise<T>): Promise<T> {
  return outsideAnyStore(fn);
}

const outsideAnyStore = AsyncLocalStorage.snapshot();

/**
 * findMany and included relations compile once per shape (see ListReader): each shape must return
 * what the query builder returns for the same read, on SQLite's driver, on a PostgreSQL server's
 * prepared statements and in a transaction; IN lists padded to a shared length find the same rows.
 */
describeEngines("compiled lists", (engine) => {
  const fx = useRepoDb(engine, readSchema);

  async function fill() {
    const gadgets = fx.db.repo("gadget");
    const rows = await gadgets.createMany(
      Array.from({ length: 40 }, (_, i) => ({
        name: `g${i % 7}`,
        isActive: i % 3 !== 0,
        price: i % 4 === 0 ? null : `${i}.5000`,
        seenAt: i % 5 === 0 ? null : new Date(Date.UTC(2024, 0, 1 + i)),
        specs: i % 2 === 0 ? { size: i, tags: [`t${i}`] } : null,
      })),
    );
    for (const r of rows.filter((_, i) => i % 6 === 0)) await gadgets.delete(r.id);
    return rows.map((r) => r.id);
  }

  /** The same read built with the query builder (through db.kysely, so decoded alike). */
  function built(o: {
    where?: Record<string, unknown>;
    order?: [string, "asc" | "desc"][];
    limit?: number;
    offset?: number;
    deleted?: "all" | "only";
  }) {
    let q: any = (fx.db.current as unknown as Kysely<any>)
      .selectFrom("gadget")
      .select(readSchema.model.tables[0]!.columns.map((c) => c.key));
    if (o.deleted !== "all") q = q.where("deletedAt", o.deleted === "only" ? "is not" : "is", null);
    for (const [k, v] of Object.entries(o.where ?? {})) {
      if (v === null) q = q.where(k, "is", null);
      else if (Array.isArray(v)) q = v.length === 0 ? q.where(sql<boolean>`1 = 0`) : q.where(k, "in", v);
      else q = q.where(k, "=", v);
    }
    for (const [k, d] of o.order ?? []) q = q.orderBy(k, d);
    if (o.limit !== undefined) q = q.limit(o.limit);
    else if (o.offset !== undefined) q = q.limit(Number.MAX_SAFE_INTEGER);
    if (o.offset !== undefined) q = q.offset(o.offset);
    return q.execute();
  }

  it("return what the query builder returns, shape by shape", async () => {
    const ids = await fill();
    const gadgets = fx.db.repo("gadget");
    // A where that pins a unique key reads one row at most (the driver stops at the first); one
    // unique among live rows only does not pin anything once deleted rows are read too.
    const gone = await gadgets.create({ name: "dupe", serial: "dup" });
    await gadgets.delete(gone.id);
    await gadgets.create({ name: "dupe", serial: "dup" });
    const cases = [
      { where: { id: ids[1] } },
      { where: { id: ids[0] } },
      { where: { id: ids[0] }, deleted: "all" as const },
      { where: { serial: "dup" } },
      { where: { serial: "dup" }, deleted: "all" as const },
      { where: { serial: "dup" }, deleted: "only" as const },
      { where: { serial: "dup", name: "dupe" }, order: [["id", "asc"]] as [string, "asc"][] },
      { where: { name: "g1" }, order: [["id", "desc"]] as [string, "desc"][] },
      { where: { price: null, isActive: true }, order: [["id", "asc"]] as [string, "asc"][] },
      { where: { id: ids.slice(0, 3) }, order: [["id", "asc"]] as [string, "asc"][] },
      { where: { id: ids.slice(0, 9) }, order: [["id", "asc"]] as [string, "asc"][] },
      {
        where: { id: ids.slice(5, 38) },
        order: [
          ["seenAt", "desc"],
          ["id", "asc"],
        ] as [string, any][],
      },
      { where: { id: [] } },
      { where: { name: ["g2", "g3"] }, order: [["id", "asc"]] as [string, "asc"][], limit: 4, offset: 2 },
      { order: [["id", "asc"]] as [string, "asc"][], offset: 30 },
      { where: { isActive: false }, order: [["id", "asc"]] as [string, "asc"][], deleted: "all" as const },
      { order: [["id", "asc"]] as [string, "asc"][], deleted: "only" as const },
      { where: { seenAt: new Date(Date.UTC(2024, 0, 3)) } },
    ];
    for (const c of cases) {
      const listed = await gadgets.findMany({
        where: c.where as never,
        orderBy: c.order as never,
        limit: c.limit,
        offset: c.offset,
        withDeleted: c.deleted === "all",
        onlyDeleted: c.deleted === "only",
      });
      expect(listed, JSON.stringify(c)).toEqual(await built(c));
      // count compiles per where shape too, ignoring order, limit and offset.
      const visibility = { withDeleted: c.deleted === "all", onlyDeleted: c.deleted === "only" };
      const all = await built({ where: c.where, deleted: c.deleted });
      expect(await gadgets.count(c.where as never, visibility), JSON.stringify(c)).toBe(all.length);
      // The second call of a shape reuses its statement with other values.
      if (c.where?.name === "g1")
        expect(await gadgets.findMany({ where: { name: "g2" }, orderBy: [["id", "desc"]] })).toEqual(
          await built({ where: { name: "g2" }, order: [["id", "desc"]] }),
        );
    }
  });

  it("see the caller's transaction and nobody else's, and refuse bad input as before", async () => {
    const gadgets = fx.db.repo("gadget");
    const g = await gadgets.create({ name: "lister" });
    let outside: Promise<{ name: string }[]> | undefined;
    let counted: Promise<number> | undefined;
    const failed = await fx.db
      .transaction(async () => {
        await gadgets.update(g.id, { name: "inside" });
        expect((await gadgets.findMany({ where: { id: [g.id] } }))[0]?.name).toBe("inside");
        expect(await gadgets.count({ name: "inside" })).toBe(1);
        counted = runOutside(() => gadgets.count({ name: "inside" }));
        outside = runOutside(() => gadgets.findMany({ where: { id: [g.id] } }));
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error("roll back");
      })
      .catch((e) => e);
    expect(failed).toBeInstanceOf(Error);
    expect((await outside!)[0]?.name).toBe("lister");
    expect(await counted!).toBe(0);
    expect(await gadgets.count({ name: "inside" })).toBe(0);
    expect((await gadgets.findMany({ where: { name: "lister" } })).map((r) => r.id)).toEqual([g.id]);
    await expect(gadgets.findMany({ limit: -1 })).rejects.toThrow(/limit/);
    await expect(gadgets.findMany({ where: { nope: 1 } as never })).rejects.toThrow();
    await expect(gadgets.findMany({ orderBy: [["nope" as never, "asc"]] })).rejects.toThrow();
  });
});
