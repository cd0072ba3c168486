/**
 * `npm run bench`: every bench of plinth in one command, one after the other, each in a process of
 * its own so none inherits another's heap:
 *
 *   1. the Prisma clients are generated (bench/prisma/generate.ts; Prisma is left out if that fails);
 *   2. the workloads, plinth against the raw driver, Kysely, Drizzle, Prisma, TypeORM and MikroORM
 *      (bench/workloads.ts);
 *   3. the instrumentation overhead of plinth/ops' statement metrics (bench/instrumentation.ts);
 *   4. migration `make` and `verify` of a generated 100-table schema per engine
 *      (bench/migrate-100-tables.ts), on a scratch database of the server when there is one.
 *
 * SQLite always; the PostgreSQL server too when PLINTH_BENCH_PG_URL names an administrative
 * database there (the benches create their own databases and drop them).
 *
 *   npm run bench
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npm run bench
 *   PLINTH_BENCH_ONLY=workloads,migrations npm run bench       # some parts only
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpus, loadavg, totalmem } from "node:os";
import pg from "pg";

const ONLY = process.env.PLINTH_BENCH_ONLY?.split(",");
const pgUrl = process.env.PLINTH_BENCH_PG_URL;

function step(key: string, title: string, script: string, env: NodeJS.ProcessEnv = {}): void {
  if (ONLY && !ONLY.includes(key)) return;
  console.log(`\n## ${title}\n`);
  const result = spawnSync("npx", ["tsx", script], { stdio: "inherit", env: { ...process.env, ...env } });
  if (result.status !== 0) {
    console.log(`\n${script} failed (exit ${result.status})`);
    process.exitCode = 1;
  }
}

/** A scratch database on the server for the migration bench, which wants an empty one. */
async function withScratch(adminUrl: string, fn: (url: string) => void): Promise<void> {
  const name = `plinth_bench_migrate_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

console.log(
  `# plinth benches, ${new Date().toISOString()}\n\nNode ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}; PostgreSQL server: ${pgUrl ? new URL(pgUrl).host : "not set (PLINTH_BENCH_PG_URL)"}`,
);
step("prisma", "Prisma clients", "bench/prisma/generate.ts");
step("workloads", "Workloads", "bench/workloads.ts");
step("instrumentation", "Instrumentation overhead (queryMetrics)", "bench/instrumentation.ts");
if (!ONLY || ONLY.includes("migrations")) {
  if (pgUrl)
    await withScratch(pgUrl, (url) =>
      step("migrations", "Migrations: make + verify, 100 tables", "bench/migrate-100-tables.ts", {
        PLINTH_BENCH_PG_URL: url,
      }),
    );
  else step("migrations", "Migrations: make + verify, 100 tables", "bench/migrate-100-tables.ts");
}
