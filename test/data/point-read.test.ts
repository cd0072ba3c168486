/**
 * getById's compiled point read: the same values as the query builder (codec decoding, key mapping,
 * soft-delete visibility), the caller's transaction joined, nobody else's uncommitted writes seen.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { col, schema, softDelete, table, timestamps } from "plinth/schema";
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
  ...timestamps(),
  ...softDelete(),
});
const pair = table(
  "pair_item",
  { left: col.integer(), right: col.integer(), note: col.varchar(20) },
  { primaryKey: ["left", "right"] },
);
const readSchema = schema({ gadget, pair });

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

/**
 * Runs `fn` as another request would: outside the caller's transaction. The transaction frame lives
 * in AsyncLocalStorage, so run from a snapshot of the context taken at module load, where no store
 * is set.
 */
function runOutside<T>(fn: () => Promise<T>): Promise<T> {
  return outsideAnyStore(fn);
}

const outsideAnyStore = AsyncLocalStorage.snapshot();
