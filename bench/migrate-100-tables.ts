/**
 * How long `make` (autodetect + write) and `verify` (up/down/up on a real database, with
 * introspection after each step) take for a generated 100-table schema, per engine, side by side.
 *
 *   npx tsx bench/migrate-100-tables.ts
 *   PLINTH_BENCH_PG_URL=postgres://… PLINTH_BENCH_MYSQL_URL=mysql://… npx tsx bench/migrate-100-tables.ts
 *
 * Server URLs must point at an empty scratch database. Ratios are against SQLite in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { LoadedMigration } from "../src/migrate/index.js";
import { autodetect, EMPTY_STATE, migration, renderMigrationFile } from "../src/migrate/index.js";
import { verifyMigrations } from "../src/migrate/verify.js";
import { generatedSchema } from "./generated-schema.js";

const TABLES = Number(process.env.PLINTH_BENCH_TABLES) || 100;
const declared = generatedSchema(TABLES).model;

const makeStart = performance.now();
const operations = autodetect(EMPTY_STATE, declared).operations;
const m = migration({ id: "0001_initial", description: `${TABLES} tables`, parents: [], operations });
const file = renderMigrationFile(m);
const makeMs = performance.now() - makeStart;
const loaded: LoadedMigration[] = [{ migration: m, file: "0001_initial.ts", checksum: "bench" }];

const dir = mkdtempSync(join(tmpdir(), "plinth-bench-"));
const targets = [
  { name: "sqlite", url: `sqlite:${join(dir, "bench.db")}` },
  { name: "pglite", url: "pglite:" },
  ...(process.env.PLINTH_BENCH_PG_URL ? [{ name: "postgres", url: process.env.PLINTH_BENCH_PG_URL }] : []),
  ...(process.env.PLINTH_BENCH_MYSQL_URL ? [{ name: "mysql", url: process.env.PLINTH_BENCH_MYSQL_URL }] : []),
];

console.log(
  `make: ${TABLES} tables, ${operations.length} operations, ${file.split("\n").length} lines in ${makeMs.toFixed(0)} ms`,
);
const results: { name: string; ms: number; ok: boolean }[] = [];
for (const target of targets) {
  const start = performance.now();
  const report = await verifyMigrations({ migrations: loaded, targets: [target], declared });
  const ms = performance.now() - start;
  results.push({ name: target.name, ms, ok: report.ok });
}
rmSync(dir, { recursive: true, force: true });

const base = results[0]!.ms;
console.log("\nverify (up, introspect, down, introspect, up, introspect, roll back):");
for (const r of results) {
  console.log(
    `  ${r.name.padEnd(9)} ${r.ms.toFixed(0).padStart(7)} ms   ${(r.ms / base).toFixed(2)}× sqlite   ${(r.ms / makeMs).toFixed(0)}× make   ${r.ok ? "ok" : "FAILED"}`,
  );
}
if (!process.env.PLINTH_BENCH_PG_URL || !process.env.PLINTH_BENCH_MYSQL_URL) {
  console.log("\n(set PLINTH_BENCH_PG_URL and PLINTH_BENCH_MYSQL_URL to include the server engines)");
}
