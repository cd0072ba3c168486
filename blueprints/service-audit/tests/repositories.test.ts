import type { Compilable } from "kysely";
import { sql } from "kysely";
import type { NewRowOf } from "plinth";
import { queryPlan } from "plinth/review";
import { beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useFreshDb } from "../../../test/helpers/fresh-db.js";
import { UserActionRepository } from "../repositories/index.js";
import { serviceAudit } from "../schema.js";

type NewAction = NewRowOf<typeof serviceAudit, "user_actions">;

/** The seed's three example queries, run against rows placed around a fixed "now". */
const NOW = new Date("2026-03-10T12:30:00.000Z");
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);
const at = (iso: string) => new Date(iso);

function action(overrides: Partial<NewAction> & Pick<NewAction, "timestamp">): NewAction {
  return {
    userId: "user-uuid-here",
    username: "acika",
    userRoles: ["user"],
    actionType: "GET",
    resource: "/authors",
    outcome: "success",
    ...overrides,
  };
}

describeEngines("service-audit example queries", (engine) => {
  const fx = useFreshDb(engine, serviceAudit);
  let actions: UserActionRepository;

  beforeAll(async () => {
    actions = new UserActionRepository(fx.db);
    await actions.createMany([
      // failed actions of acika
      action({
        timestamp: ago(60),
        outcome: "error",
        actionType: "POST",
        resource: "/authors",
        errorMessage: "name is required",
      }),
      action({
        timestamp: ago(120),
        outcome: "permission_denied",
        actionType: "DELETE",
        resource: "/authors/7",
      }),
      action({ timestamp: ago(30), outcome: "success" }),
      action({ timestamp: ago(25 * 60), outcome: "error", errorMessage: "too old" }),
      action({ timestamp: ago(10), outcome: "error", username: "someone_else", userId: "other" }),
      // slow operations
      action({
        timestamp: ago(3 * 24 * 60),
        userId: "slow",
        username: "slow",
        actionType: "GET",
        durationMs: 1500,
      }),
      action({
        timestamp: ago(5 * 24 * 60),
        userId: "slow",
        username: "slow",
        actionType: "GET",
        durationMs: 2500,
      }),
      action({
        timestamp: ago(24 * 60),
        userId: "slow",
        username: "slow",
        actionType: "PUT",
        durationMs: 3000,
      }),
      action({ timestamp: ago(60), userId: "slow", username: "slow", actionType: "POST", durationMs: 1000 }), // not > 1 s
      action({
        timestamp: ago(8 * 24 * 60),
        userId: "slow",
        username: "slow",
        actionType: "POST",
        durationMs: 9000,
      }), // too old
      action({ timestamp: ago(90), userId: "slow", username: "slow", actionType: "PATCH", durationMs: null }),
      // timeline of user "tl"
      action({ timestamp: at("2026-03-10T10:05:00.000Z"), userId: "tl", username: "tl" }),
      action({ timestamp: at("2026-03-10T10:40:00.000Z"), userId: "tl", username: "tl", outcome: "error" }),
      action({ timestamp: at("2026-03-10T11:59:59.999Z"), userId: "tl", username: "tl", outcome: "error" }),
      action({
        timestamp: at("2026-03-10T12:00:00.000Z"),
        userId: "tl",
        username: "tl",
        outcome: "permission_denied",
      }),
      action({ timestamp: at("2026-03-09T12:00:00.000Z"), userId: "tl", username: "tl" }), // exactly 24.5 h ago
      action({ timestamp: at("2026-03-10T11:00:00.000Z"), userId: "not-tl", username: "x" }),
    ]);
  });

  it("finds a user's failed actions of the last 24 hours, newest first", async () => {
    const failed = await actions.failedActions("acika", { now: NOW });
    expect(failed).toEqual([
      { timestamp: ago(60), actionType: "POST", resource: "/authors", errorMessage: "name is required" },
      { timestamp: ago(120), actionType: "DELETE", resource: "/authors/7", errorMessage: null },
    ]);
    expect(await actions.failedActions("acika", { now: NOW, hours: 26 })).toHaveLength(3);
  });

  it("analyses operations slower than a second over 7 days, slowest on average first", async () => {
    expect(await actions.slowOperations({ now: NOW })).toEqual([
      { actionType: "PUT", avgDurationMs: 3000, maxDurationMs: 3000, count: 1 },
      { actionType: "GET", avgDurationMs: 2000, maxDurationMs: 2500, count: 2 },
    ]);
    const lowerBar = await actions.slowOperations({ now: NOW, thresholdMs: 999, days: 9 });
    expect(lowerBar.map((r) => r.actionType)).toEqual(["POST", "PUT", "GET"]);
    expect(lowerBar[0]).toEqual({ actionType: "POST", avgDurationMs: 5000, maxDurationMs: 9000, count: 2 });
  });

  it("tracks a user's activity per hour (UTC), with errors counted apart", async () => {
    expect(await actions.activityTimeline("tl", { now: NOW })).toEqual([
      { hour: at("2026-03-10T10:00:00.000Z"), events: 2, errors: 1 },
      { hour: at("2026-03-10T11:00:00.000Z"), events: 1, errors: 1 },
      { hour: at("2026-03-10T12:00:00.000Z"), events: 1, errors: 0 },
    ]);
    expect(await actions.activityTimeline("tl", { now: NOW, hours: 2 })).toEqual([
      { hour: at("2026-03-10T10:00:00.000Z"), events: 1, errors: 1 },
      { hour: at("2026-03-10T11:00:00.000Z"), events: 1, errors: 1 },
      { hour: at("2026-03-10T12:00:00.000Z"), events: 1, errors: 0 },
    ]);
  });

  it("buckets by UTC hour whatever the session's time zone", async () => {
    if (engine.dialect !== "postgres") return; // only PostgreSQL truncates in a session time zone
    await fx.db.transaction(async (trx) => {
      await sql`SET LOCAL TIME ZONE 'Asia/Kolkata'`.execute(trx); // UTC+05:30
      const hours = await actions.activityTimeline("tl", { now: NOW });
      expect(hours.map((h) => h.hour.toISOString())).toEqual([
        "2026-03-10T10:00:00.000Z",
        "2026-03-10T11:00:00.000Z",
        "2026-03-10T12:00:00.000Z",
      ]);
    });
  });
});

describeEngines("service-audit query plans", (engine) => {
  const fx = useFreshDb(engine, serviceAudit);
  let actions: UserActionRepository;

  // Enough rows, over enough users and days, that a planner which prefers a scan for tiny tables
  // still picks the index.
  beforeAll(async () => {
    actions = new UserActionRepository(fx.db);
    await actions.createMany(
      Array.from({ length: 3000 }, (_, i) =>
        action({
          timestamp: ago(i * 15),
          userId: `id-${i % 300}`,
          username: `user${i % 300}`,
          outcome: i % 7 === 0 ? "error" : "success",
          durationMs: (i * 37) % 3000,
        }),
      ),
    );
    if (engine.dialect === "postgres") await sql`ANALYZE user_actions`.execute(fx.db.kysely);
    if (engine.dialect === "mysql") await sql`ANALYZE TABLE user_actions`.execute(fx.db.kysely);
  });

  // The planner may start from the user or from the time window (which also gives the order);
  // either is an index on a column the seed indexes for this query, never a scan of the table.
  it("serves a user's failed actions from the username or the timestamp index", async () => {
    expect(await plan(actions.failedActionsQuery("user7", { now: NOW }))).toMatch(
      usesIndex("ix_user_actions_username", "ix_user_actions_timestamp"),
    );
  });

  it("serves a user's timeline from idx_user_timestamp", async () => {
    expect(await plan(actions.activityTimelineQuery("id-7", { now: NOW }))).toMatch(
      usesIndex("idx_user_timestamp"),
    );
  });

  /** A plan line that reads the table through one of `indexes`. */
  function usesIndex(...indexes: string[]): RegExp {
    const name = `(${indexes.join("|")})`;
    if (engine.dialect === "sqlite")
      return new RegExp(`SEARCH user_actions USING (COVERING )?INDEX ${name} \\(`);
    if (engine.dialect === "postgres")
      return new RegExp(`(Index (Only )?Scan (Backward )?using|Bitmap Index Scan on) ${name}\\b`);
    // MariaDB may list a second index it uses as a row filter: "key":"a|b".
    return new RegExp(`"table":"user_actions".*"key":"${name}[|"]`);
  }

  const plan = (query: Compilable<unknown>) => queryPlan(fx.db.kysely, engine.dialect, query);
});
