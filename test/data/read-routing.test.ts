/**
 * The read router's rules with fake replicas (the integration test in replicas.test.ts runs them on
 * a real streaming replica): rotation, the read-your-writes window and its scopes, measurements that
 * take a replica out and put it back, and which statements count as reads.
 */
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from "kysely";
import { withPrimaryReads, withReadYourWrites } from "plinth";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ReplicaMember } from "../../src/data/read-routing.js";
import { ReadRouter } from "../../src/data/read-routing.js";
import { readOnly } from "../../src/data/routed-engine.js";
import type { ReplicaState } from "../../src/dialect/index.js";

const compiler = new Kysely<any>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

function member(display: string): ReplicaMember {
  return { display, probe: compiler, state: "healthy", reads: 0 };
}

/** A router whose measurement of each replica is whatever `states` says at the time. */
function routerOf(names: string[], states: Record<string, ReplicaState | Error> = {}, windowMs = 1000) {
  const members = names.map(member);
  const byProbe = new Map<ReplicaMember, string>(members.map((m) => [m, m.display]));
  let current: ReplicaMember | undefined;
  const router = new ReadRouter(
    members,
    async () => {
      const state = states[byProbe.get(current!)!] ?? { replica: true, lagSeconds: 0 };
      if (state instanceof Error) throw state;
      return state;
    },
    { readYourWritesMs: windowMs, maxLagMs: 2000 },
  );
  // Measurements run one replica at a time here, so the fake knows whom it measures.
  const check = async () => {
    for (const m of members) {
      current = m;
      await (router as any).checkOne(m);
    }
  };
  return { router, members, check, states };
}

describe("the read router", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["Date"] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("sends reads to the healthy replicas in turn", () => {
    const { router, members } = routerOf(["a", "b", "c"]);
    members[1]!.state = "down";
    const picked = Array.from({ length: 4 }, () => router.replicaForRead()?.display);
    expect(picked).toEqual(["a", "c", "a", "c"]);
  });

  it("reads the primary within the window after a write, and the replicas after it", () => {
    const { router } = routerOf(["a"], {}, 1000);
    expect(router.replicaForRead()?.display).toBe("a");
    router.wrote();
    expect(router.replicaForRead()).toBeUndefined();
    vi.advanceTimersByTime(999);
    expect(router.replicaForRead()).toBeUndefined();
    vi.advanceTimersByTime(2);
    expect(router.replicaForRead()?.display).toBe("a");
  });

  it("keeps a unit of work's window to itself", () => {
    const { router } = routerOf(["a"]);
    withReadYourWrites(() => {
      router.wrote();
      expect(router.replicaForRead()).toBeUndefined();
    });
    // Another unit, and code outside any, did not write.
    withReadYourWrites(() => expect(router.replicaForRead()?.display).toBe("a"));
    expect(router.replicaForRead()?.display).toBe("a");
  });

  it("reads the primary inside withPrimaryReads, and when no replica is healthy", () => {
    const { router, members } = routerOf(["a"]);
    withPrimaryReads(() => expect(router.replicaForRead()).toBeUndefined());
    members[0]!.state = "lagging";
    expect(router.replicaForRead()).toBeUndefined();
  });

  it("takes out a replica that lags, cannot tell its lag or does not answer, and puts it back", async () => {
    const { router, check, states } = routerOf(["slow", "stopped", "dead", "fine"]);
    states.slow = { replica: true, lagSeconds: 3 };
    states.stopped = { replica: true };
    states.dead = new Error("connect ECONNREFUSED 127.0.0.1:1");
    await check();
    expect(router.status().map((s) => [s.replica, s.state])).toEqual([
      ["slow", "lagging"],
      ["stopped", "lagging"],
      ["dead", "down"],
      ["fine", "healthy"],
    ]);
    expect(router.status()[0]!.reason).toContain("3 s behind");
    states.slow = { replica: true, lagSeconds: 0.5 };
    states.dead = { replica: true, lagSeconds: 0 };
    await check();
    expect(router.status().map((s) => s.state)).toEqual(["healthy", "lagging", "healthy", "healthy"]);
  });

  it("takes out a replica whose connection failed, not one whose statement failed", () => {
    const { router, members } = routerOf(["a"]);
    router.failed(members[0]!, new Error("canceling statement due to conflict with recovery"), false);
    expect(members[0]!.state).toBe("healthy");
    router.failed(members[0]!, new Error("Connection terminated unexpectedly"), true);
    expect(members[0]).toMatchObject({ state: "down", reason: "Connection terminated unexpectedly" });
  });
});

describe("what counts as a read", () => {
  it("is a SELECT built with Kysely, without row locks or writing CTEs", () => {
    expect(readOnly(compiler.selectFrom("t").selectAll().compile())).toBe(true);
    expect(
      readOnly(
        compiler
          .with("x", (q) => q.selectFrom("t").select("id"))
          .selectFrom("x")
          .selectAll()
          .compile(),
      ),
    ).toBe(true);
    expect(readOnly(compiler.selectFrom("t").selectAll().forUpdate().compile())).toBe(false);
    expect(
      readOnly(
        compiler
          .with("x", (q) => q.insertInto("t").values({ id: 1 }).returning("id"))
          .selectFrom("x")
          .selectAll()
          .compile(),
      ),
    ).toBe(false);
    expect(readOnly(compiler.insertInto("t").values({ id: 1 }).compile())).toBe(false);
    expect(readOnly(sql`SELECT 1`.compile(compiler))).toBe(false);
  });
});
