/**
 * The seed's activity-log hot path, "ActivityLog.created_at >= now - 7 days AND account_id = 1",
 * proven served by an index on every engine: EXPLAIN names the composite index on
 * (account_id, created_at), the declared index whose leading column is the equality and whose
 * second is the range. The seed's (created_at, account_id, activity_type) index serves time-window
 * scans across accounts; for one account the planners pick the sharper one, and the test says so.
 */
import { sql } from "kysely";
import { queryPlan } from "plinth/review";
import { expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { useDnsFilter } from "./fixture.js";

const HASH = `$2b$10$${"a".repeat(53)}`;

describeEngines("dns-filter: the activity-log EXPLAIN example", (engine) => {
  const fx = useDnsFilter(engine);

  it("filters one account's last week through ix_activity_log_account_id_created_at", async () => {
    const db = fx.db.kysely;
    const accounts = Array.from({ length: 40 }, (_, i) => ({ username: `plan_${i}`, passwordHash: HASH }));
    await db.insertInto("account").values(accounts).execute();
    const ids = (
      await db.selectFrom("account").select("id").where("username", "like", "plan_%").execute()
    ).map((r) => r.id);
    // 4,000 rows over 40 accounts and 60 days: one account's week is a small slice of the table.
    const day = 86_400_000;
    const now = Date.now();
    for (let chunk = 0; chunk < 4; chunk++) {
      const rows = Array.from({ length: 1000 }, (_, i) => {
        const n = chunk * 1000 + i;
        return {
          accountId: ids[n % ids.length]!,
          activityType: n % 3 === 0 ? "login" : "dns_update",
          status: "success" as const,
          createdAt: new Date(now - (n % 60) * day - n),
        };
      });
      await db.insertInto("activity_log").values(rows).execute();
    }
    if (engine.dialect === "postgres") await sql`ANALYZE activity_log`.execute(db);
    if (engine.dialect === "mysql") await sql`ANALYZE TABLE activity_log`.execute(db);
    if (engine.dialect === "sqlite") await sql`ANALYZE`.execute(db);

    const lastWeek = db
      .selectFrom("activity_log")
      .selectAll()
      .where("createdAt", ">=", new Date(now - 7 * day))
      .where("accountId", "=", ids[1]!);
    const plan = await queryPlan(db, engine.dialect, lastWeek);
    if (engine.dialect === "sqlite")
      expect(plan).toMatch(
        /SEARCH activity_log USING INDEX ix_activity_log_account_id_created_at \(account_id=\? AND created_at>\?\)/,
      );
    if (engine.dialect === "postgres")
      expect(plan).toMatch(/(Index|Bitmap Index) Scan (using|on) ix_activity_log_account_id_created_at/);
    if (engine.dialect === "mysql")
      expect(plan).toMatch(/"table":"activity_log".*"key":"ix_activity_log_account_id_created_at"/);
    // And it returns that account's week, nothing else.
    const rows = await lastWeek.execute();
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.accountId === ids[1] && r.createdAt.getTime() >= now - 7 * day)).toBe(true);
  });
});
