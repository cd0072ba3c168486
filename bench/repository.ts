/**
 * The cost of plinth's data layer against the tools it builds on, measured side by side in one run:
 * point read by primary key, create, update with an expected version (read, then update), the same
 * update on an audited table, and findMany with an include. Each is timed for plinth, for plain
 * Kysely and for the raw driver, on every engine configured:
 *
 *   npx tsx bench/repository.ts                       # SQLite (file) and PGlite (in-process)
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:55432/postgres \
 *   PLINTH_BENCH_MYSQL_URL=mysql://plinth:plinth@127.0.0.1:53306/ npx tsx bench/repository.ts
 *   PLINTH_BENCH_ITERATIONS=5000 PLINTH_BENCH_ENGINES=sqlite,postgres npx tsx bench/repository.ts
 *
 * The server URLs name an administrative database: the bench creates a fresh database there and
 * drops it afterwards.
 *
 * Targets: point read ≤ 1.3× the raw driver; audited update ≤ 2× the same update unaudited.
 *
 * Variants of one operation run in alternating rounds and each reports its median round, so a
 * machine that gets busier during the run slows every variant alike instead of whichever ran last.
 * CPU time of this process is shown next to wall time: for the in-process engines (SQLite, PGlite)
 * it is the whole cost and barely moves with the machine's load; for servers it is the client's share.
 * The "met" verdicts use wall time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import { Kysely, MysqlDialect, PostgresDialect, SqliteDialect } from "kysely";
import mysql from "mysql2";
import mysqlPromise from "mysql2/promise";
import pg from "pg";
import { translatingDialectOf } from "../src/data/translating-dialect.js";
import type { Db } from "../src/index.js";
import { AuditTrail, auditLog, connect, withAuditContext } from "../src/index.js";
import { col, ref, schema, table, timestamps, version } from "../src/schema/index.js";

const N = Number(process.env.PLINTH_BENCH_ITERATIONS) || 2000;
const ROUNDS = 7;
const ENGINES = (process.env.PLINTH_BENCH_ENGINES ?? "sqlite,pglite,postgres,mysql").split(",");

const account = table(
  "account",
  {
    id: col.id(),
    username: col.varchar(80).unique(),
    score: col.integer().default(0),
    ...version(),
    ...timestamps(),
  },
  { audit: true },
);
const realm = table("realm", {
  id: col.id(),
  accountId: ref(() => account.id, { onDelete: "cascade" }),
  label: col.varchar(40),
});
const appSchema = schema({ account, realm, auditLog: auditLog() });
type App = typeof appSchema;

type Op = (i: number) => Promise<unknown> | unknown;

// A full collection before each round: otherwise the garbage of an allocation-heavy variant (plain
// Kysely) is collected during the next variant's round and billed to it.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

interface Timing {
  /** Median wall-clock µs per operation. */
  wall: number;
  /** Median CPU µs per operation of this process (the whole cost for in-process engines). */
  cpu: number;
}

/** Runs the variants in alternating rounds; returns each variant's median µs per operation. */
async function compare(variants: Record<string, Op>): Promise<Record<string, Timing>> {
  const names = Object.keys(variants);
  const perRound = Math.max(1, Math.ceil(N / ROUNDS));
  let i = 0;
  // Warm-up until the JIT has settled: 2000 operations or one second per variant, whichever is first.
  for (const name of names) {
    const until = performance.now() + 1000;
    for (let k = 0; k < 2000 && performance.now() < until; k++) await variants[name]!(i++);
  }
  const samples = new Map<string, { wall: number[]; cpu: number[] }>(
    names.map((n) => [n, { wall: [], cpu: [] }]),
  );
  for (let round = 0; round < ROUNDS; round++) {
    for (const name of names) {
      const op = variants[name]!;
      collectGarbage();
      const start = performance.now();
      const cpu = process.cpuUsage();
      for (let k = 0; k < perRound; k++) await op(i++);
      const used = process.cpuUsage(cpu);
      samples.get(name)!.wall.push(((performance.now() - start) * 1000) / perRound);
      samples.get(name)!.cpu.push((used.user + used.system) / perRound);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const out: Record<string, Timing> = {};
  for (const name of names) {
    const s = samples.get(name)!;
    out[name] = { wall: median(s.wall), cpu: median(s.cpu) };
    lines.push([name, out[name]!]);
  }
  return out;
}
const lines: [string, Timing][] = [];

/** What one engine provides to the shared measurements. */
interface Engine {
  title: string;
  /** Two handles on identical data: one with the audit trail, one without. */
  audited: Db<App>;
  plain: Db<App>;
  /** The same statements through the driver itself and through plain Kysely (no plinth plugins). */
  raw: {
    read(id: number): Promise<unknown> | unknown;
    create(username: string): Promise<unknown> | unknown;
    update(id: number): Promise<unknown> | unknown;
    /** The audited update written by hand: one transaction, read before, update, audit insert. */
    auditedUpdate(id: number): Promise<unknown> | unknown;
  };
  kysely: Kysely<any>;
  close(): Promise<void>;
}

async function seed(db: Db<App>, accounts: number): Promise<number[]> {
  const ids: number[] = [];
  const rows = await db
    .repo("account")
    .createMany(Array.from({ length: accounts }, (_, i) => ({ username: `u${i}` })));
  for (const r of rows) ids.push(r.id);
  await db
    .repo("realm")
    .createMany(ids.slice(0, 200).flatMap((id) => [0, 1, 2].map((k) => ({ accountId: id, label: `r${k}` }))));
  return ids;
}

let seq = 0;

async function measure(engine: Engine, ids: number[]): Promise<void> {
  const pick = (i: number) => ids[i % ids.length]!;
  const { audited, plain, raw, kysely } = engine;
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(" ");
  console.log(
    `\n${engine.title} (${N} iterations each, ${ROUNDS} alternating rounds, median; ${cpus().length} CPUs, load ${load})`,
  );
  const read = await compare({
    "point read: raw driver": (i) => raw.read(pick(i)),
    "point read: kysely": (i) =>
      kysely.selectFrom("account").selectAll().where("id", "=", pick(i)).executeTakeFirst(),
    "point read: plinth": (i) => plain.repo("account").getById(pick(i)),
  });
  await compare({
    "create: raw driver": () => raw.create(`raw${++seq}`),
    "create: kysely": () =>
      kysely
        .insertInto("account")
        .values({ username: `ky${++seq}` })
        .execute(),
    "create: plinth": () => plain.repo("account").create({ username: `pl${++seq}` }),
  });
  // Both inside a request's audit context, as a service runs them; only the audited table reads it.
  const readModifyWrite = (db: Db<App>) => (i: number) =>
    withAuditContext(REQUEST, async () => {
      const accounts = db.repo("account");
      const row = await accounts.getByIdOrThrow(pick(i));
      return accounts.update(row.id, { score: row.score + 1 }, { expectedVersion: row.version });
    });
  const update = await compare({
    "update with version: raw driver": (i) => raw.update(pick(i)),
    "update with version: raw driver, audited by hand": (i) => raw.auditedUpdate(pick(i)),
    "update with version: plinth": readModifyWrite(plain),
    "update with version: plinth, audited": readModifyWrite(audited),
  });
  const someIds = ids.slice(0, 50);
  await compare({
    "findMany 50 + realms: kysely, 2 queries": async () => {
      const accounts = await kysely.selectFrom("account").selectAll().where("id", "in", someIds).execute();
      return kysely
        .selectFrom("realm")
        .selectAll()
        .where(
          "account_id",
          "in",
          accounts.map((a) => a.id),
        )
        .execute();
    },
    "findMany 50 + realms: plinth include": () =>
      plain.repo("account").findMany({ where: { id: someIds }, include: ["realms"] }),
  });

  console.log(`  ${"".padEnd(50)} ${"wall µs/op".padStart(10)} ${"CPU µs/op".padStart(10)}`);
  for (const [label, t] of lines.splice(0))
    console.log(`  ${label.padEnd(50)} ${t.wall.toFixed(1).padStart(10)} ${t.cpu.toFixed(1).padStart(10)}`);
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  const ratio = (a: Timing, b: Timing) => ({ wall: a.wall / b.wall, cpu: a.cpu / b.cpu });
  const show = (r: { wall: number; cpu: number }) => `${r.wall.toFixed(2)}× (CPU ${r.cpu.toFixed(2)}×)`;
  const readRatio = ratio(read["point read: plinth"]!, read["point read: raw driver"]!);
  console.log(
    `  point read: plinth ${show(readRatio)} the raw driver (target ≤ 1.3×: ${verdict(readRatio.wall <= 1.3)})` +
      `; ${show(ratio(read["point read: plinth"]!, read["point read: kysely"]!))} plain Kysely`,
  );
  const auditRatio = ratio(
    update["update with version: plinth, audited"]!,
    update["update with version: plinth"]!,
  );
  const rawAuditRatio = ratio(
    update["update with version: raw driver, audited by hand"]!,
    update["update with version: raw driver"]!,
  );
  console.log(
    `  audited update: plinth ${show(auditRatio)} the unaudited one (target ≤ 2×: ${verdict(auditRatio.wall <= 2)})` +
      `; the raw driver doing the same by hand: ${show(rawAuditRatio)}`,
  );
}

/** The request every audited update belongs to. */
const REQUEST = {
  actor: { id: 42, name: "alice", roles: ["admin"] },
  requestId: "req-0001",
  ip: "10.0.0.1",
  userAgent: "bench/1",
};

/** The audit row a hand-written audited update inserts, as parameters of `statements().audit`. */
function auditParameters(before: { id: number; score: number; version: number }): unknown[] {
  const changes = {
    score: { old: before.score, new: before.score + 1 },
    version: { old: before.version, new: before.version + 1 },
  };
  const { actor } = REQUEST;
  return [
    "account",
    String(before.id),
    "update",
    JSON.stringify(changes),
    String(actor.id),
    actor.name,
    JSON.stringify(actor.roles),
    REQUEST.requestId,
    REQUEST.ip,
    REQUEST.userAgent,
  ];
}

type Before = { id: number; score: number; version: number };

/** The raw driver statements, shared by the engines (placeholders differ). */
function statements(placeholder: (n: number) => string) {
  const p = placeholder;
  return {
    audit: `INSERT INTO plinth_audit_log (table_name, row_id, action, changes, actor_id, actor_name, actor_roles, request_id, ip, user_agent) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(p).join(", ")})`,
    read: `SELECT * FROM account WHERE id = ${p(1)}`,
    create: `INSERT INTO account (username) VALUES (${p(1)})`,
    version: `SELECT version FROM account WHERE id = ${p(1)}`,
    update: `UPDATE account SET score = score + 1, version = version + 1 WHERE id = ${p(1)} AND version = ${p(2)}`,
  };
}

async function sqliteEngine(): Promise<{ engine: Engine; ids: number[] }> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-bench-"));
  const file = join(dir, "bench.db");
  const audited = await connect(`sqlite:${file}`, appSchema, {
    hooks: new AuditTrail({ schema: appSchema }),
  });
  await audited.createSchema();
  const plain = await connect(`sqlite:${file}`, appSchema, { audit: false });
  const ids = await seed(audited, 1000);
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  const q = statements(() => "?");
  const read = db.prepare(q.read);
  const insert = db.prepare(q.create);
  const versionOf = db.prepare(q.version);
  const update = db.prepare(q.update);
  const audit = db.prepare(q.audit);
  const auditedUpdate = db.transaction((id: number) => {
    const before = read.get(id) as Before;
    update.run(id, before.version);
    audit.run(auditParameters(before));
  });
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
  const engine: Engine = {
    title: "SQLite, file in WAL mode (better-sqlite3)",
    audited,
    plain,
    kysely,
    raw: {
      read: (id) => read.get(id),
      create: (username) => insert.run(username),
      update: (id) => update.run(id, (versionOf.get(id) as { version: number }).version),
      auditedUpdate: (id) => {
        versionOf.get(id);
        auditedUpdate(id);
      },
    },
    async close() {
      await kysely.destroy();
      db.close();
      await audited.close();
      await plain.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return { engine, ids };
}

async function pgliteEngine(): Promise<{ engine: Engine; ids: number[] }> {
  // PGlite is one in-process connection per database: the audited and the unaudited handle get one
  // database each, seeded alike; raw driver and plain Kysely use the unaudited handle's instance.
  const audited = await connect("pglite:", appSchema, { hooks: new AuditTrail({ schema: appSchema }) });
  const plain = await connect("pglite:", appSchema, { audit: false });
  await audited.createSchema();
  await plain.createSchema();
  const ids = await seed(audited, 500);
  await seed(plain, 500);
  const native = { pg: translatingDialectOf(plain.kysely as Kysely<any>)!.engine.driver as PGlite };
  const q = statements((n) => `$${n}`);
  const engine: Engine = {
    title: "PostgreSQL in-process (PGlite)",
    audited,
    plain,
    kysely: (plain.kysely as unknown as Kysely<any>).withoutPlugins(),
    raw: {
      read: (id) => native.pg.query(q.read, [id]),
      create: (username) => native.pg.query(q.create, [username]),
      update: async (id) => {
        const { rows } = await native.pg.query<{ version: number }>(q.version, [id]);
        return native.pg.query(q.update, [id, rows[0]!.version]);
      },
      auditedUpdate: async (id) => {
        await native.pg.query(q.version, [id]);
        await native.pg.query("BEGIN");
        const { rows } = await native.pg.query<Before>(q.read, [id]);
        await native.pg.query(q.update, [id, rows[0]!.version]);
        await native.pg.query(q.audit, auditParameters(rows[0]!));
        await native.pg.query("COMMIT");
      },
    },
    async close() {
      await audited.close();
      await plain.close();
    },
  };
  return { engine, ids };
}

async function postgresEngine(adminUrl: string): Promise<{ engine: Engine; ids: number[] }> {
  const name = `plinth_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const audited = await connect(url.toString(), appSchema, { hooks: new AuditTrail({ schema: appSchema }) });
  await audited.createSchema();
  const plain = await connect(url.toString(), appSchema, { audit: false });
  const ids = await seed(audited, 1000);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
  const kysely = new Kysely<any>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url.toString(), max: 10 }) }),
  });
  const q = statements((n) => `$${n}`);
  const engine: Engine = {
    title: `PostgreSQL server (pg), ${url.host}`,
    audited,
    plain,
    kysely,
    raw: {
      read: (id) => pool.query(q.read, [id]),
      create: (username) => pool.query(q.create, [username]),
      update: async (id) => {
        const { rows } = await pool.query<{ version: number }>(q.version, [id]);
        return pool.query(q.update, [id, rows[0]!.version]);
      },
      auditedUpdate: async (id) => {
        await pool.query(q.version, [id]);
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const { rows } = await client.query<Before>(q.read, [id]);
          await client.query(q.update, [id, rows[0]!.version]);
          await client.query(q.audit, auditParameters(rows[0]!));
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      },
    },
    async close() {
      await kysely.destroy();
      await pool.end();
      await audited.close();
      await plain.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
  return { engine, ids };
}

async function mysqlEngine(adminUrl: string): Promise<{ engine: Engine; ids: number[] }> {
  const name = `plinth_bench_${process.pid}`;
  const admin = await mysqlPromise.createConnection({ uri: adminUrl });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const audited = await connect(url.toString(), appSchema, { hooks: new AuditTrail({ schema: appSchema }) });
  await audited.createSchema();
  const plain = await connect(url.toString(), appSchema, { audit: false });
  const ids = await seed(audited, 1000);
  const pool = mysqlPromise.createPool({ uri: url.toString(), connectionLimit: 10 });
  const kysely = new Kysely<any>({
    dialect: new MysqlDialect({ pool: mysql.createPool({ uri: url.toString(), connectionLimit: 10 }) }),
  });
  const q = statements(() => "?");
  const engine: Engine = {
    title: `MySQL server (mysql2), ${url.host}`,
    audited,
    plain,
    kysely,
    raw: {
      read: (id) => pool.query(q.read, [id]),
      create: (username) => pool.query(q.create, [username]),
      update: async (id) => {
        const [rows] = await pool.query(q.version, [id]);
        return pool.query(q.update, [id, (rows as { version: number }[])[0]!.version]);
      },
      auditedUpdate: async (id) => {
        await pool.query(q.version, [id]);
        const connection = await pool.getConnection();
        try {
          await connection.query("BEGIN");
          const [rows] = await connection.query(q.read, [id]);
          const before = (rows as Before[])[0]!;
          await connection.query(q.update, [id, before.version]);
          await connection.query(q.audit, auditParameters(before));
          await connection.query("COMMIT");
        } finally {
          connection.release();
        }
      },
    },
    async close() {
      await kysely.destroy();
      await pool.end();
      await audited.close();
      await plain.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name}`);
      await admin.end();
    },
  };
  return { engine, ids };
}

const setups: [string, () => Promise<{ engine: Engine; ids: number[] }>][] = [
  ["sqlite", sqliteEngine],
  ["pglite", pgliteEngine],
];
const pgUrl = process.env.PLINTH_BENCH_PG_URL;
const mysqlUrl = process.env.PLINTH_BENCH_MYSQL_URL;
if (pgUrl) setups.push(["postgres", () => postgresEngine(pgUrl)]);
else console.log("PostgreSQL server skipped: set PLINTH_BENCH_PG_URL");
if (mysqlUrl) setups.push(["mysql", () => mysqlEngine(mysqlUrl)]);
else console.log("MySQL server skipped: set PLINTH_BENCH_MYSQL_URL");

for (const [key, setup] of setups) {
  if (!ENGINES.includes(key)) continue;
  const { engine, ids } = await setup();
  try {
    await measure(engine, ids);
  } finally {
    await engine.close();
  }
}
