/**
 * Every statement a handle sends is timed and counted, on every path: Kysely's, SQLite's
 * synchronous statements and the pool's prepared statements (point reads, compiled lists and
 * writes). A statement over the threshold is counted as slow and logged with its SQL, never with
 * its parameters.
 */
import { Writable } from "node:stream";
import type { Kysely } from "kysely";
import pino from "pino";
import { describeStatement, queryMetrics } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const accounts = table("accounts", {
  id: col.id(),
  name: col.varchar(60),
  secret: col.text().nullable(),
});
const app = schema({ accounts });

const SECRET = "hunter2-do-not-log";

function capture(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: pino({ level: "warn" }, stream) };
}

/** The histogram's sample count for one operation and table, read from the registry. */
async function count(registry: Registry, operation: string, tableName: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "db_query_duration_seconds");
  const sample = metric?.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === "db_query_duration_seconds_count" &&
      v.labels.operation === operation &&
      v.labels.table === tableName,
  );
  return sample?.value ?? 0;
}

async function slowCount(registry: Registry, operation: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === "db_slow_queries_total");
  return metric?.values.find((v) => v.labels.operation === operation)?.value ?? 0;
}

describeEngines("query metrics", (engine) => {
  const registry = new Registry();
  const log = capture();
  const h = useFreshDb(engine, app, {
    connect: { observer: queryMetrics({ registry, slowQueryMs: 0, logger: log.logger }) },
  });

  it("times every statement on every path, by operation and table", async () => {
    const repo = h.db.repo("accounts");
    const inserts = await count(registry, "insert", "accounts");
    const created = await repo.create({ name: "ada" });
    await repo.createMany([{ name: "bob" }, { name: "cy" }]);
    expect(await count(registry, "insert", "accounts")).toBeGreaterThanOrEqual(inserts + 2);

    // Point reads and lists run compiled statements on the driver itself where the engine allows.
    const selects = await count(registry, "select", "accounts");
    for (let i = 0; i < 5; i++) await repo.getById(created.id);
    expect(await count(registry, "select", "accounts")).toBe(selects + 5);
    await repo.findMany({ where: { name: "ada" } });
    expect(await count(registry, "select", "accounts")).toBe(selects + 6);

    const updates = await count(registry, "update", "accounts");
    await repo.update(created.id, { name: "ada l." });
    expect(await count(registry, "update", "accounts")).toBeGreaterThan(updates);

    const raw = await count(registry, "select", "accounts");
    await (h.db.kysely as Kysely<any>).selectFrom("accounts").selectAll().execute();
    expect(await count(registry, "select", "accounts")).toBe(raw + 1);
  });

  it("counts slow statements and logs their SQL without their parameters", async () => {
    const before = await slowCount(registry, "update");
    const repo = h.db.repo("accounts");
    const created = await repo.create({ name: "eve" });
    await repo.update(created.id, { secret: SECRET });
    await repo.findMany({ where: { secret: SECRET } });
    expect(await slowCount(registry, "update")).toBeGreaterThan(before);
    const entries = log.lines.map((l) => JSON.parse(l));
    const slowUpdate = entries.find((e) => e.msg === "slow query" && e.operation === "update");
    expect(slowUpdate).toMatchObject({ table: "accounts", sql: expect.stringMatching(/update/i) });
    expect(slowUpdate.parameters).toMatch(/redacted/);
    expect(log.lines.join("\n")).not.toContain(SECRET);
  });
});

describe("statement labels", () => {
  it.each([
    ['select "id" from "accounts" where "id" = ?', "select", "accounts"],
    ["insert into `job_logs` (`a`) values (?)", "insert", "job_logs"],
    ['update "public"."users" set "a" = $1', "update", "users"],
    ['delete from "t" where 1', "delete", "t"],
    ['with x as (select 1) select * from "jobs" join x on true', "select", "jobs"],
    ["BEGIN", "other", ""],
    ["PRAGMA foreign_keys = ON", "other", ""],
  ])("%s → %s on %s", (sql, operation, tableName) => {
    expect(describeStatement(sql)).toEqual({ operation, table: tableName });
  });
});
