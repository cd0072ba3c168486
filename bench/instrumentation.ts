/**
 * What plinth/ops' statement metrics cost: the same workloads on two handles to one database, one
 * with `queryMetrics()` and one without, in alternating rounds, median of each; the ratio is the
 * overhead (target ≤ 1.05×).
 *
 *   npx tsx bench/instrumentation.ts
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/instrumentation.ts
 *   PLINTH_BENCH_ITERATIONS=2000 PLINTH_BENCH_ROUNDS=7 npx tsx bench/instrumentation.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { Registry } from "prom-client";
import type { Db } from "../src/index.js";
import { connect } from "../src/index.js";
import { queryMetrics } from "../src/ops/index.js";
import { app, repositoryWorkloads, type Workload } from "./jobs-model.js";

const N = Number(process.env.PLINTH_BENCH_ITERATIONS) || 5000;
const ROUNDS = Number(process.env.PLINTH_BENCH_ROUNDS) || 5;

const WORKLOADS = repositoryWorkloads(50);

async function timeIt(db: Db<typeof app>, w: Workload): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < N; i++) await w.run(db, i);
  return ((performance.now() - started) * 1000) / N;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function bench(label: string, url: string, cleanup: () => Promise<void>): Promise<void> {
  const plain = await connect(url, app);
  const observed = await connect(url, app, {
    observer: queryMetrics({ registry: new Registry(), logger: false }),
  });
  try {
    await plain.createSchema();
    await plain
      .repo("bench_jobs")
      .createMany(
        Array.from({ length: 1000 }, (_, i) => ({ name: `j${i}`, state: i % 3 === 0 ? "queued" : "done" })),
      );
    console.log(`\n${label}: ${N} operations per round, ${ROUNDS} alternating rounds, median`);
    for (const w of WORKLOADS) {
      const a: number[] = [];
      const b: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        a.push(await timeIt(plain, w));
        b.push(await timeIt(observed, w));
      }
      const ratio = median(b) / median(a);
      console.log(
        `  ${w.name.padEnd(26)} without ${median(a).toFixed(1)} µs | with metrics ${median(b).toFixed(1)} µs | ${ratio.toFixed(3)}× ${ratio <= 1.05 ? "(target ≤ 1.05×: met)" : "(target ≤ 1.05×: NOT met)"}`,
      );
    }
  } finally {
    await plain.close();
    await observed.close();
    await cleanup();
  }
}

const dir = mkdtempSync(join(tmpdir(), "plinth-bench-ops-"));
await bench("SQLite file", `sqlite:${join(dir, "bench.db")}`, async () =>
  rmSync(dir, { recursive: true, force: true }),
);
const pgUrl = process.env.PLINTH_BENCH_PG_URL;
if (pgUrl) {
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  const name = `plinth_bench_ops_${process.pid}`;
  await admin.query(`DROP DATABASE IF EXISTS ${name}`);
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  await bench("PostgreSQL server", u.toString(), async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
} else console.log("\n(PostgreSQL server: set PLINTH_BENCH_PG_URL to include it)");
