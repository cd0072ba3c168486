/**
 * `update` has several paths (SQLite's driver, a prepared statement on a PostgreSQL server, the
 * one-statement audited update, a Kysely transaction). Whatever path a patch takes, the row it
 * returns must be the row a fresh read returns, and an audited update's audit row must carry what
 * auditChanges() computes from the rows before and after. Random patches over every column type.
 */
import fc from "fast-check";
import type { Kysely } from "kysely";
import type { Db } from "plinth";
import { AUDIT_TABLE, AuditTrail, auditLog, withAuditContext } from "plinth";
import type { TableModel } from "plinth/schema";
import { col, enumOf, schema, table, timestamps, version } from "plinth/schema";
import { expect, it } from "vitest";
import { auditChanges, DEFAULT_REDACT_KEYS, keyMatcher } from "../../src/audit/redact.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { StatementCounter } from "../helpers/statement-counter.js";

const Tier = enumOf("tier", ["free", "team", "enterprise"]);
const accountColumns = () => ({
  id: col.id(),
  label: col.varchar(40),
  note: col.text().nullable(),
  visits: col.integer().nullable(),
  big: col.bigint().nullable(),
  active: col.boolean().nullable(),
  balance: col.decimal(12, 2).nullable(),
  ratio: col.double().nullable(),
  seenAt: col.timestamp().nullable(),
  birthday: col.date().nullable(),
  ref: col.uuid().nullable(),
  tier: col.enum(Tier).nullable(),
  apiKey: col.varchar(80).secret().nullable(),
  pinHash: col.varchar(80).hidden().nullable(),
  profile: col.json<Record<string, unknown>>().nullable(),
  totpSecret: col.encrypted().nullable(),
  ...version(),
  ...timestamps(),
});
const account = table("account", accountColumns(), { audit: true });
// The same columns where no hook observes the table: SQLite's one-row writes run whole on the driver.
const ledger = table("ledger", accountColumns());
const app = schema({ account, ledger, auditLog: auditLog() });
const model: TableModel = app.model.tables.find((t) => t.name === "account")!;

const instant = fc
  .date({ min: new Date("1970-01-02T00:00:00Z"), max: new Date("2999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((d) => new Date(Math.floor(d.getTime())));
const text = (max: number) =>
  fc.string({ unit: "grapheme", maxLength: max }).filter((s) => !s.includes("\u0000"));

const patchArb = fc.record(
  {
    label: fc.oneof(text(40), fc.constantFrom("a", "Zoë 🚀")),
    note: fc.option(text(200)),
    visits: fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
    big: fc.option(fc.maxSafeInteger()),
    active: fc.option(fc.boolean()),
    balance: fc.option(
      fc
        .tuple(fc.boolean(), fc.integer({ min: 0, max: 10 ** 9 }), fc.integer({ min: 0, max: 99 }))
        .map(([neg, i, f]) => `${neg && i + f > 0 ? "-" : ""}${i}.${String(f).padStart(2, "0")}`),
    ),
    ratio: fc.option(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 })),
    seenAt: fc.option(instant),
    birthday: fc.option(instant.map((d) => d.toISOString().slice(0, 10))),
    ref: fc.option(fc.uuid()),
    tier: fc.option(fc.constantFrom(...Tier.values)),
    apiKey: fc.option(fc.constantFrom("key-1", "key-2")),
    pinHash: fc.option(fc.constantFrom("h1", "h2")),
    profile: fc.option(
      fc.record({ colour: fc.constantFrom("red", "blue"), password: fc.constantFrom("p1", "p2") }),
    ),
    totpSecret: fc.option(fc.constantFrom("JBSWY3DPEHPK3PXP", "KRSXG5CTMVRXEZLU")),
  },
  { requiredKeys: [] },
);

const byName = (row: Record<string, unknown>) =>
  Object.fromEntries(model.columns.map((c) => [c.name, row[c.key]]));

/** -0 reads back as 0 on some engines; the comparison is about the value a caller sees. */
const normalise = (row: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Object.is(v, -0) ? 0 : v]));

describeEngines("update paths agree", (engine) => {
  const plain = useFreshDb(engine, app);
  const audited = useFreshDb(engine, app, { connect: { hooks: new AuditTrail({ schema: app }) } });

  async function check(
    db: Db<typeof app>,
    withAudit: boolean,
    runs: number,
    name: "account" | "ledger" = "account",
  ) {
    const accounts = db.repo(name as "account");
    const { id } = await accounts.create({ label: "start" });
    await fc.assert(
      fc.asyncProperty(patchArb, async (patch) => {
        const before = await accounts.getByIdOrThrow(id, { withHidden: true });
        const update = () => accounts.update(id, patch, { expectedVersion: before.version });
        const returned = withAudit
          ? await withAuditContext({ actor: { id: 3, name: "eve" } }, update)
          : await update();
        const after = await accounts.getByIdOrThrow(id, { withHidden: true });
        const { pinHash: _hidden, ...visible } = after;
        expect(normalise(returned)).toEqual(normalise(visible));
        expect(after.version).toBe(before.version + 1);
        if (!withAudit) return;
        const [audit] = await (db.kysely as Kysely<any>)
          .selectFrom(AUDIT_TABLE)
          .selectAll()
          .orderBy("id", "desc")
          .limit(1)
          .execute();
        const expected = auditChanges(
          model,
          { action: "update", before: byName(before), after: byName(after) },
          keyMatcher(DEFAULT_REDACT_KEYS),
        );
        expect(audit?.changes).toEqual(JSON.parse(JSON.stringify(expected)));
        expect(audit).toMatchObject({ rowId: String(id), action: "update", actorId: "3", actorName: "eve" });
      }),
      { numRuns: runs },
    );
  }

  it("the returned row is the row a fresh read returns, without hooks", async () => {
    await check(plain.db, false, engine.name === "pglite" ? 25 : 40);
    await check(plain.db, false, engine.name === "pglite" ? 25 : 40, "ledger");
  });

  it("and with the audit trail, whose audit row matches auditChanges()", async () => {
    await check(audited.db, true, engine.name === "pglite" ? 25 : 40);
  });
});

/** Leaves out what two databases fill in at different moments. */
const comparable = (row: Record<string, unknown> | undefined) => {
  if (!row) return row;
  const { createdAt: _c, updatedAt: _u, ...rest } = normalise(row);
  return rest;
};

const rowArb = patchArb.map((p) => ({ label: "row", ...p }));

/**
 * Inserts, bulk inserts, versioned updates and lists run as statements compiled once per shape
 * (see WriteStatements and ListReader). A handle with an extra plugin takes none of those shortcuts:
 * every statement is built with the query builder. The same operations on two fresh databases must
 * return the same rows and throw the same typed errors, and write the same audit rows.
 */
describeEngines("compiled statements agree with the query builder", (engine) => {
  const trail = () => ({ hooks: new AuditTrail({ schema: app }) });
  const compiled = useFreshDb(engine, app);
  const built = useFreshDb(engine, app, { connect: { plugins: [new StatementCounter()] } });
  const compiledAudited = useFreshDb(engine, app, { connect: trail() });
  const builtAudited = useFreshDb(engine, app, {
    connect: { ...trail(), plugins: [new StatementCounter()] },
  });

  /** One sequence of writes and reads; what each step returned or threw. */
  async function sequence(
    db: Db<typeof app>,
    rows: Record<string, unknown>[],
    patch: Record<string, unknown>,
    name: "account" | "ledger" = "account",
  ) {
    // Both tables have the same columns: the ledger's repository has the account's types.
    const accounts = db.repo(name as "account");
    const out: unknown[] = [];
    const step = async (fn: () => Promise<unknown>) => {
      try {
        const value = await fn();
        out.push(Array.isArray(value) ? value.map((r) => comparable(r)) : comparable(value as any));
      } catch (error) {
        out.push({ error: (error as Error).constructor.name, ...(error as object) });
      }
    };
    const run = () =>
      withAuditContext({ actor: { id: 1, name: "ann" } }, async () => {
        const first = await accounts.create(rows[0] as never);
        out.push(comparable(first));
        await step(() => accounts.createMany(rows as never));
        await step(() => accounts.update(first.id, patch, { expectedVersion: first.version }));
        await step(() => accounts.update(first.id, patch, { expectedVersion: first.version }));
        await step(() => accounts.update(-1, patch));
        await step(() =>
          accounts.findMany({
            where: { label: rows[0]!.label as string, active: (rows[0]!.active ?? null) as boolean | null },
            orderBy: [["id", "desc"]],
            limit: 3,
          }),
        );
        await step(() =>
          accounts.findMany({ where: { id: [first.id, first.id + 1, -5] }, withHidden: true }),
        );
        await step(() => accounts.findMany({ where: { tier: [] }, offset: 1 }));
        await step(() => accounts.create({ ...rows[0], visits: 2 ** 40 } as never));
        await step(() => accounts.createMany([rows[0], { ...rows[0], tier: "gold" }] as never));
      });
    await run();
    return out;
  }

  async function audit(db: Db<typeof app>) {
    const rows = await (db.kysely as Kysely<any>).selectFrom(AUDIT_TABLE).selectAll().orderBy("id").execute();
    return rows.map((r) => {
      const { id: _id, createdAt: _at, changes, ...rest } = r;
      const { created_at: _c, updated_at: _u, ...kept } = changes as Record<string, unknown>;
      return { ...rest, changes: kept };
    });
  }

  it("returns the same rows and errors, with and without the audit trail", async () => {
    const runs = engine.name === "pglite" ? 6 : 12;
    await fc.assert(
      fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 3 }), patchArb, async (rows, patch) => {
        expect(await sequence(compiled.db, rows, patch)).toEqual(await sequence(built.db, rows, patch));
        expect(await sequence(compiled.db, rows, patch, "ledger")).toEqual(
          await sequence(built.db, rows, patch, "ledger"),
        );
        expect(await sequence(compiledAudited.db, rows, patch)).toEqual(
          await sequence(builtAudited.db, rows, patch),
        );
      }),
      { numRuns: runs },
    );
    expect(await audit(compiledAudited.db)).toEqual(await audit(builtAudited.db));
  });

  // The compiled statements convert values without running the codec's checks again (the Validator
  // ran them in prepareInsert and prepareUpdate): each hostile value must still be refused alike.
  const HOSTILE: Record<string, unknown>[] = [
    { label: "x".repeat(41) },
    { label: 7 },
    { label: "\uD800 lone surrogate" },
    { note: "nul \u0000 inside" },
    { visits: 1.5 },
    { visits: "7" },
    { visits: 2 ** 40 },
    { big: 2 ** 60 },
    { active: "yes" },
    { balance: "12.345" },
    { balance: "abc" },
    { ratio: Number.NaN },
    { ratio: Number.POSITIVE_INFINITY },
    { seenAt: new Date(Number.NaN) },
    { seenAt: "yesterday" },
    { birthday: "2024-13-40" },
    { ref: "not-a-uuid" },
    { tier: "platinum" },
    { profile: { n: 1n } },
    { totpSecret: 42 },
    { nope: 1 },
  ];

  it("refuses each hostile value with the same typed error on every write", async () => {
    const outcomes = async (db: Db<typeof app>) => {
      const out: unknown[] = [];
      for (const name of ["account", "ledger"] as const) {
        const accounts = db.repo(name as "account");
        const first = await accounts.create({ label: "start" });
        for (const bad of HOSTILE) {
          for (const write of [
            () => accounts.create({ label: "row", ...bad } as never),
            () => accounts.createMany([{ label: "ok" }, { label: "row", ...bad }] as never),
            () => accounts.update(first.id, bad as never, { expectedVersion: first.version }),
          ]) {
            const failed = await write().then(
              () => undefined,
              (e: Error) => ({ error: e.constructor.name, ...(e as object) }),
            );
            out.push({ table: name, bad: Object.keys(bad)[0], failed });
          }
        }
      }
      return out;
    };
    const fromCompiled = await outcomes(compiled.db);
    expect(fromCompiled).toEqual(await outcomes(built.db));
    for (const outcome of fromCompiled as { bad: string; failed?: { error: string } }[])
      expect(outcome.failed?.error, outcome.bad).toBe("ValidationError");
  });
});
