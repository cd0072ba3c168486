/**
 * plinth against the raw driver and its peers (Kysely, Drizzle, Prisma, TypeORM, MikroORM), workload
 * by workload, measured side by side in one run: point read, filtered list, single-row insert, bulk
 * insert, versioned update, eager load, API-token authentication among 100,000 tokens, and a page
 * with its total, counted and cached, on SQLite (a WAL file) and on a PostgreSQL server.
 *
 *   npm run bench:workloads                                        # SQLite only
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npm run bench:workloads
 *   PLINTH_BENCH_ENGINES=postgres PLINTH_BENCH_ROUNDS=7 PLINTH_BENCH_SCALE=2 npm run bench:workloads
 *   PLINTH_BENCH_WORKLOADS=list,update npm run bench:workloads    # some workloads only
 *   PLINTH_BENCH_PEERS=plinth,Drizzle npm run bench:workloads      # some peers only (the raw driver always)
 *   PLINTH_BENCH_BULK_ROWS=20000 PLINTH_BENCH_TOKENS=20000 npm run bench:workloads   # smaller data
 *
 * `npm run bench` runs this after generating the Prisma clients, then the instrumentation and
 * migration benches (bench/all.ts).
 *
 * The server URL names an administrative database: the bench creates a fresh database there and
 * drops it afterwards. Every peer works on the same tables and data (bench/workloads/model.ts) and
 * returns the rows it reads or writes; the raw driver, with statements prepared once, is the limit
 * every ratio is taken against. Variants run in alternating rounds and each reports its median
 * round; on a busy machine read the ratios as indicative and run it more than once.
 *
 * Adding a peer: implement Peer (bench/workloads/peers/peer.ts) and add it to PEERS. Adding a
 * workload: a method on Peer and an entry in WORKLOADS.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { compare, type Timing } from "./workloads/measure.js";
import { BULK_ROWS, bulkRows, JOBS, PER_PAGE, params } from "./workloads/model.js";
import { drizzlePeer } from "./workloads/peers/drizzle.js";
import { kyselyPeer } from "./workloads/peers/kysely.js";
import { mikroormPeer } from "./workloads/peers/mikroorm.js";
import { type BenchEngine, benchPool, type Peer } from "./workloads/peers/peer.js";
import { plinthPeer } from "./workloads/peers/plinth.js";
import { prismaPeer } from "./workloads/peers/prisma.js";
import { rawPeer } from "./workloads/peers/raw.js";
import { typeormPeer } from "./workloads/peers/typeorm.js";
import { seed } from "./workloads/seed.js";
import { TOKENS, tokenOf } from "./workloads/tokens.js";

/** The first is the baseline; a peer that cannot open is left out with a note. */
const PEERS: [string, (engine: BenchEngine) => Promise<Peer>][] = [
  ["raw driver", rawPeer],
  ["plinth", plinthPeer],
  ["Kysely", kyselyPeer],
  ["Drizzle", drizzlePeer],
  ["Prisma", prismaPeer],
  ["TypeORM", typeormPeer],
  ["MikroORM", mikroormPeer],
];
const LIBRARIES = PEERS.slice(1).map(([name]) => name);
const ONLY_PEERS = process.env.PLINTH_BENCH_PEERS?.split(",");

const ROUNDS = Number(process.env.PLINTH_BENCH_ROUNDS) || 5;
const SCALE = Number(process.env.PLINTH_BENCH_SCALE) || 1;
const ENGINES = (process.env.PLINTH_BENCH_ENGINES ?? "sqlite,postgres").split(",");
const ONLY = process.env.PLINTH_BENCH_WORKLOADS?.split(",");

interface Context {
  engine: BenchEngine;
  peers: Peer[];
  /** Empties the bulk insert's table (untimed). */
  emptyBulk(): Promise<void>;
}

interface Workload {
  key: string;
  title: string;
  /** The most plinth may take, as a multiple of the raw driver's time. */
  target: number;
  /** Report each operation's p50 and p99 latency too. */
  latencies?: boolean;
  ops: number;
  warmup: number;
  before?: (c: Context) => () => Promise<void>;
  /** The i-th operation of peer number `p` (of `count`). */
  op(peer: Peer, p: number, count: number): (i: number) => unknown;
}

const WORKLOADS: Workload[] = [
  {
    key: "point",
    title: "point read by PK",
    target: 1.3,
    ops: 2000,
    warmup: 2000,
    op: (peer) => (i) => peer.pointRead(params.pointId(i)),
  },
  {
    key: "list",
    title: "filtered list, ORDER BY, LIMIT 50",
    target: 1.3,
    ops: 400,
    warmup: 400,
    op: (peer) => (i) => peer.list(params.listUser(i), params.listStatus),
  },
  {
    key: "insert",
    title: "single-row insert",
    target: 1.3,
    ops: 1000,
    warmup: 1000,
    op: (peer) => (i) => peer.insert(params.newJob(i)),
  },
  {
    key: "bulk",
    title: `bulk insert ${BULK_ROWS.toLocaleString("en")} rows`,
    target: 1.3,
    ops: 1,
    warmup: 1,
    before: (c) => c.emptyBulk,
    op: (peer) => {
      const rows = bulkRows();
      return () => peer.bulkInsert(rows);
    },
  },
  {
    key: "update",
    title: "update with version check",
    target: 1.3,
    ops: 1000,
    warmup: 1000,
    op: (peer, p, count) => {
      // Each peer updates its own rows, so it knows their versions from what it got back.
      const versions = new Map<number, number>();
      const each = Math.floor(JOBS / count);
      return async (i) => {
        const id = (i % each) * count + p + 1;
        const row = await peer.update(id, versions.get(id) ?? 1, i % 256);
        versions.set(id, row.version);
      };
    },
  },
  {
    key: "eager",
    title: "eager load 1,000 parents + children",
    target: 1.5,
    ops: 4,
    warmup: 4,
    op: (peer) => (i) => peer.eagerLoad(params.eagerOffset(i)),
  },
  {
    key: "tokens",
    title: `API-token auth among ${TOKENS.toLocaleString("en")} tokens`,
    target: 1.3,
    ops: 2000,
    warmup: 2000,
    latencies: true,
    op: (peer) => async (i) => {
      const row = await peer.verifyToken(tokenOf(i));
      if (!row) throw new Error(`${peer.name} refused token ${i}`);
      return row;
    },
  },
  {
    key: "page",
    title: "page + total count, counted",
    target: 1.5,
    ops: 400,
    warmup: 400,
    op: (peer) => (i) => peer.page(params.pageStatus, params.page(i)),
  },
  {
    key: "pageCached",
    title: "page + total count, cached",
    target: 1.5,
    ops: 400,
    warmup: 400,
    // A peer without a count cache of its own counts every time (marked in the report).
    op: (peer) => (i) => (peer.pageCached ?? peer.page).call(peer, params.pageStatus, params.page(i)),
  },
];

async function sqliteEngine(): Promise<{ engine: BenchEngine; drop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-workloads-"));
  const file = join(dir, "bench.db");
  return {
    engine: {
      kind: "sqlite",
      title: "SQLite, file in WAL mode (better-sqlite3)",
      url: `sqlite:${file}`,
      file,
    },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

async function postgresEngine(adminUrl: string): Promise<{ engine: BenchEngine; drop(): Promise<void> }> {
  const name = `plinth_workloads_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    engine: { kind: "postgres", title: `PostgreSQL server (pg), ${url.host}`, url: url.toString() },
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Each peer's rows must be the raw driver's rows, in number at least. */
async function sameRows(peers: Peer[]): Promise<void> {
  const shape = async (peer: Peer) => {
    const eager = (await peer.eagerLoad(0)) as Record<string, unknown>[];
    const children = eager.reduce((n, r) => n + ((r.logs ?? r.jobLogs) as { length: number }).length, 0);
    return [
      (await peer.pointRead(1)) ? 1 : 0,
      (await peer.list(1, params.listStatus)).length,
      eager.length,
      children,
      Math.min(PER_PAGE, (await peer.page(params.pageStatus, 2)).items.length),
      (await peer.page(params.pageStatus, 2)).total,
      (await (peer.pageCached ?? peer.page).call(peer, params.pageStatus, 2)).total,
      (await peer.verifyToken(tokenOf(1))) ? 1 : 0,
      (await peer.verifyToken(`${tokenOf(1).slice(0, -1)}!`)) ? 1 : 0,
    ].join(",");
  };
  const expected = await shape(peers[0]!);
  for (const peer of peers.slice(1)) {
    const got = await shape(peer);
    if (got !== expected)
      throw new Error(`${peer.name} returns other rows than the raw driver: ${got} vs ${expected}`);
  }
}

/** Empties the bulk insert's table between rounds, on a connection of its own. */
function emptier(engine: BenchEngine): { empty(): Promise<void>; close(): Promise<void> } {
  if (engine.kind === "sqlite") {
    const db = new Database(engine.file!);
    const del = db.prepare("DELETE FROM bulk_log");
    return { empty: async () => void del.run(), close: async () => void db.close() };
  }
  const pool = benchPool(engine.url, 1);
  return { empty: async () => void (await pool.query("TRUNCATE bulk_log")), close: () => pool.end() };
}

type Results = Map<string, Map<string, Timing>>;

async function openPeers(engine: BenchEngine): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (const [name, open] of PEERS) {
    if (ONLY_PEERS && name !== "raw driver" && !ONLY_PEERS.includes(name)) continue;
    try {
      peers.push(await open(engine));
    } catch (error) {
      console.log(`  ${name} left out on ${engine.kind}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return peers;
}

async function run(engine: BenchEngine): Promise<Results> {
  await seed(engine);
  const peers = await openPeers(engine);
  const bulkTable = emptier(engine);
  const emptyBulk = bulkTable.empty;
  const context: Context = { engine, peers, emptyBulk };
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(`\n${engine.title}: ${ROUNDS} alternating rounds, median; ${cpus().length} CPUs, load ${load}`);
  await sameRows(peers);
  const results: Results = new Map();
  try {
    for (const w of WORKLOADS) {
      if (ONLY && !ONLY.includes(w.key)) continue;
      const variants = Object.fromEntries(peers.map((peer, p) => [peer.name, w.op(peer, p, peers.length)]));
      let timings: Record<string, Timing>;
      try {
        timings = await compare(variants, {
          rounds: ROUNDS,
          ops: Math.max(1, Math.round(w.ops * SCALE)),
          warmup: w.warmup,
          before: w.before?.(context),
          latencies: w.latencies,
        });
      } catch (error) {
        // One peer's failure costs the workload, not the run.
        console.log(`  ${w.title}: FAILED, ${(error as Error).message.split("\n")[0]!.slice(0, 300)}`);
        continue;
      }
      results.set(w.key, new Map(Object.entries(timings)));
      report(w, peers, timings);
    }
  } finally {
    for (const peer of peers) await peer.close();
    await bulkTable.close();
  }
  console.log(
    `  load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" ")}`,
  );
  return results;
}

/** Operations a second, with decimals when there are few (the bulk insert). */
const opsPerSecond = (t: Timing) => {
  const rate = 1e6 / t.wall;
  return rate >= 100 ? rate.toFixed(0) : rate.toPrecision(2);
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

/** Whether plinth meets the target: within `target`× of the raw driver, and the fastest library. */
function check(w: Workload, t: Map<string, Timing> | Record<string, Timing>) {
  const get = (n: string) => (t instanceof Map ? t.get(n) : t[n]);
  const raw = get("raw driver")!.wall;
  const plinth = get("plinth")!.wall;
  const others = LIBRARIES.filter((n) => n !== "plinth" && get(n)).map((n) => [n, get(n)!.wall] as const);
  const fastest = others.reduce((best, x) => (x[1] < best[1] ? x : best), ["", Infinity] as const);
  const ratio = plinth / raw;
  return {
    ratio,
    withinRaw: ratio <= w.target,
    fastest: plinth <= fastest[1],
    ahead: fastest[0],
    text: `${ratio <= w.target ? "met" : "MISSED"} ≤ ${w.target}× raw; ${plinth <= fastest[1] ? "fastest library" : `behind ${fastest[0]}`}`,
  };
}

function report(w: Workload, peers: Peer[], t: Record<string, Timing>): void {
  const base = t[peers[0]!.name]!;
  console.log(`  ${w.title}: ${check(w, t).text}`);
  for (const peer of peers) {
    const x = t[peer.name]!;
    const latency = x.p50 === undefined ? "" : `  p50 ${x.p50.toFixed(0)} µs, p99 ${x.p99!.toFixed(0)} µs`;
    const noCache = w.key === "pageCached" && !peer.pageCached ? "  (no count cache: counts)" : "";
    console.log(
      `    ${peer.name.padEnd(10)} ${opsPerSecond(x).padStart(8)} ops/s  ${x.wall.toFixed(1).padStart(9)} µs  ${(x.wall / base.wall).toFixed(2).padStart(6)}× raw  ${t.plinth ? `${(x.wall / t.plinth.wall).toFixed(2).padStart(6)}× plinth` : ""}  CPU ${x.cpu.toFixed(1)} µs  heap ≤ ${mb(x.peakHeap)}${latency}${noCache}`,
    );
  }
}

/** Markdown tables: ops/s with both ratios, and peak heap, per workload and peer. */
function table(all: [BenchEngine, Results][]): void {
  for (const [engine, results] of all) {
    const names = ["raw driver", ...LIBRARIES].filter((n) => [...results.values()][0]?.has(n));
    console.log(`\n### ${engine.title}\n`);
    console.log("Median ops/s (÷ raw driver's time, ÷ plinth's time); the target check is plinth's.\n");
    console.log(`| workload | target (plinth) | check | ${names.join(" | ")} |`);
    console.log(`|---|---|---|${names.map(() => "---").join("|")}|`);
    for (const w of WORKLOADS) {
      const t = results.get(w.key);
      if (!t) continue;
      const raw = t.get("raw driver")!.wall;
      const plinth = t.get("plinth")?.wall;
      const c = check(w, t);
      const cells = names.map((n) => {
        const x = t.get(n)!;
        const ratios = `${(x.wall / raw).toFixed(2)}×${plinth ? `, ${(x.wall / plinth).toFixed(2)}×` : ""}`;
        const text = `${opsPerSecond(x)} (${ratios})`;
        return n === "plinth" && !c.withinRaw ? `**${text}**` : text;
      });
      const target = `≤ ${w.target}× raw, fastest`;
      console.log(
        `| ${w.title} | ${target} | ${c.withinRaw ? "met" : "missed"} / ${c.fastest ? "fastest" : `behind ${c.ahead}`} | ${cells.join(" | ")} |`,
      );
    }
    const tokens = results.get("tokens");
    if (tokens) {
      console.log("\nAPI-token authentication, latency per verification (p50 / p99):\n");
      console.log(`| ${names.join(" | ")} |\n|${names.map(() => "---").join("|")}|`);
      console.log(
        `| ${names.map((n) => `${tokens.get(n)!.p50!.toFixed(0)} / ${tokens.get(n)!.p99!.toFixed(0)} µs`).join(" | ")} |`,
      );
    }
    console.log(
      "\nPeak heap in use during each peer's rounds, above the heap after the collection that starts each round:\n",
    );
    console.log(`| workload | ${names.join(" | ")} |`);
    console.log(`|---|${names.map(() => "---").join("|")}|`);
    for (const w of WORKLOADS) {
      const t = results.get(w.key);
      if (t) console.log(`| ${w.title} | ${names.map((n) => mb(t.get(n)!.peakHeap)).join(" | ")} |`);
    }
  }
  console.log(`\nProcess peak RSS: ${mb(process.resourceUsage().maxRSS * 1024)} (all peers in one process)`);
}

const all: [BenchEngine, Results][] = [];
const setups: [string, () => Promise<{ engine: BenchEngine; drop(): Promise<void> }>][] = [
  ["sqlite", sqliteEngine],
];
const pgUrl = process.env.PLINTH_BENCH_PG_URL;
if (pgUrl) setups.push(["postgres", () => postgresEngine(pgUrl)]);
else if (ENGINES.includes("postgres")) console.log("PostgreSQL server skipped: set PLINTH_BENCH_PG_URL");
for (const [key, setup] of setups) {
  if (!ENGINES.includes(key)) continue;
  const { engine, drop } = await setup();
  try {
    all.push([engine, await run(engine)]);
  } finally {
    await drop();
  }
}
table(all);
