/**
 * The one-statement audited update on PostgreSQL: the audit row it writes must carry exactly the
 * `changes` that auditChanges() computes in JavaScript from the rows the driver reads, and the
 * statement must lock, check the version and the soft delete, and update in one go.
 */
import fc from "fast-check";
import type { CompiledQuery, Kysely } from "kysely";
import { sql } from "kysely";
import type { Db } from "plinth";
import { AUDIT_TABLE, auditLog, connect } from "plinth";
import type { TableModel } from "plinth/schema";
import { col, enumOf, schema, softDelete, table, timestamps, version } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { auditChanges, DEFAULT_REDACT_KEYS, keyMatcher } from "../../src/audit/redact.js";
import type { AuditedUpdateInput } from "../../src/audit/update-statement.js";
import { auditedUpdateStatement } from "../../src/audit/update-statement.js";
import { CodecPlugin } from "../../src/data/codec-plugin.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { withoutCodec } from "../helpers/insert.js";

const Mood = enumOf("mood", ["calm", "busy", "gone"]);

const thing = table(
  "thing",
  {
    id: col.id(),
    count: col.integer().nullable(),
    big: col.bigint().nullable(),
    label: col.varchar(40).nullable(),
    body: col.text().nullable(),
    flag: col.boolean().nullable(),
    amount: col.decimal(30, 4).nullable(),
    ratio: col.double().nullable(),
    seenAt: col.timestamp().nullable(),
    day: col.date().nullable(),
    ref: col.uuid().nullable(),
    mood: col.enum(Mood).nullable(),
    apiToken: col.varchar(80).secret().nullable(),
    pinHash: col.varchar(80).hidden().nullable(),
    settings: col.json().nullable(),
    ...timestamps(),
    ...softDelete(),
    ...version(),
  },
  { audit: true },
);

const pair = table(
  "pair",
  { owner: col.varchar(20), slot: col.bigint(), note: col.text(), ...version() },
  { audit: true, primaryKey: ["owner", "slot"] },
);

const testSchema = schema({ thing, pair, auditLog: auditLog() });
const model = (name: string) => testSchema.model.tables.find((t) => t.name === name)!;
const thingModel = model("thing");
const pairModel = model("pair");
const auditModel = model(AUDIT_TABLE);

const secretOf = (t: TableModel) => new Set(t.columns.filter((c) => c.secret || c.hidden).map((c) => c.name));
const nameOf = (t: TableModel, key: string) => t.columns.find((c) => c.key === key)!.name;

/** A row keyed by TypeScript key, as repositories return it, keyed by database name instead. */
const toColumnNames = (t: TableModel, row: Record<string, unknown>) =>
  Object.fromEntries(t.columns.map((c) => [c.name, row[c.key]]));

const context = {
  actorId: "7",
  actorName: "Ann Ö",
  actorRoles: JSON.stringify(["admin", "ops"]),
  requestId: "req-1",
  ip: "10.0.0.1",
  userAgent: "vitest",
};

/** The input for an update of `thing` through its TypeScript keys. */
function thingUpdate(
  id: unknown,
  patch: Record<string, unknown>,
  extra: Partial<AuditedUpdateInput> = {},
): AuditedUpdateInput {
  return {
    table: thingModel,
    auditTable: auditModel,
    set: Object.fromEntries(Object.entries(patch).map(([k, v]) => [nameOf(thingModel, k), v])),
    key: { id },
    version: "version",
    deletedAt: "deleted_at",
    secret: secretOf(thingModel),
    context,
    ...extra,
  };
}

/** The changes JavaScript writes: auditChanges(), through JSON as AuditTrail stores it. */
function expectedChanges(t: TableModel, before: Record<string, unknown>, after: Record<string, unknown>) {
  const changes = auditChanges(
    t,
    { action: "update", before: toColumnNames(t, before), after: toColumnNames(t, after) },
    keyMatcher(DEFAULT_REDACT_KEYS),
  );
  return JSON.parse(JSON.stringify(changes));
}

describe("auditedUpdateStatement without a database", () => {
  const encryptedTable = table("vault", { id: col.id(), code: col.encrypted().nullable() }, { audit: true });
  const dateKeyed = table("daily", { day: col.date().primaryKey(), n: col.integer() }, { audit: true });
  const other = schema({ encryptedTable, dateKeyed, auditLog: auditLog() }).model.tables;
  const vault = other.find((t) => t.name === "vault")!;
  const daily = other.find((t) => t.name === "daily")!;

  it("declines patches whose audit value SQL cannot reproduce", () => {
    expect(auditedUpdateStatement(thingUpdate(1, { count: 2 }))).toBeDefined();
    expect(auditedUpdateStatement(thingUpdate(1, { settings: '{"a":1}' }))).toBeUndefined();
    const encrypted = { ...thingUpdate(1, {}), table: vault, version: undefined, deletedAt: undefined };
    expect(auditedUpdateStatement({ ...encrypted, set: { code: "v1:ciphertext" } })).toBeUndefined();
    expect(auditedUpdateStatement({ ...encrypted, set: { id: 2 } })).toBeUndefined();
    // A key whose text form is not JavaScript's String() of the driver's value.
    const byDay = { ...encrypted, table: daily, key: { day: "2024-01-01" } };
    expect(auditedUpdateStatement({ ...byDay, set: { n: 1 } })).toBeUndefined();
    // Values that are not plain: objects, arrays, functions, Kysely expressions.
    expect(auditedUpdateStatement(thingUpdate(1, { label: { a: 1 } }))).toBeUndefined();
    expect(auditedUpdateStatement(thingUpdate(1, { label: ["a"] }))).toBeUndefined();
    expect(auditedUpdateStatement(thingUpdate(1, { label: () => "a" }))).toBeUndefined();
    // Dates PGlite cannot write or read back as they are.
    expect(
      auditedUpdateStatement(thingUpdate(1, { seenAt: new Date("0050-01-01T00:00:00Z") })),
    ).toBeUndefined();
    expect(auditedUpdateStatement(thingUpdate(1, { seenAt: new Date(Number.NaN) }))).toBeUndefined();
    // The version moves by itself; the key cannot move; unknown columns and partial keys are refused.
    expect(auditedUpdateStatement(thingUpdate(1, { version: 9 }))).toBeUndefined();
    expect(auditedUpdateStatement(thingUpdate(1, { id: 9 }))).toBeUndefined();
    expect(auditedUpdateStatement({ ...thingUpdate(1, {}), set: { nope: 1 } })).toBeUndefined();
    expect(auditedUpdateStatement({ ...thingUpdate(1, { count: 1 }), key: {} })).toBeUndefined();
    // expectedVersion without a version column.
    const unversioned = { ...thingUpdate(1, { count: 1 }), version: undefined, expectedVersion: 1 };
    expect(auditedUpdateStatement(unversioned)).toBeUndefined();
  });

  it("compiles one statement per shape and fills in each call's values", () => {
    const a = auditedUpdateStatement(thingUpdate(1, { count: 2, label: "x" }, { expectedVersion: 3 }))!;
    const b = auditedUpdateStatement(thingUpdate(5, { count: 4, label: "y" }, { expectedVersion: 8 }))!;
    expect(b.sql).toBe(a.sql);
    expect(a.sql).toMatch(/^with "plinth_before" as \(select \* from "thing" where "thing"\."id" = \$\d+/);
    expect(a.sql).toContain("for update");
    expect(a.sql).toContain('"version" = "thing"."version" + 1');
    expect(a.sql).toContain('"thing"."deleted_at" is null');
    expect(b.parameters).toEqual([5, 8, 4, "y", "thing", ...Object.values(context)]);
    const unchecked = auditedUpdateStatement(thingUpdate(5, { count: 4, label: "y" }))!;
    expect(unchecked.sql).not.toBe(a.sql);
    expect(unchecked.parameters).toEqual([5, 4, "y", "thing", ...Object.values(context)]);
  });
});

const maxSafe = BigInt(Number.MAX_SAFE_INTEGER);
/** PostgreSQL text holds neither NUL nor a lone surrogate (which \p{Cs} matches under the u flag). */
const wellFormed = (s: string) => !s.includes("\u0000") && !/\p{Cs}/u.test(s);
const text = (maxLength: number) =>
  fc.oneof(fc.string({ maxLength }), fc.string({ maxLength, unit: "binary" })).filter(wellFormed);
const instant = fc.date({
  min: new Date("1000-01-01T00:00:00.000Z"),
  max: new Date("9999-12-31T23:59:59.999Z"),
  noInvalidDate: true,
});

/** A random patch of `thing` (TypeScript keys, values as an application passes them). */
const patchArb = fc.record(
  {
    count: fc.option(fc.oneof(fc.integer(), fc.constantFrom(0, 1, -1))),
    big: fc.option(
      fc.oneof(
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
        fc.bigInt({ min: -maxSafe - 2n, max: maxSafe + 2n }).map(String),
        fc.maxSafeInteger(),
        fc.constantFrom(0, 42),
      ),
    ),
    label: fc.option(fc.oneof(text(40), fc.constantFrom("a", "Zoë 🚀"))),
    body: fc.option(text(200)),
    flag: fc.option(fc.boolean()),
    amount: fc.option(
      fc.oneof(
        fc
          .tuple(
            fc.boolean(),
            fc.bigInt({ min: 0n, max: 10n ** 26n - 1n }),
            fc.integer({ min: 0, max: 9999 }),
          )
          .map(([neg, i, f]) => `${neg ? "-" : ""}${i}.${String(f).padStart(4, "0")}`),
        fc.constantFrom("-0.0001", "12.5", 3.25, -7),
      ),
    ),
    ratio: fc.option(
      fc.oneof(
        fc.double(),
        fc.constantFrom(
          0.1,
          1e21,
          -1e-7,
          5e-324,
          -0,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          1.7976931348623157e308,
        ),
      ),
    ),
    seenAt: fc.option(fc.oneof(instant, fc.constantFrom(new Date("2024-02-29T12:34:56.789Z")))),
    day: fc.option(instant.map((d) => d.toISOString().slice(0, 10))),
    ref: fc.option(fc.uuid().chain((u) => fc.constantFrom(u, u.toUpperCase()))),
    mood: fc.option(fc.constantFrom(...Mood.values)),
    apiToken: fc.option(fc.constantFrom("tok-1", "tok-2")),
    pinHash: fc.option(fc.constantFrom("h1", "h2")),
  },
  { requiredKeys: [] },
);

/** Columns set back to the value they hold, so "unchanged" is exercised on every kind. */
const sameArb = fc.subarray([
  "count",
  "big",
  "label",
  "body",
  "flag",
  "amount",
  "ratio",
  "seenAt",
  "day",
  "ref",
  "mood",
  "apiToken",
  "pinHash",
]);

type AnyRow = Record<string, unknown>;

describeEngines("auditedUpdateStatement (PostgreSQL only)", (engine) => {
  const pgOnly = engine.dialect !== "postgres";
  const reason = "PostgreSQL only: the statement uses data-modifying CTEs and FOR UPDATE";
  if (pgOnly) {
    it.skip(`${reason}; not run on ${engine.name}`, () => {});
    return;
  }
  const fx = useFreshDb(engine, testSchema);

  const k = () => fx.db.kysely as unknown as Kysely<any>;
  const run = (q: CompiledQuery, on: Kysely<any> = k()) => on.executeQuery<AnyRow>(q);
  const decode = (t: string, row: AnyRow) => {
    const codec = (k().getExecutor().plugins as unknown[]).find(
      (p) => p instanceof CodecPlugin,
    ) as CodecPlugin;
    return codec.rowDecoder(t, Object.keys(row))(row);
  };
  const current = (id: unknown) =>
    fx.db.repo("thing").getById(id as number, { withHidden: true }) as Promise<AnyRow>;
  const auditRows = () => k().selectFrom(AUDIT_TABLE).selectAll().orderBy("id").execute();
  // Rows are seeded past the codec: the statement must handle whatever a row holds, including
  // values plinth's own writes refuse (bigints beyond 2^53, NaN) that reached it some other way.
  const raw = () => withoutCodec(k());
  const create = (values: AnyRow = {}) =>
    raw()
      .insertInto("thing")
      .values({ label: "start", count: 1, apiToken: "tok-1", pinHash: "h1", ...values })
      .returning("id")
      .executeTakeFirstOrThrow()
      .then((r) => r.id as number);

  it("writes the changes auditChanges() computes, for random patches of every kind", async () => {
    const id = await create({
      big: "9007199254740993",
      amount: "-1.5000",
      ratio: 0.1,
      day: "2020-01-01",
      settings: JSON.stringify({ password: "kept out of changes: never set, so never changed" }),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(patchArb, sameArb, async (patch, same) => {
        const before = await current(id);
        const values: AnyRow = { ...patch };
        for (const key of same) values[key] = before[key];
        if (Object.keys(values).length === 0) values.count = before.count;
        const auditsBefore = (await auditRows()).length;

        const statement = auditedUpdateStatement(
          thingUpdate(id, values, { expectedVersion: before.version as number }),
        );
        expect(statement).toBeDefined();
        const { rows } = await run(statement!);
        expect(rows).toHaveLength(1);
        const after = await current(id);
        expect(decode("thing", rows[0]!)).toEqual(after);
        expect(after.version).toBe((before.version as number) + 1);

        const audits = await auditRows();
        expect(audits).toHaveLength(auditsBefore + 1);
        const audit = audits.at(-1)!;
        expect(audit.changes).toEqual(expectedChanges(thingModel, before, after));
        expect(audit).toMatchObject({
          tableName: "thing",
          rowId: String(id),
          action: "update",
          actorId: "7",
          actorName: "Ann Ö",
          actorRoles: ["admin", "ops"],
          requestId: "req-1",
          ip: "10.0.0.1",
          userAgent: "vitest",
        });
        runs++;
      }),
      { numRuns: engine.name === "pglite" ? 60 : 80 },
    );
    expect(runs).toBeGreaterThan(0);
  });

  it("reports a changed secret as changed, both sides redacted; an unchanged one not at all", async () => {
    const id = await create({ apiToken: "tok-1", pinHash: null });
    await run(auditedUpdateStatement(thingUpdate(id, { apiToken: "tok-2", pinHash: "h2", count: 1 }))!);
    const audit = (await auditRows()).at(-1)!;
    const changes = audit.changes as AnyRow;
    expect(changes.api_token).toEqual({ old: "[redacted]", new: "[redacted]" });
    expect(changes.pin_hash).toEqual({ old: null, new: "[redacted]" });
    expect(changes).not.toHaveProperty("count");
    expect(changes.version).toEqual({ old: 1, new: 2 });
  });

  it("changes nothing and writes no audit row for a stale version, a missing row or a soft-deleted row", async () => {
    const id = await create();
    const before = await current(id);
    const audits = (await auditRows()).length;

    const stale = await run(auditedUpdateStatement(thingUpdate(id, { label: "x" }, { expectedVersion: 5 }))!);
    expect(stale.rows).toEqual([]);
    const missing = await run(auditedUpdateStatement(thingUpdate(id + 1000, { label: "x" }))!);
    expect(missing.rows).toEqual([]);
    expect(await current(id)).toEqual(before);
    expect(await auditRows()).toHaveLength(audits);

    await k().updateTable("thing").set({ deletedAt: new Date() }).where("id", "=", id).execute();
    const deleted = await run(auditedUpdateStatement(thingUpdate(id, { label: "x" }))!);
    expect(deleted.rows).toEqual([]);
    const row = (await k().selectFrom("thing").selectAll().where("id", "=", id).executeTakeFirst())!;
    expect(row.label).toBe("start");
    expect(row.version).toBe(before.version);
    expect(await auditRows()).toHaveLength(audits);

    // Without the soft-delete condition the same row is updated: the condition is what stopped it.
    const anyway = await run(
      auditedUpdateStatement(thingUpdate(id, { label: "x" }, { deletedAt: undefined }))!,
    );
    expect(anyway.rows).toHaveLength(1);
    expect(await auditRows()).toHaveLength(audits + 1);
  });

  it("updates a row with a composite key and names it by both key columns", async () => {
    const big = "9223372036854775807";
    await raw()
      .insertInto("pair")
      .values([
        { owner: "ann", slot: big, note: "one" },
        { owner: "ann", slot: 2, note: "two" },
      ])
      .execute();
    const statement = auditedUpdateStatement({
      table: pairModel,
      auditTable: auditModel,
      set: { note: "uno" },
      key: { owner: "ann", slot: big },
      version: "version",
      expectedVersion: 1,
      secret: new Set(),
      context: { ...context, actorRoles: null },
    })!;
    const { rows } = await run(statement);
    expect(rows.map((r) => decode("pair", r))).toEqual([
      { owner: "ann", slot: big, note: "uno", version: 2 },
    ]);
    const other = await k().selectFrom("pair").select("note").where("slot", "=", 2).executeTakeFirstOrThrow();
    expect(other.note).toBe("two");
    const audit = (await auditRows()).at(-1)!;
    expect(audit).toMatchObject({ tableName: "pair", rowId: `ann,${big}`, actorRoles: null });
    expect(audit.changes).toEqual({ note: { old: "one", new: "uno" }, version: { old: 1, new: 2 } });
  });

  it.skipIf(engine.name !== "postgres")(
    "renders years beyond 9999, BC years and infinity as toISOString() of the driver's value (postgres only: PGlite misreads them)",
    async () => {
      for (const stored of [
        "10000-01-01 00:00:00.123+00",
        "0001-06-01 12:00:00+00 BC",
        "infinity",
        "-infinity",
      ]) {
        const id = await create();
        await sql`update thing set seen_at = ${stored}::timestamptz where id = ${id}`.execute(k());
        const before = await current(id);
        await run(auditedUpdateStatement(thingUpdate(id, { seenAt: new Date("2024-05-06T07:08:09.010Z") }))!);
        const after = await current(id);
        const audit = (await auditRows()).at(-1)!;
        expect(audit.changes).toEqual(expectedChanges(thingModel, before, after));
        expect((audit.changes as AnyRow).seen_at).toMatchObject({ new: "2024-05-06T07:08:09.010Z" });
      }
    },
  );

  it.skipIf(engine.name !== "postgres")(
    "lets one of two concurrent updates at the same version win (postgres only: PGlite has one connection)",
    async () => {
      const id = await create();
      const second: Db<typeof testSchema> = await connect(fx.url, testSchema, { retry: { attempts: 1 } });
      try {
        const audits = (await auditRows()).length;
        const attempt = (db: Db<typeof testSchema>, label: string) =>
          (db.kysely as unknown as Kysely<any>).transaction().execute(async (trx) => {
            const { rows } = await run(
              auditedUpdateStatement(thingUpdate(id, { label }, { expectedVersion: 1 }))!,
              trx,
            );
            // Hold the lock a while, so the other statement has to wait for this commit.
            await new Promise((r) => setTimeout(r, 150));
            return rows.length;
          });
        const results = await Promise.all([attempt(fx.db, "first"), attempt(second, "second")]);
        expect(results.sort()).toEqual([0, 1]);
        const row = await current(id);
        expect(row.version).toBe(2);
        const mine = (await auditRows()).filter((a) => a.rowId === String(id));
        expect(mine).toHaveLength(1);
        expect((await auditRows()).length).toBe(audits + 1);
        expect(mine[0]!.changes).toMatchObject({ label: { old: "start", new: row.label } });
      } finally {
        await second.close();
      }
    },
  );
});
