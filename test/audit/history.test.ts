/**
 * History by entity, by actor and by time range: newest first, and each query's plan uses the index
 * auditLog() declares for it (EXPLAIN on every engine, over a few thousand rows).
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { AUDIT_TABLE, auditHistory, installAuditTrail } from "plinth";
import { queryPlan } from "plinth/review";
import { beforeAll, expect, it } from "vitest";
import { historyQueries } from "../../src/audit/history.js";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";
import { auditSchema } from "./fixture.js";

const ROWS = 3000;
const T0 = Date.UTC(2026, 0, 1);
const minute = 60_000;
/** Row i: account (i % 300), actor (i % 50), one minute after row i - 1. */
const at = (i: number) => new Date(T0 + i * minute);

const INDEX = {
  entity: "ix_plinth_audit_log_table_name_row_id_created_at",
  actor: "ix_plinth_audit_log_actor_id_created_at",
  time: "ix_plinth_audit_log_created_at",
};

describeEngines("audit history", (engine) => {
  const fx = useFreshDb(engine, auditSchema);

  beforeAll(async () => {
    await installAuditTrail(fx.db);
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      tableName: i % 7 === 0 ? "note" : "account",
      rowId: String(i % 300),
      action: (i < 300 ? "create" : "update") as "create" | "update",
      changes: { n: i },
      actorId: String(i % 50),
      actorName: `user-${i % 50}`,
      createdAt: at(i),
    }));
    for (let i = 0; i < rows.length; i += 500) {
      await fx.db.kysely
        .insertInto(AUDIT_TABLE)
        .values(rows.slice(i, i + 500))
        .execute();
    }
    // Fresh statistics, so the planners judge the indexes on real numbers.
    if (engine.dialect === "postgres") await sql.raw(`ANALYZE ${AUDIT_TABLE}`).execute(fx.db.kysely);
    if (engine.dialect === "mysql") await sql.raw(`ANALYZE TABLE ${AUDIT_TABLE}`).execute(fx.db.kysely);
    if (engine.dialect === "sqlite") await sql.raw("ANALYZE").execute(fx.db.kysely);
  });

  const ns = (entries: { changes: Record<string, unknown> }[]) => entries.map((e) => e.changes.n);

  it("forEntity: every change to one row, newest first", async () => {
    const got = await auditHistory(fx.db).forEntity("account", 5);
    const want = Array.from({ length: ROWS }, (_, i) => i)
      .filter((i) => i % 300 === 5 && i % 7 !== 0)
      .reverse();
    expect(ns(got)).toEqual(want);
    expect(got[0]).toMatchObject({ tableName: "account", rowId: "5", actorId: String(want[0]! % 50) });
    expect(got[0]?.createdAt).toEqual(at(want[0]!));
    expect(ns(await auditHistory(fx.db).forEntity("account", "5", { limit: 2 }))).toEqual(want.slice(0, 2));
  });

  it("byActor: everything one actor did, optionally within [from, to)", async () => {
    const all = await auditHistory(fx.db).byActor("7");
    expect(ns(all)).toEqual(
      Array.from({ length: ROWS }, (_, i) => i)
        .filter((i) => i % 50 === 7)
        .reverse(),
    );
    const window = await auditHistory(fx.db).byActor(7, { from: at(1007), to: at(1107) });
    expect(ns(window)).toEqual([1057, 1007]); // from inclusive, to exclusive
    expect(ns(await auditHistory(fx.db).byActor(7, { from: at(2900) }))).toEqual([2957, 2907]);
    expect(ns(await auditHistory(fx.db).byActor(7, { to: at(57) }))).toEqual([7]);
  });

  it("between: everything in [from, to), newest first", async () => {
    const got = await auditHistory(fx.db).between(at(100), at(105));
    expect(ns(got)).toEqual([104, 103, 102, 101, 100]);
    expect(got.map((e) => e.createdAt.getTime())).toEqual(
      [104, 103, 102, 101, 100].map((i) => at(i).getTime()),
    );
  });

  const cases = [
    ["forEntity", INDEX.entity, (k: Kysely<any>) => historyQueries(k).forEntity("account", 5)],
    ["byActor", INDEX.actor, (k: Kysely<any>) => historyQueries(k).byActor("7")],
    [
      "byActor with a range",
      INDEX.actor,
      (k: Kysely<any>) => historyQueries(k).byActor("7", { from: at(10), to: at(2000) }),
    ],
    ["between", INDEX.time, (k: Kysely<any>) => historyQueries(k).between(at(100), at(105))],
  ] as const;

  for (const [name, index, build] of cases) {
    it(`${name} is served by ${index}`, async () => {
      const text = await fx.db.transaction(async (trx) => {
        // Belt and braces on PostgreSQL: with statistics it picks the index anyway; this makes sure
        // the test proves "an index can serve it" rather than depending on cost estimates.
        if (engine.dialect === "postgres") await sql.raw("SET LOCAL enable_seqscan = off").execute(trx);
        return queryPlan(trx, engine.dialect, build(trx));
      });
      if (engine.dialect === "sqlite")
        expect(text).toMatch(new RegExp(`USING (COVERING )?INDEX ${index}\\b`));
      if (engine.dialect === "postgres") expect(text).toMatch(new RegExp(`Index.* (using|on) ${index}\\b`));
      if (engine.dialect === "mysql") expect(text).toContain(`"key":"${index}"`);
    });
  }
});
