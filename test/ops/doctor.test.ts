/**
 * doctor() reads the engine's own statistics: sizes and row estimates per table, indexes with
 * their usage where the engine counts it, connections by state and long-running statements; what
 * an engine cannot tell is a note, not an error.
 */
import { sql } from "kysely";
import { connect } from "plinth";
import { doctor } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const jobs = table(
  "jobs",
  { id: col.id(), name: col.varchar(60).unique(), state: col.varchar(20) },
  { indexes: [{ columns: ["state"] }] },
);
const app = schema({ jobs });

describeEngines("doctor", (engine) => {
  const h = useFreshDb(engine, app);

  it("lists each table with its rows and sizes, and each index with what it enforces", async () => {
    await h.db
      .repo("jobs")
      .createMany(Array.from({ length: 50 }, (_, i) => ({ name: `j${i}`, state: "new" })));
    const report = await doctor(h.db);
    const t = report.tables.find((x) => x.table === "jobs");
    expect(t, JSON.stringify(report.tables)).toBeDefined();
    // SQLite counts; the servers estimate (and may not have counted a fresh table yet).
    if (engine.name === "sqlite") expect(t!.rows).toBe(50);
    else expect(t!.rows).toBeGreaterThanOrEqual(0);
    const mine = report.indexes.filter((i) => i.table === "jobs");
    // SQLite names a UNIQUE constraint's index itself (sqlite_autoindex_jobs_1).
    const unique = mine.filter((i) => i.enforcesUniqueness && !/state/.test(i.index));
    const plain = mine.find((i) => /state/.test(i.index));
    expect(unique.length, JSON.stringify(mine)).toBeGreaterThanOrEqual(1);
    expect(plain?.enforcesUniqueness).toBe(false);
    if (plain?.scans === 0) expect(report.unusedIndexes.map((i) => i.index)).toContain(plain.index);
    else if (plain?.scans === undefined) expect(report.notes.join("\n")).toMatch(/index usage/);
    expect(report.unusedIndexes.every((i) => !i.enforcesUniqueness)).toBe(true);
  });

  if (engine.name === "postgres" || engine.name === "mysql") {
    it("counts connections by state and lists a statement running longer than the limit", async () => {
      const other = await connect(h.url, app, { retry: { attempts: 1 } });
      try {
        const sleep = engine.name === "postgres" ? sql`SELECT pg_sleep(3)` : sql`SELECT SLEEP(3)`;
        const running = sleep.execute(other.kysely);
        await new Promise((r) => setTimeout(r, 1500));
        const report = await doctor(h.db, { longRunningSeconds: 1 });
        expect(report.longRunning.map((q) => q.query).join("\n")).toMatch(/sleep/i);
        expect(report.connections.reduce((n, c) => n + c.count, 0)).toBeGreaterThanOrEqual(2);
        await running;
        const quiet = await doctor(h.db, { longRunningSeconds: 1 });
        expect(quiet.longRunning.map((q) => q.query).join("\n")).not.toMatch(/sleep/i);
      } finally {
        await other.close();
      }
    });
  } else {
    it("says what an embedded engine cannot tell", async () => {
      const report = await doctor(h.db);
      expect(report.longRunning).toEqual([]);
      if (engine.name === "sqlite") expect(report.notes.join("\n")).toMatch(/embedded/);
    });
  }
});
