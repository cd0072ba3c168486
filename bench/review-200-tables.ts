/**
 * How long `plinth review` takes on a generated 200-table database, per engine, side by side:
 * static (the declaration alone), catalog (an existing database, no declaration: introspection,
 * statistics, pragmas and catalogs) and live (both: every rule, with constraint probes in rolled-back
 * transactions, the secret sampling and an EXPLAIN of each table's hot query).
 *
 *   npm run bench:review
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npm run bench:review
 *   PLINTH_BENCH_TABLES=50 PLINTH_BENCH_ROWS=100 npm run bench:review
 *
 * The server URL names an administrative database: the bench creates a scratch database there and
 * drops it afterwards. Every table gets the same rows on every engine before the review.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { connect } from "../src/index.js";
import { REVIEW_RULES, type ReviewResult, runReview } from "../src/review/index.js";
import { generatedSchema } from "./generated-schema.js";

const TABLES = Number(process.env.PLINTH_BENCH_TABLES) || 200;
const ROWS = Number(process.env.PLINTH_BENCH_ROWS) || 20;
const declared = generatedSchema(TABLES);

interface Target {
  name: "sqlite" | "postgres";
  url: string;
  drop(): Promise<void>;
}

async function targets(): Promise<Target[]> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-review-bench-"));
  const out: Target[] = [
    {
      name: "sqlite",
      url: `sqlite:${join(dir, "review.db")}`,
      drop: async () => rmSync(dir, { recursive: true }),
    },
  ];
  const adminUrl = process.env.PLINTH_BENCH_PG_URL;
  if (adminUrl) {
    const scratch = `plinth_review_${process.pid}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${scratch}`);
    const url = new URL(adminUrl);
    url.pathname = `/${scratch}`;
    out.push({
      name: "postgres",
      url: url.toString(),
      drop: async () => {
        await admin.query(`DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
        await admin.end();
      },
    });
  } else {
    console.log("PLINTH_BENCH_PG_URL is not set: PostgreSQL left out.");
  }
  return out;
}

async function timed(run: () => Promise<ReviewResult>): Promise<{ ms: number; result: ReviewResult }> {
  const start = performance.now();
  const result = await run();
  return { ms: performance.now() - start, result };
}

const line = (label: string, ms: number, r: ReviewResult, base?: number) =>
  `  ${label.padEnd(9)} ${ms.toFixed(0).padStart(7)} ms  ${(ms / TABLES).toFixed(1).padStart(6)} ms/table  ${String(r.ran.length).padStart(2)} rules run, ${String(r.skipped.length).padStart(2)} not run, ${String(r.findings.length).padStart(4)} findings${base ? `   ${(ms / base).toFixed(1)}× static` : ""}`;

console.log(
  `plinth review, ${TABLES} generated tables, ${ROWS} rows each · ${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)}`,
);
const totals: Record<string, number> = {};
for (const target of await targets()) {
  const db = await connect(target.url, declared, { retry: { attempts: 1 } });
  try {
    await db.createSchema();
    for (const t of declared.model.tables) {
      const rows = Array.from({ length: ROWS }, (_, i) => ({ name: `${t.name}-${i}`, status: "active" }));
      await db.kysely
        .insertInto(t.name as never)
        .values(rows as never)
        .execute();
    }
    const dialect = target.name;
    const rules = REVIEW_RULES;
    const stat = await timed(() => runReview({ schema: declared, dialect, rules }));
    const catalog = await timed(() => runReview({ db: db.kysely, dialect, rules }));
    const live = await timed(() => runReview({ schema: declared, db: db.kysely, dialect, rules }));
    console.log(`\n${target.name}:`);
    console.log(line("static", stat.ms, stat.result));
    console.log(line("catalog", catalog.ms, catalog.result, stat.ms));
    console.log(line("live", live.ms, live.result, stat.ms));
    const reasons = new Set(live.result.skipped.map((s) => s.reason));
    console.log(`  not run in live: ${[...reasons].join("; ")}`);
    totals[target.name] = live.ms;
  } finally {
    await db.close();
    await target.drop();
  }
}
if (totals.sqlite && totals.postgres)
  console.log(`\nlive review, PostgreSQL / SQLite: ${(totals.postgres / totals.sqlite).toFixed(2)}×`);
