/**
 * Repositories: typed CRUD from the declaration on every engine, read back the same way everywhere
 * (MySQL has no RETURNING), chunked bulk inserts, upserts, custom repositories, write hooks.
 */
import type { RowChange } from "plinth";
import { NotFoundError, Repository, rowsPerStatement, UniqueViolation } from "plinth";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import type { RepoSchema } from "./repo-fixture.js";
import { repoSchema, StatementCounter, useRepoDb } from "./repo-fixture.js";

/** The custom-repository pattern: a few table-specific lines, no plumbing. */
class AccountRepo extends Repository<RepoSchema, "account"> {
  byUsername(username: string) {
    return this.findOne({ username });
  }
  withoutEmail() {
    return this.findMany({ where: { email: null }, orderBy: "username" });
  }
}

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describeEngines("repository", (engine) => {
  const counter = new StatementCounter();
  const changes: RowChange[] = [];
  const fx = useRepoDb(engine, repoSchema, {
    plugins: [counter],
    hooks: {
      async afterWrite(_trx, change) {
        if (change.after?.username === "hook_fails") throw new Error("hook refused");
        changes.push(change);
      },
    },
  });

  it("creates and reads back rows, with generated keys and defaults", async () => {
    const accounts = fx.db.repo("account");
    const ann = await accounts.create({ username: "ann", email: "ann@example.com" });
    expect(ann).toMatchObject({ username: "ann", email: "ann@example.com" });
    expect(typeof ann.id).toBe("number");
    expect(ann.createdAt).toBeInstanceOf(Date);
    expect(await accounts.getById(ann.id)).toEqual(ann);
    expect(await accounts.getById(999_999)).toBeUndefined();
    const missing = await accounts.getByIdOrThrow(999_999).catch((e) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ table: "account", id: 999_999 });

    const token = await fx.db.repo("auth_token").create({ accountId: ann.id, label: "ci" });
    expect(token.id).toMatch(UUID_V7);
    expect(token).toMatchObject({ accountId: ann.id, realmId: null, label: "ci" });
  });

  it("filters by equality, IN, IS NULL and expressions; orders, limits, offsets, counts", async () => {
    const accounts = fx.db.repo("account");
    for (const u of ["f_a", "f_b", "f_c"])
      await accounts.create({ username: u, email: u === "f_b" ? null : `${u}@x.io` });
    expect((await accounts.findOne({ username: "f_b" }))?.email).toBeNull();
    const some = await accounts.findMany({
      where: { username: ["f_a", "f_c"] },
      orderBy: ["username", "desc"],
    });
    expect(some.map((a) => a.username)).toEqual(["f_c", "f_a"]);
    expect(await accounts.findMany({ where: { username: [] } })).toEqual([]);
    const nulls = await accounts.findMany({ where: { email: null, username: ["f_a", "f_b"] } });
    expect(nulls.map((a) => a.username)).toEqual(["f_b"]);
    const like = await accounts.findMany({
      where: (eb) => eb("username", "like", "f_%"),
      orderBy: "username",
      limit: 1,
      offset: 1,
    });
    expect(like.map((a) => a.username)).toEqual(["f_b"]);
    const skipped = await accounts.findMany({
      where: (eb) => eb("username", "like", "f_%"),
      orderBy: "username",
      offset: 2,
    });
    expect(skipped.map((a) => a.username)).toEqual(["f_c"]);
    expect(await accounts.count((eb) => eb("username", "like", "f_%"))).toBe(3);
    expect(await accounts.exists({ username: "f_c" })).toBe(true);
    expect(await accounts.exists({ username: "nobody" })).toBe(false);
  });

  it("updates one row, many rows, and deletes", async () => {
    const accounts = fx.db.repo("account");
    const bo = await accounts.create({ username: "bo" });
    const updated = await accounts.update(bo.id, { email: "bo@example.com" });
    expect(updated).toMatchObject({ id: bo.id, email: "bo@example.com" });
    expect(await accounts.update(999_999, { email: "x@y.zz" }).catch((e) => e)).toBeInstanceOf(NotFoundError);

    await accounts.create({ username: "um_1" });
    await accounts.create({ username: "um_2" });
    expect(await accounts.updateMany((eb) => eb("username", "like", "um_%"), { email: "same@x.io" })).toBe(2);
    expect(await accounts.count({ email: "same@x.io" })).toBe(2);
    expect(await accounts.updateMany({ username: "nobody" }, { email: "same@x.io" })).toBe(0);

    expect(await accounts.delete(bo.id)).toBe(true);
    expect(await accounts.delete(bo.id)).toBe(false);
    expect(await accounts.getById(bo.id)).toBeUndefined();
  });

  it("upserts by a unique column", async () => {
    const counters = fx.db.repo("counter");
    const first = await counters.upsert({ name: "hits", n: 1 }, { conflict: ["name"] });
    expect(first).toMatchObject({ name: "hits", n: 1, version: 1 });
    const second = await counters.upsert({ name: "hits", n: 5 }, { conflict: ["name"] });
    expect(second).toMatchObject({ id: first.id, name: "hits", n: 5, version: 2 });
    expect(await counters.count({ name: "hits" })).toBe(1);
  });

  it("createMany splits rows below the parameter limit, in one transaction", async () => {
    const bulk = fx.db.repo("bulk");
    const n = 25_000; // × 3 columns: over SQLite's 32766 and PostgreSQL/MySQL's 65535 parameters
    const rows = Array.from({ length: n }, (_, i) => ({ a: i, b: `r${i}`, c: i % 7 }));
    counter.reset();
    const created = await bulk.createMany(rows);
    expect(counter.count("InsertQueryNode")).toBe(Math.ceil(n / rowsPerStatement(engine.dialect, 3)));
    expect(counter.count("InsertQueryNode")).toBeGreaterThan(1);
    expect(created).toHaveLength(n);
    expect(created[0]).toMatchObject({ a: 0, b: "r0", c: 0 });
    expect(created[n - 1]).toMatchObject({ a: n - 1, b: `r${n - 1}` });
    expect(new Set(created.map((r) => r.id)).size).toBe(n);
    expect(await bulk.count()).toBe(n);
  });

  it("createMany rolls back every chunk when one row fails, with a typed error", async () => {
    const accounts = fx.db.repo("account");
    await accounts.create({ username: "dup" });
    const error = await accounts
      .createMany([{ username: "cm_1" }, { username: "cm_2", email: null }, { username: "dup" }])
      .catch((e) => e);
    expect(error).toBeInstanceOf(UniqueViolation);
    expect(error).toMatchObject({ table: "account", columns: ["username"] });
    expect(await accounts.count({ username: ["cm_1", "cm_2"] })).toBe(0);
  });

  it("custom repositories add queries with no plumbing", async () => {
    const accounts = new AccountRepo(fx.db, "account");
    await accounts.create({ username: "custom" });
    expect((await accounts.byUsername("custom"))?.username).toBe("custom");
    expect((await accounts.withoutEmail()).some((a) => a.username === "custom")).toBe(true);
  });

  it("calls write hooks inside the write's transaction; a failing hook undoes the write", async () => {
    const accounts = fx.db.repo("account");
    changes.length = 0;
    const cy = await accounts.create({ username: "cy" });
    await accounts.update(cy.id, { email: "cy@example.com" });
    await accounts.delete(cy.id);
    expect(changes.map((c) => [c.table, c.action, c.rowId])).toEqual([
      ["account", "create", String(cy.id)],
      ["account", "update", String(cy.id)],
      ["account", "delete", String(cy.id)],
    ]);
    expect(changes[1]?.before).toMatchObject({ email: null, username: "cy" });
    expect(changes[1]?.after).toMatchObject({ email: "cy@example.com", created_at: expect.any(Date) });
    expect(changes[2]?.after).toBeUndefined();

    await expect(accounts.create({ username: "hook_fails" })).rejects.toThrow("hook refused");
    expect(await accounts.exists({ username: "hook_fails" })).toBe(false);
  });
});
