/**
 * What PgBouncer (transaction mode) and a streaming replica cost and give, measured on loopback with
 * servers this script starts and stops itself (PostgreSQL binaries and Debian's pgbouncer needed):
 *
 * 1. Throughput of the same repository workloads with C concurrent callers: direct with named
 *    prepared statements (plinth's default), direct without them, and through PgBouncer
 *    (`?pooler=transaction`, which turns them off); the ratio to direct is printed beside each.
 * 2. Replica visibility: how long a row written on the primary takes to be readable on the replica
 *    (median and p95 over many writes), and the largest lag the replica reports during a write burst.
 *
 *   npx tsx bench/pooler.ts
 *   PLINTH_BENCH_CALLERS=64 PLINTH_BENCH_SECONDS=5 npx tsx bench/pooler.ts
 */
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import { postgres } from "../src/dialect/index.js";
import type { Db } from "../src/index.js";
import { connect } from "../src/index.js";
import { startPgReplica, startPgServer } from "../test/helpers/pg-server.js";
import { startPgBouncer } from "../test/helpers/pgbouncer.js";
import { app, repositoryWorkloads, type Workload } from "./jobs-model.js";

const CALLERS = Number(process.env.PLINTH_BENCH_CALLERS) || 32;
const SECONDS = Number(process.env.PLINTH_BENCH_SECONDS) || 2;
/** Every configuration runs once per round, in turn, so drift (a growing table, a busy neighbour) hits all alike. */
const ROUNDS = Number(process.env.PLINTH_BENCH_ROUNDS) || 3;
const POOL = 10;

const WORKLOADS: Workload[] = [
  ...repositoryWorkloads(20),
  {
    name: "read-modify-write transaction",
    run: (db, i) =>
      db.transaction(async () => {
        const id = (i % 1000) + 1;
        const row = await db.repo("bench_jobs").getById(id);
        await db.repo("bench_jobs").update(id, { attempts: (row?.attempts ?? 0) + 1 });
      }),
  },
];

/** Operations per second with CALLERS callers each running `w` back to back for SECONDS. */
async function throughput(db: Db<typeof app>, w: Workload): Promise<number> {
  let done = 0;
  const until = performance.now() + SECONDS * 1000;
  const caller = async (n: number) => {
    for (let i = n; performance.now() < until; i += CALLERS) {
      await w.run(db, i);
      done++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CALLERS }, (_, n) => caller(n)));
  return done / ((performance.now() - started) / 1000);
}

const pad = (s: string, n: number) => s.padEnd(n);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(9);

async function main() {
  // synchronous_commit on (the test servers turn it off): WAL reaches the replica when it is flushed,
  // which with it off waits for the WAL writer's next round (wal_writer_delay, 200 ms).
  const settings = ["-c max_connections=200", "-c synchronous_commit=on"];
  const primary = await startPgServer(settings);
  const stops: (() => Promise<void>)[] = [() => primary.stop()];
  const handles: Db<typeof app>[] = [];
  try {
    const replica = await startPgReplica(primary, settings);
    stops.unshift(() => replica.stop());
    const bouncer = await startPgBouncer(primary, { poolMode: "transaction", poolSize: POOL });
    stops.unshift(() => bouncer.stop());
    const setup = await connect(primary.url, app, { retry: { attempts: 1 } });
    handles.push(setup);
    await setup.createSchema();
    await setup
      .repo("bench_jobs")
      .createMany(
        Array.from({ length: 1000 }, (_, i) => ({ name: `j${i}`, state: i % 10 ? "done" : "queued" })),
      );

    const configs: [string, Db<typeof app>][] = [
      ["direct, named prepared statements", await connect(primary.url, app, { poolSize: POOL })],
      [
        "direct, unnamed statements",
        await connect(primary.url, app, { poolSize: POOL, preparedStatements: false }),
      ],
      [
        `PgBouncer ${bouncer.version} (transaction), pool ${POOL}`,
        await connect(`${bouncer.url}?pooler=transaction`, app, { poolSize: POOL }),
      ],
      [
        `PgBouncer, ${CALLERS} client connections onto ${POOL}`,
        await connect(`${bouncer.url}?pooler=transaction`, app, { poolSize: CALLERS }),
      ],
    ];
    handles.push(...configs.map(([, db]) => db));

    console.log(
      `\n${CALLERS} concurrent callers, median of ${ROUNDS} rounds of ${SECONDS} s, operations per second (ratio to the first column)\n`,
    );
    console.log(`${pad("workload", 32)}${configs.map(([name]) => pad(name, 44)).join("")}`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const w of WORKLOADS) {
      const samples: number[][] = configs.map(() => []);
      for (let round = 0; round < ROUNDS; round++)
        for (const [c, [, db]] of configs.entries()) samples[c]!.push(await throughput(db, w));
      const rates = samples.map(median);
      const cells = rates.map((r) => pad(`${fmt(r)} (${(r / rates[0]!).toFixed(2)}×)`, 44));
      console.log(`${pad(w.name, 32)}${cells.join("")}`);
    }

    // Replica visibility: write on the primary, poll the replica until the row is there.
    const onReplica = await connect(replica.url, app, { retry: { attempts: 1 } });
    handles.push(onReplica);
    const visibility = async (label: string) => {
      const ms: number[] = [];
      for (let i = 0; i < 100; i++) {
        const row = await setup.repo("bench_jobs").create({ name: `v${i}`, state: "new" });
        const written = performance.now();
        while (!(await onReplica.repo("bench_jobs").getById(row.id)))
          await new Promise((r) => setImmediate(r));
        ms.push(performance.now() - written);
      }
      ms.sort((a, b) => a - b);
      const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))]!.toFixed(2);
      console.log(
        `\nreplica (${label}): a row written on the primary is readable on the replica after ` +
          `${q(0.5)} ms (median), ${q(0.95)} ms (p95), ${q(1)} ms (max) over ${ms.length} writes`,
      );
    };
    await visibility("synchronous_commit = on");
    await sql`ALTER SYSTEM SET synchronous_commit = off`.execute(setup.kysely);
    await sql`SELECT pg_reload_conf()`.execute(setup.kysely);
    await new Promise((r) => setTimeout(r, 200));
    await visibility("synchronous_commit = off");
    await sql`ALTER SYSTEM RESET synchronous_commit`.execute(setup.kysely);
    await sql`SELECT pg_reload_conf()`.execute(setup.kysely);
    // The lag the replica itself reports (what the router compares with maxLagMs) during a write burst.
    let maxLag = 0;
    let burst = true;
    const watch = (async () => {
      while (burst) {
        const state = await postgres.replicaState!(onReplica.kysely);
        maxLag = Math.max(maxLag, state.lagSeconds ?? 0);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const burstStarted = performance.now();
    let burstRows = 0;
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, n) => {
        while (performance.now() - burstStarted < SECONDS * 1000) {
          await setup.repo("bench_jobs").create({ name: `b${n}`, state: "burst" });
          burstRows++;
        }
      }),
    );
    burst = false;
    await watch;
    console.log(
      `replica (synchronous_commit = on): largest lag it reported during a ${SECONDS} s burst of ${burstRows} inserts ` +
        `(${Math.round(burstRows / SECONDS)}/s): ${(maxLag * 1000).toFixed(1)} ms`,
    );
  } finally {
    await Promise.all(handles.map((h) => h.close().catch(() => {})));
    for (const stop of stops) await stop();
  }
}

await main();
