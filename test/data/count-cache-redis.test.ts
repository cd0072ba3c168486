/**
 * The Redis count cache against a real redis-server: totals served from Redis, invalidated by
 * repository writes (also those of another process), expiring by TTL, and kept apart by prefix.
 */
import type { Redis } from "ioredis";
import type { Db, RedisCountClient } from "plinth";
import { connect, RedisCountCache } from "plinth";
import { beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { describeRedis } from "../helpers/redis.js";
import { countQueries, countSchema, createItems } from "./count-cache-fixture.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis("redis count cache", (redis) => {
  let client: Redis;
  beforeAll(() => {
    client = redis.client();
  });
  // Connect options are fixed before the server runs; this client forwards to it once it does.
  const late: RedisCountClient = {
    get: (key) => client.get(key),
    set: (key, value, mode, ttl) => client.set(key, value, mode, ttl),
    incr: (key) => client.incr(key),
  };
  const keysOf = async (prefix: string) => (await client.keys(`${prefix}*`)).sort();
  const countKeys = async (prefix: string) => (await keysOf(prefix)).filter((k) => !k.endsWith(":gen"));

  describe("RedisCountCache", () => {
    it("stores counts with a TTL that Redis enforces", async () => {
      const cache = new RedisCountCache(client, { prefix: "unit-ttl:" });
      await cache.set("item:{}", 7, 150);
      expect(await cache.get("item:{}")).toBe(7);
      const [key] = await countKeys("unit-ttl:");
      expect(key).toBe("unit-ttl:item:0:{}");
      const pttl = await client.pttl(key!);
      expect(pttl).toBeGreaterThan(0);
      expect(pttl).toBeLessThanOrEqual(150);
      await sleep(250);
      expect(await cache.get("item:{}")).toBeUndefined();
      expect(await client.exists(key!)).toBe(0);
    });

    it("invalidates a table with one command, however many counts it has", async () => {
      const cache = new RedisCountCache(client, { prefix: "unit-inv:" });
      for (let i = 0; i < 50; i++) await cache.set(`item:{"n":${i}}`, i, 60_000);
      await cache.set("other:{}", 1, 60_000);
      const processed = async () =>
        Number(/total_commands_processed:(\d+)/.exec(await client.info("stats"))![1]);
      const before = await processed();
      await cache.invalidate("item");
      // The INFO call that reads the counter after counts itself: two commands in between.
      expect((await processed()) - before).toBe(2);
      for (let i = 0; i < 50; i += 7) expect(await cache.get(`item:{"n":${i}}`)).toBeUndefined();
      expect(await cache.get("other:{}")).toBe(1);
      expect(await cache.generation("item")).toBe(1);
    });

    it("drops a count taken before an invalidation", async () => {
      const cache = new RedisCountCache(client, { prefix: "unit-gen:" });
      const takenAt = await cache.generation("item");
      await cache.invalidate("item");
      await cache.set("item:{}", 3, 60_000, takenAt);
      expect(await cache.get("item:{}")).toBeUndefined();
      await cache.set("item:{}", 4, 60_000, await cache.generation("item"));
      expect(await cache.get("item:{}")).toBe(4);
    });
  });

  describeEngines("pagination totals in Redis", (engine) => {
    const prefix = `p-${engine.name}:`;
    const counted = countQueries();
    const fx = useFreshDb(engine, countSchema, {
      connect: { countCache: new RedisCountCache(late, { prefix }), plugins: [counted] },
    });
    const total = async (db: Db<typeof countSchema>) =>
      (await db.repo("item").paginate({ page: 1, perPage: 2, where: { kind: "a" } })).meta.total;

    it("serves a cached total from Redis without a COUNT", async () => {
      await createItems(fx.db, "s", 3);
      counted.reset();
      expect(await total(fx.db)).toBe(3);
      expect(await total(fx.db)).toBe(3);
      expect(counted.count()).toBe(1);
      const [key, ...more] = await countKeys(prefix);
      expect(more).toEqual([]);
      expect(await client.get(key!)).toBe("3");
      // Whatever Redis holds is what pagination reports.
      await client.set(key!, "42", "PX", 60_000);
      expect(await total(fx.db)).toBe(42);
      expect(counted.count()).toBe(1);
    });

    it("moves the table's generation on every repository write", async () => {
      const generation = async () => Number(await client.get(`${prefix}item:gen`));
      const before = await generation();
      await fx.db.repo("item").create({ name: "w_0", kind: "a" });
      expect(await generation()).toBe(before + 1);
      counted.reset();
      expect(await total(fx.db)).toBe(4);
      expect(counted.count()).toBe(1);
      // In a transaction: one invalidation per write, and one more after the commit.
      await fx.db.transaction(() => createItems(fx.db, "w_tx", 2));
      expect(await generation()).toBe(before + 1 + 3);
      expect(await total(fx.db)).toBe(6);
      expect(counted.count()).toBe(2);
    });

    // An in-memory pglite database belongs to one handle; a second connect opens another database.
    it.skipIf(engine.name === "pglite")(
      "shares invalidations between two handles on one database",
      async () => {
        const counted2 = countQueries();
        const db2 = await connect(fx.url, countSchema, {
          retry: { attempts: 1 },
          countCache: new RedisCountCache(redis.client(), { prefix }),
          plugins: [counted2],
        });
        try {
          const start = await total(fx.db);
          counted.reset();
          expect(await total(db2)).toBe(start);
          expect(counted2.count()).toBe(0);
          await db2.repo("item").create({ name: "h2_0", kind: "a" });
          expect(await total(fx.db)).toBe(start! + 1);
          expect(counted.count()).toBe(1);
          expect(await total(db2)).toBe(start! + 1);
          expect(counted2.count()).toBe(0);
          await fx.db.repo("item").create({ name: "h1_0", kind: "a" });
          expect(await total(db2)).toBe(start! + 2);
          expect(counted2.count()).toBe(1);
        } finally {
          await db2.close();
        }
      },
    );

    describe("expiry", () => {
      const ttlPrefix = `ttl-${engine.name}:`;
      const counted3 = countQueries();
      const ttl = useFreshDb(engine, countSchema, {
        connect: {
          countCache: new RedisCountCache(late, { prefix: ttlPrefix }),
          countTtlMs: 400,
          plugins: [counted3],
        },
      });

      it("recounts once Redis has expired the total", async () => {
        await createItems(ttl.db, "t", 2);
        expect(await total(ttl.db)).toBe(2);
        // A raw write bypasses the repository, so only the TTL can catch it.
        await ttl.db.kysely.insertInto("item").values({ name: "raw", kind: "a" }).execute();
        counted3.reset();
        expect(await total(ttl.db)).toBe(2);
        expect(counted3.count()).toBe(0);
        const [key] = await countKeys(ttlPrefix);
        const pttl = await client.pttl(key!);
        expect(pttl).toBeGreaterThan(0);
        expect(pttl).toBeLessThanOrEqual(400);
        await sleep(pttl + 50);
        expect(await total(ttl.db)).toBe(3);
        expect(counted3.count()).toBe(1);
      });
    });

    describe("prefixes", () => {
      const a = { prefix: `app-a-${engine.name}:`, counted: countQueries() };
      const b = { prefix: `app-b-${engine.name}:`, counted: countQueries() };
      const dbA = useFreshDb(engine, countSchema, {
        connect: { countCache: new RedisCountCache(late, { prefix: a.prefix }), plugins: [a.counted] },
      });
      const dbB = useFreshDb(engine, countSchema, {
        connect: { countCache: new RedisCountCache(late, { prefix: b.prefix }), plugins: [b.counted] },
      });

      it("keep two services with the same tables apart in one Redis", async () => {
        await createItems(dbA.db, "a", 2);
        await createItems(dbB.db, "b", 5);
        expect(await total(dbA.db)).toBe(2);
        expect(await total(dbB.db)).toBe(5);
        expect(b.counted.count()).toBe(1);

        // A's write does not invalidate B's counts.
        await dbA.db.repo("item").create({ name: "a_more", kind: "a" });
        expect(await total(dbB.db)).toBe(5);
        expect(b.counted.count()).toBe(1);
        expect(await total(dbA.db)).toBe(3);

        const keys = [...(await keysOf(a.prefix)), ...(await keysOf(b.prefix))];
        expect(keys.length).toBeGreaterThanOrEqual(4);
        expect(keys.filter((k) => !k.startsWith(a.prefix) && !k.startsWith(b.prefix))).toEqual([]);

        // The same tables under one prefix would mix: B would be shown A's total. (A second handle
        // on pglite would open another, empty database.)
        if (engine.name === "pglite") return;
        const shared = new RedisCountCache(client, { prefix: a.prefix });
        const bAsA = await connect(dbB.url, countSchema, { retry: { attempts: 1 }, countCache: shared });
        try {
          expect(await total(bAsA)).toBe(3);
        } finally {
          await bAsA.close();
        }
      });
    });
  });
});
