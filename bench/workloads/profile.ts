/**
 * One peer doing one workload over and over on a fresh SQLite database, for a CPU profile:
 *
 *   node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/workloads/profile.ts eager plinth
 *
 * Workloads: point, list, insert, update, eager, page, tokens. Peers: raw, plinth, kysely, drizzle.
 * (The profile of the main thread is the largest busy one; SQLite's checkpoint thread writes its own.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { params } from "./model.js";
import { drizzlePeer } from "./peers/drizzle.js";
import { kyselyPeer } from "./peers/kysely.js";
import type { BenchEngine, Peer } from "./peers/peer.js";
import { plinthPeer } from "./peers/plinth.js";
import { rawPeer } from "./peers/raw.js";
import { seed } from "./seed.js";
import { tokenOf } from "./tokens.js";

const [workload = "eager", which = "plinth", seconds = "10"] = process.argv.slice(2);
const peers = { raw: rawPeer, plinth: plinthPeer, kysely: kyselyPeer, drizzle: drizzlePeer };
const dir = mkdtempSync(join(tmpdir(), "plinth-profile-"));
const file = join(dir, "bench.db");
const engine: BenchEngine = { kind: "sqlite", title: "SQLite", url: `sqlite:${file}`, file };
await seed(engine);
const peer: Peer = await peers[which as keyof typeof peers](engine);
const versions = new Map<number, number>();
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
  tokens: async (i) => {
    if (!(await peer.verifyToken(tokenOf(i)))) throw new Error(`token ${i} refused`);
  },
};
const op = ops[workload]!;
const until = performance.now() + Number(seconds) * 1000;
let i = 0;
const cpu = process.cpuUsage();
const start = performance.now();
while (performance.now() < until) await op(i++);
const used = process.cpuUsage(cpu);
console.log(
  `${which} ${workload}: ${i} operations, ${(((performance.now() - start) * 1000) / i).toFixed(1)} µs wall, ${((used.user + used.system) / i).toFixed(1)} µs CPU each`,
);
await peer.close();
rmSync(dir, { recursive: true, force: true });
