/**
 * The two background jobs of ta-generator's design (Data Model 5: log samples "with retention and
 * soft delete"; Technical Notes 6: get_running_count "to support MAX_PARALLEL_VALIDATIONS"): the
 * purge of soft-deleted samples past their retention, and schedulers starting validation runs
 * without ever exceeding the limit, with two schedulers on two connections racing on every engine.
 */
import type { Db } from "plinth";
import { connect } from "plinth";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEngines } from "../../../test/engines/matrix.js";
import { repositories } from "../repositories/index.js";
import { PARALLEL_LIMIT_KEY } from "../repositories/validation-runs.js";
import type { TaGenerator } from "../schema.js";
import { taGenerator } from "../schema.js";
import { seed } from "../seed.js";

const DAY = 86_400_000;
const LIMIT = 3;
const QUEUED = 10;

describeEngines("ta-generator jobs", (engine) => {
  // Two connections, as two scheduler processes would have (pglite: one in-memory database, one handle).
  let a: Db<TaGenerator>;
  let b: Db<TaGenerator>;
  let drop: () => Promise<void>;
  let n = 0;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    // SQLite: a scheduler that finds the database busy gives up at once and tries on its next tick
    // (a blocking busy wait in one process would stall the other connection it waits for).
    const options = { retry: { attempts: 1 }, busyTimeoutMs: 0 };
    a = await connect(fresh.url, taGenerator, options);
    await a.createSchema();
    await seed(a);
    b = engine.name === "pglite" ? a : await connect(fresh.url, taGenerator, options);
  });
  afterAll(async () => {
    if (b !== a) await b?.close();
    await a?.close();
    await drop?.();
  });

  const newRequest = async () => {
    const r = repositories(a);
    const user = await r.users.create({ username: `user${++n}`, email: `user${n}@example.com` });
    return r.requests.create({
      createdBy: user.id,
      sourceSystem: "Apache",
      description: "Apache access logs",
    });
  };

  it("purges soft-deleted samples once their retention has passed, and nothing else", async () => {
    const { logSamples } = repositories(a);
    const now = new Date();
    const request = await newRequest();
    const sample = async (name: string, retentionDays: number | null, deleted: boolean) => {
      const s = await logSamples.create({
        requestId: request.id,
        filename: name,
        fileSize: 1024,
        storageKey: `samples/${name}`,
        storageBucket: "samples",
        retentionUntil: retentionDays === null ? null : new Date(now.getTime() + retentionDays * DAY),
      });
      if (deleted) expect(await logSamples.markAsDeleted(s.id)).toBe(true);
      return s;
    };
    const expired = await sample("expired.log", -1, true);
    const expiredToo = await sample("expired-too.log", -30, true);
    const waiting = await sample("deleted-not-yet.log", 1, true);
    const live = await sample("live-but-past.log", -1, false);
    const forever = await sample("deleted-no-retention.log", null, true);

    const purged = await logSamples.purgeExpired(now);
    expect(purged.map((p) => p.storageKey).sort()).toEqual(
      [expiredToo.storageKey, expired.storageKey].sort(),
    );

    const left = await logSamples.findMany({ where: { requestId: request.id }, withDeleted: true });
    expect(left.map((s) => s.id).sort()).toEqual([waiting.id, live.id, forever.id].sort());
    expect(await logSamples.purgeExpired(now)).toEqual([]); // a second run finds nothing
    // A day later the one still waiting has had its retention: it goes, the others stay.
    expect((await logSamples.purgeExpired(new Date(now.getTime() + 2 * DAY))).map((p) => p.id)).toEqual([
      waiting.id,
    ]);
  });

  it("two schedulers racing never start more runs than MAX_PARALLEL_VALIDATIONS", async () => {
    const r = repositories(a);
    await r.systemConfig.setValue(PARALLEL_LIMIT_KEY, LIMIT);
    const request = await newRequest();
    const revision = await r.revisions.createRevision(request.id, {
      storageKey: "ta/TA-Apache.tgz",
      storageBucket: "tas",
      generatedBy: "AUTO",
    });
    for (let i = 0; i < QUEUED; i++)
      await r.validationRuns.create({ requestId: request.id, taRevisionId: revision.id });

    const running = () => repositories(a).validationRuns.getRunningCount();
    const seen: number[] = [];
    // Each scheduler ticks until no run is left to start, checking the count after each start.
    const scheduler = async (db: Db<TaGenerator>, name: string) => {
      const started: string[] = [];
      for (let tick = 0; tick < 25; tick++) {
        const run = await repositories(db).validationRuns.startNextQueued(`${name}-${tick}`);
        if (run) started.push(run.id);
        seen.push(await running());
        await new Promise((resolve) => setImmediate(resolve));
      }
      return started;
    };
    const race = async () => (await Promise.all([scheduler(a, "a"), scheduler(b, "b")])).flat();

    const first = await race();
    expect(first).toHaveLength(LIMIT);
    expect(new Set(first).size).toBe(LIMIT); // no run started twice
    expect(await running()).toBe(LIMIT);
    expect(Math.max(...seen)).toBe(LIMIT);

    // Two runs finish: the schedulers fill exactly those two slots, again without overshooting.
    for (const id of first.slice(0, 2)) await r.validationRuns.completeValidation(id, { status: "PASSED" });
    const second = await race();
    expect(second).toHaveLength(2);
    expect(await running()).toBe(LIMIT);
    expect(Math.max(...seen)).toBe(LIMIT);
    expect(await r.validationRuns.count({ status: "QUEUED" })).toBe(QUEUED - LIMIT - 2);
  });
});
