/**
 * Retention on PostgreSQL: the same months removed from two copies of one job_log table, once by
 * detaching and dropping whole monthly partitions (a table declared `partition: { by, interval }`)
 * and once by batched row deletes (the same declaration without partitioning). Prints both times,
 * their ratio, and checks both leave exactly the same rows.
 *
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npm run bench:prune
 *   PLINTH_BENCH_PRUNE_ROWS=5000000 PLINTH_BENCH_PRUNE_BATCH=10000 npm run bench:prune
 *
 * The URL names an administrative database: the bench creates a scratch database there and drops
 * it afterwards. Rows are spread evenly over January to June 2026 and filled with generate_series;
 * retention is 90 days counted back from 2026-05-30, so the cutoff is 2026-03-01 and January and
 * February go: whole partitions on one side, the same rows batch by batch on the other.
 */
import { cpus, loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { sql } from "kysely";
import pg from "pg";
import { connect } from "../src/index.js";
import { ensurePartitions, prune } from "../src/ops/index.js";
import { col, schema, table } from "../src/schema/index.js";

const ROWS = Number(process.env.PLINTH_BENCH_PRUNE_ROWS) || 3_000_000;
const BATCH = Number(process.env.PLINTH_BENCH_PRUNE_BATCH) || 10_000;
const NOW = new Date("2026-05-30T00:00:00.000Z");
const FROM = "2026-01-01 00:00:00+00";
const SPAN_SECONDS = (Date.UTC(2026, 6, 1) - Date.UTC(2026, 0, 1)) / 1000;

const columns = () => ({
  id: col.bigId(),
  jobId: col.bigint(),
  lineNo: col.integer(),
  message: col.text(),
  createdAt: col.timestamp().defaultNow(),
});
const partitioned = table("job_log_part", columns(), {
  primaryKey: ["id", "createdAt"],
  partition: { by: "createdAt", interval: "month" },
  retention: { days: 90, column: "createdAt" },
  indexes: [["jobId", "lineNo"], ["createdAt"]],
});
const plain = table("job_log_rows", columns(), {
  retention: { days: 90, column: "createdAt" },
  indexes: [["jobId", "lineNo"], ["createdAt"]],
});
const s = schema({ partitioned, plain });

const pgUrl = process.env.PLINTH_BENCH_PG_URL;
if (!pgUrl) {
  console.log(
    "bench:prune needs a PostgreSQL server: set PLINTH_BENCH_PG_URL (an administrative database URL)",
  );
  process.exit(0);
}
const admin = new pg.Client({ connectionString: pgUrl });
await admin.connect();
const name = `plinth_bench_prune_${process.pid}`;
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(pgUrl);
url.pathname = `/${name}`;
const db = await connect(url.toString(), s, { statementTimeoutMs: 0 });

try {
  const version = (await sql<{ v: string }>`SELECT version() AS v`.execute(db.kysely)).rows[0]!.v;
  console.log(`PostgreSQL: ${version.split(",")[0]}`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model.trim()}, load ${loadavg()[0]!.toFixed(2)}`);
  await db.createSchema();
  await ensurePartitions(db, { now: new Date("2026-01-15T00:00:00Z"), ahead: 6 });

  const fill = async (t: string) => {
    const started = performance.now();
    // Row i at FROM + i * span / ROWS: evenly over six months, the same ids and times in both tables.
    await sql
      .raw(
        `INSERT INTO ${t} (id, job_id, line_no, message, created_at)
         SELECT i, i / 500, i % 500, 'line ' || i || ' of a playbook run',
                timestamptz '${FROM}' + (i * ${SPAN_SECONDS}::float8 / ${ROWS}) * interval '1 second'
         FROM generate_series(1, ${ROWS}) AS i`,
      )
      .execute(db.kysely);
    await sql.raw(`ANALYZE ${t}`).execute(db.kysely);
    return (performance.now() - started) / 1000;
  };
  console.log(`filling ${ROWS.toLocaleString("en")} rows into each table …`);
  const fillPart = await fill("job_log_part");
  const fillRows = await fill("job_log_rows");
  console.log(`  filled in ${fillPart.toFixed(1)} s (partitioned) and ${fillRows.toFixed(1)} s (plain)`);

  const byPartition = await timed(() => prune(db, { table: "job_log_part", now: NOW, batchSize: BATCH }));
  const byRows = await timed(() => prune(db, { table: "job_log_rows", now: NOW, batchSize: BATCH }));
  const p = byPartition.result.tables[0]!;
  const r = byRows.result.tables[0]!;
  console.log(`cutoff ${p.cutoff}: ${p.deleted.toLocaleString("en")} rows older than 90 days`);
  console.log(
    `  partitions: ${byPartition.seconds.toFixed(2)} s (${p.partitions?.join(", ")} detached and dropped, ${p.batches} row batches after)`,
  );
  console.log(
    `  row deletes: ${byRows.seconds.toFixed(2)} s (${r.batches} batches of up to ${BATCH.toLocaleString("en")})`,
  );
  console.log(`  ratio: row deletes take ${(byRows.seconds / byPartition.seconds).toFixed(0)}× as long`);

  // Exactly the same rows must be left: same count, and no id (with its time) in one but not the other.
  const { rows } = await sql<{ part: string; plain: string; onlyPart: string; onlyPlain: string }>`
    SELECT (SELECT count(*) FROM job_log_part) AS part,
           (SELECT count(*) FROM job_log_rows) AS plain,
           (SELECT count(*) FROM (SELECT id, created_at FROM job_log_part EXCEPT SELECT id, created_at FROM job_log_rows) x) AS only_part,
           (SELECT count(*) FROM (SELECT id, created_at FROM job_log_rows EXCEPT SELECT id, created_at FROM job_log_part) x) AS only_plain`.execute(
    db.kysely,
  );
  const check = rows[0]!;
  const same = check.part === check.plain && Number(check.onlyPart) === 0 && Number(check.onlyPlain) === 0;
  const older = await sql<{ n: string }>`
    SELECT count(*) AS n FROM job_log_part WHERE created_at < ${new Date(p.cutoff)}`.execute(db.kysely);
  console.log(
    `  rows left: ${Number(check.part).toLocaleString("en")} and ${Number(check.plain).toLocaleString("en")}, ` +
      `${same ? "exactly the same rows" : `DIFFERENT (${check.onlyPart} only partitioned, ${check.onlyPlain} only plain)`}, ` +
      `${older.rows[0]!.n} older than the cutoff`,
  );
  if (!same || Number(older.rows[0]!.n) !== 0 || p.deleted !== r.deleted) process.exitCode = 1;
} finally {
  await db.close();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const started = performance.now();
  const result = await fn();
  return { result, seconds: (performance.now() - started) / 1000 };
}
