/**
 * Hidden columns at the type level: a read returns them only when it asks with `withHidden: true`,
 * and the rows writes return never carry them, so code cannot read a password hash it never got.
 */
import type { Db, RowOf, VisibleRowOf } from "plinth";
import { col, schema, table } from "plinth/schema";
import { describe, expectTypeOf, it } from "vitest";

const member = table("member", {
  id: col.id(),
  email: col.varchar(100),
  passwordHash: col.password(),
  pin: col.varchar(10).hidden().nullable(),
});
const note = table("note", { id: col.id(), body: col.text() });
const app = schema({ member, note });
type App = typeof app;
declare const db: Db<App>;
const members = db.repo("member");

type Visible = { id: number; email: string };

describe("hidden columns in row types", () => {
  it("are left out of the default row and kept in the full one", () => {
    expectTypeOf<VisibleRowOf<App, "member">>().toEqualTypeOf<Visible>();
    expectTypeOf<RowOf<App, "member">>().toEqualTypeOf<{
      id: number;
      email: string;
      passwordHash: string;
      pin: string | null;
    }>();
    // A table without hidden columns reads the same either way.
    expectTypeOf<VisibleRowOf<App, "note">>().toEqualTypeOf<RowOf<App, "note">>();
  });

  it("follow withHidden on every read", async () => {
    expectTypeOf(await members.findOne({ email: "a" })).toEqualTypeOf<Visible | undefined>();
    expectTypeOf(await members.findOne({ email: "a" }, { withHidden: true })).toEqualTypeOf<
      RowOf<App, "member"> | undefined
    >();
    const row = await members.getByIdOrThrow(1);
    expectTypeOf(row.email).toEqualTypeOf<string>();
    // A read that did not ask for hidden columns has no such property, in its type either.
    // @ts-expect-error passwordHash is hidden
    void row.passwordHash;
    expectTypeOf(row).not.toHaveProperty("passwordHash");
    expectTypeOf(
      (await members.getByIdOrThrow(1, { withHidden: true })).passwordHash,
    ).toEqualTypeOf<string>();
    expectTypeOf((await members.findMany({ withHidden: true }))[0]!.pin).toEqualTypeOf<string | null>();
    expectTypeOf((await members.paginate({ page: 1, perPage: 10 })).items[0]!).not.toHaveProperty(
      "passwordHash",
    );
    expectTypeOf(
      (await members.paginate({ limit: 10, withHidden: true })).items[0]!.passwordHash,
    ).toEqualTypeOf<string>();
  });

  it("are never in the rows writes return", async () => {
    expectTypeOf(
      await members.create({ email: "a", passwordHash: "$argon2id$..." }),
    ).toEqualTypeOf<Visible>();
    expectTypeOf(await members.update(1, { email: "b" })).toEqualTypeOf<Visible>();
  });

  it("still filter a where", () => {
    expectTypeOf(members.findMany).toBeCallableWith({ where: { passwordHash: "x" } });
    expectTypeOf(members.findMany).toBeCallableWith({ where: (eb) => eb("pin", "=", "1") });
  });
});
