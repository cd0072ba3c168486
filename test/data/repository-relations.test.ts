/**
 * Relations from declared foreign keys, loaded with one batched IN query per relation (no N+1),
 * and pagination: offset pages with cached totals, keyset pages with opaque cursors.
 */
import type { CountCache, CursorMeta } from "plinth";
import { MemoryCountCache, PlinthError } from "plinth";
import { col, ref, schema, table } from "plinth/schema";
import { beforeAll, describe, expect, it } from "vitest";
import { relationsOf } from "../../src/data/relations.js";
import { describeEngines } from "../engines/matrix.js";
import { repoSchema, StatementCounter, useRepoDb } from "./repo-fixture.js";

describe("relation names", () => {
  it("follow the belongs-to / has-many naming rule", () => {
    const model = repoSchema.model;
    const names = (t: string) =>
      [...relationsOf(model, model.tables.find((m) => m.name === t)!).keys()].sort();
    expect(names("account")).toEqual(["authTokens", "notes", "realms"]);
    expect(names("realm")).toEqual(["account", "authTokens"]);
    expect(names("auth_token")).toEqual(["account", "realm"]);
  });

  it("make child table names plural the English way, keeping names that already are", () => {
    const owner = table("owner", { id: col.id() });
    const child = (name: string) => table(name, { id: col.id(), ownerId: ref(() => owner.id) });
    const s = schema({
      owner,
      a: child("user_actions"),
      b: child("category"),
      c: child("inbox"),
      d: child("branch"),
      e: child("day"),
    });
    const names = [...relationsOf(s.model, s.model.tables.find((t) => t.name === "owner")!).keys()];
    expect(names.sort()).toEqual(["branches", "categories", "days", "inboxes", "userActions"]);
  });
});

describeEngines("repository relations and pagination", (engine) => {
  const counter = new StatementCounter();
  const cache = new MemoryCountCache();
  const spy: CountCache & { gets: number } = {
    gets: 0,
    get(key) {
      this.gets++;
      return cache.get(key);
    },
    set: (key, value, ttl) => cache.set(key, value, ttl),
    invalidate: (table) => cache.invalidate(table),
  };
  const fx = useRepoDb(engine, repoSchema, { plugins: [counter], countCache: spy });
  const N = 6;

  beforeAll(async () => {
    const db = fx.db;
    for (let i = 0; i < N; i++) {
      const a = await db.repo("account").create({ username: `rel_${i}` });
      for (let j = 0; j < 3; j++) {
        const r = await db
          .repo("realm")
          .create({ accountId: a.id, name: `r${j}.u${i}.example.com`, kind: "host" });
        await db.repo("auth_token").create({ accountId: a.id, realmId: r.id, label: `t${j}` });
      }
      const n = await db.repo("note").create({ accountId: a.id, body: "kept" });
      const gone = await db.repo("note").create({ accountId: a.id, body: "gone" });
      expect(n.body).toBe("kept");
      await db.repo("note").delete(gone.id);
    }
  });

  it("loads has-many and belongs-to relations with one query per relation", async () => {
    counter.reset();
    const accounts = await fx.db
      .repo("account")
      .findMany({ include: ["realms", "authTokens", "notes"], orderBy: "id" });
    expect(counter.count()).toBe(1 + 3);
    expect(accounts).toHaveLength(N);
    for (const a of accounts) {
      expect(a.realms).toHaveLength(3);
      expect(a.authTokens).toHaveLength(3);
      // Soft-deleted children stay hidden in includes too.
      expect((a.notes as { body: string }[]).map((n) => n.body)).toEqual(["kept"]);
    }

    counter.reset();
    const realms = await fx.db.repo("realm").findMany({ include: { account: true, authTokens: true } });
    expect(counter.count()).toBe(1 + 2);
    expect(realms).toHaveLength(3 * N);
    for (const r of realms) {
      expect((r.account as { id: number }).id).toBe(r.accountId);
      expect(r.authTokens).toHaveLength(1);
    }

    const one = await fx.db.repo("auth_token").findOne({ label: "t0" });
    const withRealm = await fx.db
      .repo("auth_token")
      .getByIdOrThrow(one!.id, { include: ["realm", "account"] });
    expect((withRealm.realm as { id: number }).id).toBe(one!.realmId);
    // A compile error in TypeScript; plain JavaScript gets the PlinthError.
    // @ts-expect-error "nope" is no relation of account
    await expect(fx.db.repo("account").findMany({ include: ["nope"] })).rejects.toThrow(PlinthError);
  });

  it("pages by offset with a cached total that repository writes invalidate", async () => {
    const accounts = fx.db.repo("account");
    const where = (eb: any) => eb("username", "like", "rel_%");
    const p1 = await accounts.paginate({
      page: 1,
      perPage: 4,
      where: { username: ["rel_0", "rel_1", "rel_2", "rel_3", "rel_4", "rel_5"] },
    });
    expect(p1.meta).toEqual({ page: 1, perPage: 4, total: N, hasNext: true });
    expect(p1.items.map((a) => a.username)).toEqual(["rel_0", "rel_1", "rel_2", "rel_3"]);
    const p2 = await accounts.paginate({ page: 2, perPage: 4, where, skipCount: true });
    expect(p2.meta).toEqual({ page: 2, perPage: 4, hasNext: false });
    expect(p2.items).toHaveLength(2);

    // The second count comes from the cache: no COUNT statement runs.
    const realms = fx.db.repo("realm");
    const first = await realms.paginate({ page: 1, perPage: 5 });
    expect(first.meta.total).toBe(3 * N);
    counter.reset();
    expect((await realms.paginate({ page: 2, perPage: 5 })).meta.total).toBe(3 * N);
    expect(counter.count("SelectQueryNode")).toBe(1);

    // A write through the repository invalidates; a raw write is only caught by the TTL.
    const acc = await accounts.findOne({ username: "rel_0" });
    await fx.db.kysely
      .insertInto("realm")
      .values({ accountId: acc!.id, name: "raw.example.com", kind: "host" })
      .execute();
    expect((await realms.paginate({ page: 1, perPage: 5 })).meta.total).toBe(3 * N);
    await realms.create({ accountId: acc!.id, name: "repo.example.com", kind: "host" });
    expect((await realms.paginate({ page: 1, perPage: 5 })).meta.total).toBe(3 * N + 2);
    await realms.delete((await realms.findOne({ name: "repo.example.com" }))!.id);
    await realms.delete((await realms.findOne({ name: "raw.example.com" }))!.id);
    expect(spy.gets).toBeGreaterThan(0);
  });

  it("pages by keyset with an opaque cursor over a unique ordering", async () => {
    const realms = fx.db.repo("realm");
    const seen: number[] = [];
    let after: string | undefined;
    let pages = 0;
    // depth is 1 everywhere: only the appended primary key makes the order unique.
    do {
      const page = await realms.paginate({
        after,
        limit: 4,
        orderBy: [["depth", "desc"]],
        include: ["account"],
      });
      seen.push(...page.items.map((r) => r.id));
      expect(page.items.every((r) => (r.account as { id: number }).id === r.accountId)).toBe(true);
      after = page.meta.nextCursor;
      expect(page.meta.hasNext).toBe(after !== undefined);
      pages++;
    } while (after);
    expect(pages).toBe(Math.ceil((3 * N) / 4));
    expect(seen).toHaveLength(3 * N);
    expect(new Set(seen).size).toBe(3 * N);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);

    const names: string[] = [];
    after = undefined;
    do {
      const page: { items: { name: string }[]; meta: CursorMeta } = await realms.paginate({
        after,
        limit: 5,
        orderBy: "name",
      });
      names.push(...page.items.map((r) => r.name));
      after = page.meta.nextCursor;
    } while (after);
    expect(names).toEqual([...names].sort());
    expect(names).toHaveLength(3 * N);

    const firstPage = await realms.paginate({ limit: 2, orderBy: "name" });
    await expect(
      realms.paginate({ after: firstPage.meta.nextCursor, limit: 2, orderBy: "depth" }),
    ).rejects.toThrow("does not belong");
    await expect(realms.paginate({ after: "garbage!", limit: 2 })).rejects.toThrow(PlinthError);
  });
});
