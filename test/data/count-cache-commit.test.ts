/**
 * Count invalidation at commit: counts inside a transaction bypass the shared cache, a write's
 * counts are invalidated again once the outermost transaction commits (never for a rollback), and
 * after-commit work follows savepoints.
 */
import type { Kysely } from "kysely";
import type { Db } from "plinth";
import { connect, MemoryCountCache } from "plinth";
import { describe, expect, it } from "vitest";
import { afterCommit } from "../../src/data/tx-context.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { countQueries, countSchema, createItems } from "./count-cache-fixture.js";

/** A memory cache that records what it is asked to do. */
class RecordingCache extends MemoryCountCache {
  invalidations: string[] = [];
  stores = 0;
  override set(key: string, value: number, ttlMs: number, generation?: number): void {
    this.stores++;
    super.set(key, value, ttlMs, generation);
  }
  override invalidate(table: string): void {
    this.invalidations.push(table);
    super.invalidate(table);
  }
}

describe("MemoryCountCache", () => {
  it("drops a count taken before an invalidation, and expires counts", async () => {
    const cache = new MemoryCountCache();
    const takenAt = cache.generation("item");
    cache.invalidate("item");
    cache.set("item:{}", 3, 60_000, takenAt);
    expect(cache.get("item:{}")).toBeUndefined();
    cache.set("item:{}", 4, 60_000, cache.generation("item"));
    cache.set("other:{}", 1, 30);
    expect(cache.get("item:{}")).toBe(4);
    cache.invalidate("item");
    expect(cache.get("item:{}")).toBeUndefined();
    expect(cache.get("other:{}")).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(cache.get("other:{}")).toBeUndefined();
  });
});

describeEngines("count invalidation at commit", (engine) => {
  const cache = new RecordingCache();
  const counted = countQueries();
  const fx = useFreshDb(engine, countSchema, { connect: { countCache: cache, plugins: [counted] } });
  const total = async (db: Db<typeof countSchema> = fx.db) =>
    (await db.repo("item").paginate({ page: 1, perPage: 2, where: { kind: "c" } })).meta.total;

  it("counts inside a transaction without the shared cache, so a rollback leaks nothing", async () => {
    await createItems(fx.db, "rb", 2, "c");
    expect(await total()).toBe(2);
    const stores = cache.stores;
    counted.reset();
    const error = await fx.db
      .transaction(async () => {
        await fx.db.repo("item").create({ name: "rb_tx", kind: "c" });
        // The transaction sees its own row, counted each time, and the cache never hears of it.
        expect(await total()).toBe(3);
        expect(await total()).toBe(3);
        throw new Error("roll back");
      })
      .catch((e: Error) => e);
    expect(error.message).toBe("roll back");
    expect(counted.count()).toBe(2);
    expect(cache.stores).toBe(stores);
    expect(await total()).toBe(2);
  });

  it("invalidates once more after the commit, and not after a rollback", async () => {
    cache.invalidations = [];
    await fx.db.transaction(async () => {
      await createItems(fx.db, "ac", 3, "c");
      // At once for each write; the after-commit one waits for the commit.
      expect(cache.invalidations).toEqual(["item", "item", "item"]);
    });
    expect(cache.invalidations).toEqual(["item", "item", "item", "item"]);

    cache.invalidations = [];
    await fx.db
      .transaction(async () => {
        await createItems(fx.db, "rb2", 2, "c");
        throw new Error("roll back");
      })
      .catch(() => {});
    expect(cache.invalidations).toEqual(["item", "item"]);
    expect(await total()).toBe(5);
  });

  it("drops a count another reader cached while the transaction was open", async () => {
    const before = await total();
    // pglite is one connection: an outside reader waits for the commit. SQLite's handle
    // serialises too, so there the reader is a second handle (WAL lets it read meanwhile).
    const second =
      engine.name === "sqlite"
        ? await connect(fx.url, countSchema, { retry: { attempts: 1 }, countCache: cache })
        : undefined;
    const reader = second ?? fx.db;
    try {
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let written!: () => void;
      const wrote = new Promise<void>((r) => {
        written = r;
      });
      const tx = fx.db.transaction(async () => {
        await fx.db.repo("item").create({ name: "open_tx", kind: "c" });
        written();
        await gate;
      });
      await wrote;
      // Started here, outside the transaction: it reads committed rows and caches their count.
      const outside = total(reader);
      if (engine.name !== "pglite") expect(await outside).toBe(before);
      release();
      await tx;
      await outside;
      counted.reset();
      expect(await total()).toBe(before! + 1);
      expect(await total(reader)).toBe(before! + 1);
    } finally {
      await second?.close();
    }
  });

  it("runs after-commit work once the outermost transaction commits, following savepoints", async () => {
    const root = fx.db.kysely as Kysely<any>;
    const ran: string[] = [];
    const once = {};
    await fx.db.transaction(async () => {
      await afterCommit(root, () => ran.push("outer"));
      await fx.db.transaction(async () => {
        await afterCommit(root, () => ran.push("released"));
        await afterCommit(root, () => ran.push("keyed"), once);
      });
      await fx.db
        .transaction(async () => {
          await afterCommit(root, () => ran.push("rolled back"));
          await fx.db.repo("item").create({ name: "sp_gone", kind: "c" });
          throw new Error("undo the savepoint");
        })
        .catch(() => {});
      await afterCommit(root, () => ran.push("keyed again"), once);
      expect(ran).toEqual([]);
    });
    expect(ran).toEqual(["outer", "released", "keyed"]);
    expect(await fx.db.repo("item").exists({ name: "sp_gone" })).toBe(false);

    ran.length = 0;
    await fx.db
      .transaction(async () => {
        await fx.db.transaction(async () => {
          await afterCommit(root, () => ran.push("released, then rolled back"));
        });
        throw new Error("roll back");
      })
      .catch(() => {});
    await afterCommit(root, () => ran.push("no transaction"));
    expect(ran).toEqual(["no transaction"]);
  });

  it("commits even when after-commit work fails, and reports the failure", async () => {
    const root = fx.db.kysely as Kysely<any>;
    const ran: string[] = [];
    const error = await fx.db
      .transaction(async () => {
        await fx.db.repo("item").create({ name: "hook_fail", kind: "c" });
        await afterCommit(root, () => {
          throw new Error("hook failed");
        });
        await afterCommit(root, () => ran.push("still ran"));
      })
      .catch((e: Error) => e);
    expect(error?.message).toBe("hook failed");
    expect(ran).toEqual(["still ran"]);
    expect(await fx.db.repo("item").exists({ name: "hook_fail" })).toBe(true);
  });
});
