/**
 * One peer doing one workload over and over on a fresh SQLite database (or PostgreSQL database), for a CPU profile of the
 * timed loop alone (not the seeding): it prints the functions with the most self time and writes
 * the profile for Chrome's DevTools or speedscope.
 *
 *   npx tsx bench/workloads/profile.ts update plinth 10 /tmp/update.cpuprofile
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/workloads/profile.ts tokens plinth
 *   PROFILE_INTERVAL=25 npx tsx bench/workloads/profile.ts point plinth   # sample every 25 µs (default 200)
 *
 * Workloads: point, list, insert, bulk, update, eager, page (total counted), pageCached, tokens.
 * Peers: raw, plinth, kysely, drizzle.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { bulkRows, params } from "./model.js";
import { drizzlePeer } from "./peers/drizzle.js";
import { kyselyPeer } from "./peers/kysely.js";
import type { BenchEngine, Peer } from "./peers/peer.js";
import { plinthPeer } from "./peers/plinth.js";
import { rawPeer } from "./peers/raw.js";
import { seed } from "./seed.js";
import { tokenOf } from "./tokens.js";

const [workload = "eager", which = "plinth", seconds = "10", out] = process.argv.slice(2);
const peers = { raw: rawPeer, plinth: plinthPeer, kysely: kyselyPeer, drizzle: drizzlePeer };
const dir = mkdtempSync(join(tmpdir(), "plinth-profile-"));
const file = join(dir, "bench.db");
// PLINTH_BENCH_PG_URL: on a fresh database of that server instead (dropped afterwards).
const adminUrl = process.env.PLINTH_BENCH_PG_URL;
const pgName = `plinth_profile_${process.pid}`;
const admin = adminUrl ? new pg.Client({ connectionString: adminUrl }) : undefined;
let engine: BenchEngine = { kind: "sqlite", title: "SQLite", url: `sqlite:${file}`, file };
if (admin) {
  await admin.connect();
  await admin.query(`CREATE DATABASE ${pgName}`);
  const url = new URL(adminUrl!);
  url.pathname = `/${pgName}`;
  engine = { kind: "postgres", title: "PostgreSQL", url: url.toString() };
}
await seed(engine);
const peer: Peer = await peers[which as keyof typeof peers](engine);
const versions = new Map<number, number>();
const rows = bulkRows();
const ops: Record<string, (i: number) => unknown> = {
  point: (i) => peer.pointRead(params.pointId(i)),
  list: (i) => peer.list(params.listUser(i), params.listStatus),
  insert: (i) => peer.insert(params.newJob(i)),
  update: async (i) => {
    const id = (i % 5000) + 1;
    versions.set(id, (await peer.update(id, versions.get(id) ?? 1, i % 256)).version);
  },
  eager: (i) => peer.eagerLoad(params.eagerOffset(i)),
  page: (i) => peer.page(params.pageStatus, params.page(i)),
  bulk: () => peer.bulkInsert(rows),
  pageCached: (i) => peer.pageCached!(params.pageStatus, params.page(i)),
  tokens: async (i) => {
    if (!(await peer.verifyToken(tokenOf(i)))) throw new Error(`token ${i} refused`);
  },
};
const op = ops[workload]!;
const warmup = workload === "bulk" ? 1 : 500;
for (let k = 0; k < warmup; k++) await op(k);
const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: Number(process.env.PROFILE_INTERVAL ?? 200) });
await session.post("Profiler.start");
const until = performance.now() + Number(seconds) * 1000;
let i = warmup;
const cpu = process.cpuUsage();
const start = performance.now();
while (performance.now() < until) await op(i++);
const used = process.cpuUsage(cpu);
const { profile } = await session.post("Profiler.stop");
const n = i - warmup;
console.log(
  `${which} ${workload}: ${n} operations, ${(((performance.now() - start) * 1000) / n).toFixed(1)} µs wall, ${((used.user + used.system) / n).toFixed(1)} µs CPU each`,
);
if (out) writeFileSync(out, JSON.stringify(profile));
printTop(profile, 15);
await peer.close();
rmSync(dir, { recursive: true, force: true });
if (admin) {
  await admin.query(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  await admin.end();
}

/** The functions with the most self time, as a share of the samples that were not idle. */
function printTop(p: { nodes: any[]; samples?: number[]; timeDeltas?: number[] }, count: number): void {
  const byId = new Map(p.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  (p.samples ?? []).forEach((id, k) => {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === "(idle)") return;
    const file = frame.url.split("/").slice(-2).join("/");
    const key = `${frame.functionName || "(anonymous)"} ${file}`;
    const dt = p.timeDeltas?.[k] ?? 0;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  for (const [key, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, count))
    console.log(`  ${((100 * t) / total).toFixed(1).padStart(5)}%  ${key}`);
}
