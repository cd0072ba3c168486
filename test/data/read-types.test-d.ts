/**
 * What the compiler knows about reads: a misspelt column in `where`, `orderBy` or a findMany option,
 * or a relation the table does not have in `include`, does not compile; the relations a read
 * includes are on its rows with their types (and only those); a page's `meta.nextCursor` goes
 * straight back as the next page's `after`. Under `tsc --init`'s settings the same is checked by
 * test/types/strict-consumer.test.ts, against the built package.
 */
import type { Db, VisibleRowOf } from "plinth";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expectTypeOf, it } from "vitest";

const account = table("account", {
  id: col.id(),
  username: col.varchar(40),
  passwordHash: col.password(),
});
const category = table("category", { id: col.id(), label: col.varchar(40) });
const realm = table("realm", {
  id: col.id(),
  accountId: ref(() => account.id, { onDelete: "cascade" }),
  categoryId: ref(() => category.id).nullable(),
  name: col.varchar(80),
});
const transfer = table("transfer", {
  id: col.id(),
  fromAccountId: ref(() => account.id),
  toAccountId: ref(() => account.id),
  amount: col.integer(),
});
const userActions = table("user_actions", { id: col.id(), accountId: ref(() => account.id).nullable() });
const app = schema({ account, category, realm, transfer, userActions });
type App = typeof app;
declare const db: Db<App>;

type Account = VisibleRowOf<App, "account">;
type Realm = VisibleRowOf<App, "realm">;

describe("misspelt names do not compile", () => {
  it("in where, orderBy and the options of findMany", () => {
    const realms = db.repo("realm");
    void realms.findMany({ where: { name: "a" }, orderBy: ["name", ["id", "desc"]], limit: 5 });
    // @ts-expect-error nmae is no column of realm
    void realms.findMany({ where: { nmae: "a" } });
    // @ts-expect-error nmae is no column of realm
    void realms.findMany({ orderBy: "nmae" });
    // @ts-expect-error nmae is no column of realm
    void realms.findMany({ orderBy: [["nmae", "desc"]] });
    // @ts-expect-error limt is no option
    void realms.findMany({ limt: 5 });
    // @ts-expect-error nmae is no column of realm
    void realms.findOne({ nmae: "a" });
    // @ts-expect-error nmae is no column of realm
    void realms.paginate({ page: 1, perPage: 10, orderBy: "nmae" });
    // @ts-expect-error nmae is no column of realm
    void realms.count({ nmae: "a" });
  });

  it("in include: only the table's relations", () => {
    void db.repo("realm").findMany({ include: ["account", "category"] });
    // @ts-expect-error accounts is no relation of realm (account is)
    void db.repo("realm").findMany({ include: ["accounts"] });
    // @ts-expect-error realm is no relation of account (realms is)
    void db.repo("account").getById(1, { include: { realm: true } });
    // @ts-expect-error transfers has two keys to account, so each has its own name
    void db.repo("account").findMany({ include: ["transfers"] });
  });
});

describe("included relations are typed on the rows", () => {
  it("belongs-to: the row or null; has-many: an array; nothing that was not included", async () => {
    const [r] = await db.repo("realm").findMany({ include: ["account", "category"] });
    expectTypeOf(r!.account).toEqualTypeOf<Account | null>();
    expectTypeOf(r!.category).toEqualTypeOf<VisibleRowOf<App, "category"> | null>();
    expectTypeOf(r!.name).toEqualTypeOf<string>();

    const a = await db.repo("account").getByIdOrThrow(1, { include: ["realms", "userActions"] });
    expectTypeOf(a.realms).toEqualTypeOf<Realm[]>();
    expectTypeOf(a.userActions).toEqualTypeOf<VisibleRowOf<App, "user_actions">[]>();
    // @ts-expect-error not included
    void a.transfersByFromAccountId;
    const plain = await db.repo("account").getByIdOrThrow(1);
    // @ts-expect-error nothing was included
    void plain.realms;
  });

  it("names follow the runtime rule: plural children, <children>By<Key> for several keys", async () => {
    const a = await db
      .repo("account")
      .findOne({ username: "ann" })
      .then(() => db.repo("account").getByIdOrThrow(1, { include: { transfersByFromAccountId: true } }));
    expectTypeOf(a.transfersByFromAccountId).toEqualTypeOf<VisibleRowOf<App, "transfer">[]>();
    const c = await db.repo("category").getByIdOrThrow(1, { include: ["realms"] });
    expectTypeOf(c.realms).toEqualTypeOf<Realm[]>();
  });

  it("withHidden reaches the included rows' types too", async () => {
    const [r] = await db.repo("realm").findMany({ include: ["account"], withHidden: true });
    expectTypeOf(r!.account!.passwordHash).toEqualTypeOf<string>();
    const [v] = await db.repo("realm").findMany({ include: ["account"] });
    expectTypeOf(v!.account!).not.toHaveProperty("passwordHash");
  });

  it("pages carry them too, and meta.nextCursor is the next page's after", async () => {
    const first = await db.repo("account").paginate({ limit: 20, orderBy: "username", include: ["realms"] });
    expectTypeOf(first.items[0]!.realms).toEqualTypeOf<Realm[]>();
    const next = await db
      .repo("account")
      .paginate({ limit: 20, orderBy: "username", after: first.meta.nextCursor });
    expectTypeOf(next.meta.nextCursor).toEqualTypeOf<string | undefined>();
    const byPage = await db.repo("realm").paginate({ page: 2, perPage: 10, include: ["account"] });
    expectTypeOf(byPage.items[0]!.account).toEqualTypeOf<Account | null>();
  });
});
