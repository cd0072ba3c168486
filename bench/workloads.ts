/**
 * plinth against the raw driver and its peers, workload by workload, measured side by side in one
 * run: point read, filtered list, single-row insert, bulk insert, versioned update, eager load and
 * page + total count, on SQLite (a WAL file) and on a PostgreSQL server.
 *
 *   npm run bench:workloads                                        # SQLite only
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres npm run bench:workloads
 *   PLINTH_BENCH_ENGINES=postgres PLINTH_BENCH_ROUNDS=7 PLINTH_BENCH_SCALE=2 npm run bench:workloads
 *   PLINTH_BENCH_WORKLOADS=list,update npm run bench:workloads    # some workloads only
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
import { bulkRows, JOBS, PER_PAGE, params } from "./workloads/model.js";
import { drizzlePeer } from "./workloads/peers/drizzle.js";
import { kyselyPeer } from "./workloads/peers/kysely.js";
import { type BenchEngine, benchPool, type Peer } from "./workloads/peers/peer.js";
import { plinthPeer } from "./workloads/peers/plinth.js";
import { rawPeer } from "./workloads/peers/raw.js";
import { seed } from "./workloads/seed.js";

/** The first is the baseline. */
const PEERS: ((engine: BenchEngine) => Promise<Peer>)[] = [rawPeer, plinthPeer, kyselyPeer, drizzlePeer];

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
    title: "bulk insert 100,000 rows",
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
    key: "page",
    title: "page + total count",
    target: 1.5,
    ops: 400,
    warmup: 400,
    op: (peer) => (i) => peer.page(params.pageStatus, params.page(i)),
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
    const children = eager.reduce((n, r) => n + ((r.logs ?? r.jobLogs) as unknown[]).length, 0);
    return [
      (await peer.pointRead(1)) ? 1 : 0,
      (await peer.list(1, params.listStatus)).length,
      eager.length,
      children,
      Math.min(PER_PAGE, (await peer.page(params.pageStatus, 2)).items.length),
      (await peer.page(params.pageStatus, 2)).total,
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

async function run(engine: BenchEngine): Promise<Results> {
  await seed(engine);
  const peers: Peer[] = [];
  for (const open of PEERS) peers.push(await open(engine));
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
      const timings = await compare(variants, {
        rounds: ROUNDS,
        ops: Math.max(1, Math.round(w.ops * SCALE)),
        warmup: w.warmup,
        before: w.before?.(context),
      });
      results.set(w.key, new Map(Object.entries(timings)));
      report(w, peers, timings);
    }
  } finally {
    for (const peer of peers) await peer.close();
    await bulkTable.close();
  }
  return results;
}

function report(w: Workload, peers: Peer[], t: Record<string, Timing>): void {
  const base = t[peers[0]!.name]!;
  const cells = peers.map((peer) => {
    const x = t[peer.name]!;
    return `${peer.name} ${x.wall.toFixed(1)} µs (${(x.wall / base.wall).toFixed(2)}×, CPU ${x.cpu.toFixed(1)})`;
  });
  const plinth = t.plinth!.wall;
  const peersBest = Math.min(
    ...peers.filter((p) => p.name !== "plinth" && p !== peers[0]).map((p) => t[p.name]!.wall),
  );
  const met = plinth / base.wall <= w.target && plinth <= peersBest;
  console.log(
    `  ${w.title.padEnd(38)} ${cells.join(" | ")}  target ≤ ${w.target}× and ahead of peers: ${met ? "met" : "NOT met"}`,
  );
}

function table(all: [BenchEngine, Results][]): void {
  const peerNames = ["plinth", "Kysely", "Drizzle"];
  const header = all.flatMap(([e]) => peerNames.map((n) => `${e.kind === "sqlite" ? "SQLite" : "PG"}: ${n}`));
  console.log("\nWall time ÷ the raw driver's (CPU time of this process ÷ the raw driver's):");
  console.log(`\n| workload | target | ${header.join(" | ")} |`);
  console.log(`|---|---|${header.map(() => "---").join("|")}|`);
  for (const w of WORKLOADS) {
    if (ONLY && !ONLY.includes(w.key)) continue;
    const cells = all.flatMap(([, r]) => {
      const t = r.get(w.key);
      if (!t) return peerNames.map(() => "–");
      const base = t.get("raw driver")!;
      return peerNames.map((n) => {
        const ratio = t.get(n)!.wall / base.wall;
        const cpu = t.get(n)!.cpu / base.cpu;
        const text = `${ratio.toFixed(2)}× (${cpu.toFixed(2)}×)`;
        return n === "plinth" && ratio > w.target ? `**${text}**` : text;
      });
    });
    console.log(`| ${w.title} | ≤ ${w.target}× | ${cells.join(" | ")} |`);
  }
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
