/**
 * Soft delete, optimistic locking (including concurrent read-modify-write workers), nested
 * transactions with savepoints that repositories join, and validation before write.
 */
import type { Db } from "plinth";
import { connect, NotFoundError, StaleVersionError, UniqueViolation, ValidationError } from "plinth";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { modifyWithRetry } from "../helpers/optimistic.js";
import type { RepoSchema } from "./repo-fixture.js";
import { repoSchema, useRepoDb } from "./repo-fixture.js";

describeEngines("repository lifecycle", (engine) => {
  const fx = useRepoDb(engine, repoSchema);
  const account = async (username: string) => fx.db.repo("account").create({ username });

  it("soft-deletes: hidden from every read unless asked, restorable, hard-deletable", async () => {
    const notes = fx.db.repo("note");
    const owner = await account("soft");
    const a = await notes.create({ accountId: owner.id, body: "a" });
    const b = await notes.create({ accountId: owner.id, body: "b" });
    expect(await notes.delete(a.id)).toBe(true);
    expect(await notes.delete(a.id)).toBe(false);
    expect(await notes.getById(a.id)).toBeUndefined();
    expect((await notes.getById(a.id, { withDeleted: true }))?.deletedAt).toBeInstanceOf(Date);
    expect(await notes.count({ accountId: owner.id })).toBe(1);
    expect(await notes.exists({ id: a.id })).toBe(false);
    expect((await notes.findMany({ where: { accountId: owner.id }, withDeleted: true })).length).toBe(2);
    expect(
      (await notes.findMany({ where: { accountId: owner.id }, onlyDeleted: true })).map((n) => n.id),
    ).toEqual([a.id]);
    expect((await notes.paginate({ page: 1, perPage: 10, where: { accountId: owner.id } })).meta.total).toBe(
      1,
    );
    expect(await notes.update(a.id, { body: "x" }).catch((e) => e)).toBeInstanceOf(NotFoundError);

    expect(await notes.restore(a.id)).toBe(true);
    expect(await notes.restore(a.id)).toBe(false);
    expect((await notes.getById(a.id))?.deletedAt).toBeNull();

    expect(await notes.hardDelete(b.id)).toBe(true);
    expect(await notes.getById(b.id, { withDeleted: true })).toBeUndefined();
  });

  it("increments the version on update and refuses a stale expectedVersion, changing nothing", async () => {
    const counters = fx.db.repo("counter");
    const c = await counters.create({ name: "lock" });
    expect(c.version).toBe(1);
    const v2 = await counters.update(c.id, { n: 1 }, { expectedVersion: 1 });
    expect(v2).toMatchObject({ n: 1, version: 2 });
    const stale = await counters.update(c.id, { n: 99 }, { expectedVersion: 1 }).catch((e) => e);
    expect(stale).toBeInstanceOf(StaleVersionError);
    expect(stale).toMatchObject({ table: "counter", id: c.id, expected: 1, actual: 2 });
    expect(await counters.getById(c.id)).toMatchObject({ n: 1, version: 2 });
    expect(await counters.update(999_999, { n: 1 }, { expectedVersion: 1 }).catch((e) => e)).toBeInstanceOf(
      NotFoundError,
    );
    expect(await counters.updateMany({ name: "lock" }, { n: 5 })).toBe(1);
    expect(await counters.getById(c.id)).toMatchObject({ n: 5, version: 3 });
  });

  it("concurrent read-modify-write workers with retry lose no increment", async () => {
    const WORKERS = 4;
    const EACH = 10;
    // SQLite: several connections to the same file; server engines: one pool; PGlite has one connection.
    const extra: Db<RepoSchema>[] =
      engine.name === "sqlite"
        ? await Promise.all(Array.from({ length: WORKERS - 1 }, () => connect(fx.url, repoSchema)))
        : [];
    const dbs = [fx.db, ...extra];
    try {
      const { id } = await fx.db.repo("counter").create({ name: "race" });
      let conflicts = 0;
      const worker = async (db: Db<RepoSchema>) => {
        const counters = db.repo("counter");
        for (let i = 0; i < EACH; i++) {
          conflicts += await modifyWithRetry(
            () => counters.getByIdOrThrow(id),
            (row) => counters.update(id, { n: row.n + 1 }, { expectedVersion: row.version }),
          );
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(dbs[w % dbs.length]!)));
      const final = await fx.db.repo("counter").getByIdOrThrow(id);
      expect(final.n).toBe(WORKERS * EACH);
      expect(final.version).toBe(WORKERS * EACH + 1);
      expect(conflicts).toBeGreaterThan(0);
    } finally {
      await Promise.all(extra.map((d) => d.close()));
    }
  });

  it("nests transactions with savepoints; repositories join the open transaction", async () => {
    const accounts = fx.db.repo("account");
    await fx.db.transaction(async () => {
      await accounts.create({ username: "tx_outer" });
      await fx.db
        .transaction(async () => {
          await accounts.create({ username: "tx_inner" });
          throw new Error("inner fails");
        })
        .catch(() => {});
      // A database error inside the savepoint: PostgreSQL needs the rollback to the savepoint to go on.
      const dup = await fx.db.transaction(() => accounts.create({ username: "tx_outer" })).catch((e) => e);
      expect(dup).toBeInstanceOf(UniqueViolation);
      await fx.db.transaction(async (trx) => {
        await trx.insertInto("account").values({ username: "tx_inner_ok" }).execute();
        expect(await accounts.exists({ username: "tx_inner_ok" })).toBe(true);
      });
    });
    expect(await accounts.exists({ username: "tx_outer" })).toBe(true);
    expect(await accounts.exists({ username: "tx_inner" })).toBe(false);
    expect(await accounts.exists({ username: "tx_inner_ok" })).toBe(true);

    const error = await fx.db
      .transaction(async () => {
        await accounts.create({ username: "tx_all" });
        await fx.db.transaction(() => accounts.create({ username: "tx_all_inner" }));
        await accounts.create({ username: "tx_outer" }); // unique violation: everything rolls back
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(Error);
    expect(await accounts.count({ username: ["tx_all", "tx_all_inner"] })).toBe(0);
  });

  it("validates before writing: one ValidationError listing every failing field, nothing written", async () => {
    const realms = fx.db.repo("realm");
    const owner = await account("valid");
    const error = await realms
      .create({
        accountId: owner.id,
        name: "not a domain!",
        kind: "planet" as never,
        depth: 11,
        ranges: [1] as never,
      })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.table).toBe("realm");
    expect(error.issues.map((i: { column: string }) => i.column).sort()).toEqual([
      "depth",
      "kind",
      "name",
      "ranges",
    ]);
    expect(await realms.count({ accountId: owner.id })).toBe(0);

    const missing = await realms.create({ accountId: owner.id } as never).catch((e) => e);
    expect(
      missing.issues.map((i: { column: string; message: string }) => `${i.column} ${i.message}`).sort(),
    ).toEqual(["kind is required", "name is required"]);

    const accounts = fx.db.repo("account");
    const bad = await accounts.create({ username: "Not Valid", email: "nope" }).catch((e) => e);
    expect(bad.issues.map((i: { column: string }) => i.column).sort()).toEqual(["email", "username"]);
    const long = await accounts.create({ username: "x".repeat(21) }).catch((e) => e);
    expect(long.issues[0].message).toMatch(/longer than 20/);
    const nullPatch = await accounts.update(owner.id, { username: null as never }).catch((e) => e);
    expect(nullPatch).toBeInstanceOf(ValidationError);
    const many = await accounts.createMany([{ username: "ok_1" }, { username: "BAD BAD" }]).catch((e) => e);
    expect(many.issues[0].message).toMatch(/^row 1:/);
    expect(await accounts.exists({ username: "ok_1" })).toBe(false);

    const networks = fx.db.repo("network");
    for (const range of ["10.0.0.0/8", "192.168.1.1", "2001:db8::/32", "::1/128"])
      await networks.create({ range });
    for (const range of ["10.0.0.0/33", "300.1.1.1/8", "2001:db8::/129", "not-a-cidr", "10.0.0.0/8/1"]) {
      expect(await networks.create({ range }).catch((e) => e)).toBeInstanceOf(ValidationError);
    }
    expect(await networks.count()).toBe(4);
  });
});
