/**
 * health() measures every figure when it is called: a test changes what a figure measures and
 * sees the figure change (pending migrations applied, a connection held, the database gone).
 */
import type { Db } from "plinth";
import { connect } from "plinth";
import { autodetect, EMPTY_STATE, loadMigrations, Migrator } from "plinth/migrate";
import { health } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { MigrationFolder } from "../helpers/migration-folder.js";

const app = schema({ item: table("item", { id: col.id(), name: col.varchar(40) }) });

describeEngines("health", (engine) => {
  let folder: MigrationFolder;
  let db: Db<typeof app>;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    folder = new MigrationFolder();
    folder.generated("0001_item", [], autodetect(EMPTY_STATE, app.model).operations);
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, app, { retry: { attempts: 1 }, poolSize: 3 });
  });
  afterEach(async () => {
    await db.close().catch(() => {});
    await drop();
    folder.remove();
  });

  it("is degraded while migrations are pending, and healthy once they are applied", async () => {
    const migrations = await loadMigrations(folder.dir);
    const before = await health(db, { migrations });
    expect(before.status).toBe("degraded");
    expect(before.pendingMigrations).toEqual(["0001_item"]);
    expect(before.reasons.join("\n")).toMatch(/1 migrations not applied: 0001_item/);

    await new Migrator({ db, migrations }).up();
    const after = await health(db, { migrations });
    expect(after).toMatchObject({ status: "healthy", reasons: [], pendingMigrations: [] });
    expect(after.latencyMs).toBeGreaterThanOrEqual(0);
    expect(after.version).toMatch(/\d+\.\d+/);
    expect(Date.parse(after.checkedAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it("reports a round trip slower than its limit as degraded", async () => {
    const report = await health(db, { maxLatencyMs: -1 });
    expect(report.status).toBe("degraded");
    expect(report.reasons[0]).toMatch(/round trip took .* ms \(over -1 ms\)/);
  });

  it("is unhealthy, with the reason, when the database does not answer", async () => {
    await db.close();
    const report = await health(db);
    expect(report.status).toBe("unhealthy");
    expect(report.reasons[0]).toMatch(/does not answer/);
  });

  if (engine.name === "postgres" || engine.name === "mysql") {
    it("counts the pool's busy connections as they are taken and given back", async () => {
      // Warm the pool so connections exist to count.
      await Promise.all([1, 2, 3].map(() => health(db)));
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let started!: () => void;
      const inside = new Promise<void>((r) => {
        started = r;
      });
      const transaction = db.transaction(async () => {
        started();
        await held;
      });
      await inside;
      const during = await health(db);
      release();
      await transaction;
      const after = await health(db);
      expect(during.pool!.total - during.pool!.idle).toBe(1);
      expect(after.pool!.total - after.pool!.idle).toBe(0);
      expect(after.pool!.max).toBe(3);
    });

    it("measures the buffer cache's hit ratio", async () => {
      const report = await health(db);
      expect(report.cacheHitRatio).toBeGreaterThan(0);
      expect(report.cacheHitRatio).toBeLessThanOrEqual(1);
      expect(report.replica).toBe(false);
    });
  } else {
    it("has no pool to report on an embedded engine", async () => {
      const report = await health(db);
      expect(report.pool).toBeUndefined();
      expect(report.status).toBe("healthy");
    });
  }
});
