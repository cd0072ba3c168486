/**
 * The cost of plinth's data layer against the tools it builds on, measured side by side in one run:
 * point read by primary key, create, update with an expected version, audited update, and findMany
 * with an include. Each is timed for plinth, for plain Kysely and for the raw driver.
 *
 *   npx tsx bench/repository.ts                 # SQLite (file) and PostgreSQL in-process (PGlite)
 *   PLINTH_BENCH_ITERATIONS=5000 npx tsx bench/repository.ts
 *
 * Targets: point read ≤ 1.3× the raw driver; audited update ≤ 2× the unaudited one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { AuditTrail, auditLog, connect } from "../src/index.js";
import { col, ref, schema, table, timestamps, version } from "../src/schema/index.js";

const N = Number(process.env.PLINTH_BENCH_ITERATIONS) || 2000;
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

async function time(label: string, fn: (i: number) => Promise<unknown> | unknown): Promise<number> {
  for (let i = 0; i < Math.min(200, N); i++) await fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < N; i++) await fn(i);
  const us = ((performance.now() - start) * 1000) / N;
  results.push({ label, us });
  return us;
}
const results: { label: string; us: number }[] = [];
let seq = 0;

async function sqliteRun(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-bench-"));
  const file = join(dir, "bench.db");
  const plinth = await connect(`sqlite:${file}`, appSchema, { hooks: new AuditTrail({ schema: appSchema }) });
  const unaudited = await connect(`sqlite:${file}`, appSchema);
  await plinth.createSchema();
  const ids: number[] = [];
  for (let i = 0; i < 1000; i++) ids.push((await plinth.repo("account").create({ username: `u${i}` })).id);
  for (const id of ids.slice(0, 200))
    for (let k = 0; k < 3; k++) await plinth.repo("realm").create({ accountId: id, label: `r${k}` });

  const raw = new Database(file);
  const rawRead = raw.prepare("SELECT * FROM account WHERE id = ?");
  const rawInsert = raw.prepare("INSERT INTO account (username) VALUES (?) RETURNING *");
  const rawUpdate = raw.prepare(
    "UPDATE account SET score = score + 1, version = version + 1 WHERE id = ? AND version = ?",
  );
  const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: new Database(file) }) });
  const pick = (i: number) => ids[i % ids.length]!;

  console.log(`\nSQLite (${N} iterations each)`);
  const rawPoint = await time("point read: raw driver", (i) => rawRead.get(pick(i)));
  await time("point read: kysely", (i) =>
    kysely.selectFrom("account").selectAll().where("id", "=", pick(i)).executeTakeFirst(),
  );
  const plinthPoint = await time("point read: plinth", (i) => unaudited.repo("account").getById(pick(i)));
  await time("create: raw driver", () => rawInsert.get(`raw${++seq}`));
  await time("create: kysely", () =>
    kysely
      .insertInto("account")
      .values({ username: `ky${++seq}` })
      .returningAll()
      .executeTakeFirst(),
  );
  await time("create: plinth", () => unaudited.repo("account").create({ username: `pl${++seq}` }));
  await time("update with version: raw driver", (i) => {
    const row = rawRead.get(pick(i)) as { id: number; version: number };
    return rawUpdate.run(row.id, row.version);
  });
  const plain = await time("update with version: plinth", async (i) => {
    const row = await unaudited.repo("account").getByIdOrThrow(pick(i));
    return unaudited
      .repo("account")
      .update(row.id, { score: row.score + 1 }, { expectedVersion: row.version });
  });
  const audited = await time("update with version: plinth, audited", async (i) => {
    const row = await plinth.repo("account").getByIdOrThrow(pick(i));
    return plinth.repo("account").update(row.id, { score: row.score + 1 }, { expectedVersion: row.version });
  });
  const someIds = ids.slice(0, 50);
  await time("findMany 50 + realms: kysely, 2 queries", async () => {
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
  });
  await time("findMany 50 + realms: plinth include", () =>
    unaudited.repo("account").findMany({ where: { id: someIds }, include: ["realms"] }),
  );

  report("SQLite", rawPoint, plinthPoint, plain, audited);
  await kysely.destroy();
  raw.close();
  await plinth.close();
  await unaudited.close();
  rmSync(dir, { recursive: true, force: true });
}

async function pgliteRun(): Promise<void> {
  const plinth = await connect("pglite:", appSchema, { hooks: new AuditTrail({ schema: appSchema }) });
  await plinth.createSchema();
  const ids: number[] = [];
  for (let i = 0; i < 500; i++) ids.push((await plinth.repo("account").create({ username: `u${i}` })).id);
  const pick = (i: number) => ids[i % ids.length]!;
  const k = plinth.kysely as unknown as Kysely<any>;
  console.log(`\nPostgreSQL in-process, PGlite (${N} iterations each; one connection serves all three)`);
  const rawPoint = await time("point read: raw SQL on the same connection", (i) =>
    sql`SELECT * FROM account WHERE id = ${pick(i)}`.execute(k.withoutPlugins()),
  );
  const plinthPoint = await time("point read: plinth", (i) => plinth.repo("account").getById(pick(i)));
  const plainUpdate = await time("update with version: unaudited (raw SQL)", async (i) => {
    const { rows } = await sql<{
      version: number;
    }>`SELECT version FROM account WHERE id = ${pick(i)}`.execute(k.withoutPlugins());
    return sql`UPDATE account SET score = score + 1, version = version + 1 WHERE id = ${pick(i)} AND version = ${rows[0]!.version}`.execute(
      k.withoutPlugins(),
    );
  });
  const audited = await time("update with version: plinth, audited", async (i) => {
    const row = await plinth.repo("account").getByIdOrThrow(pick(i));
    return plinth.repo("account").update(row.id, { score: row.score + 1 }, { expectedVersion: row.version });
  });
  report("PGlite", rawPoint, plinthPoint, plainUpdate, audited);
  await plinth.close();
}

function report(engine: string, rawPoint: number, plinthPoint: number, plain: number, audited: number): void {
  for (const r of results.splice(0))
    console.log(`  ${r.label.padEnd(48)} ${r.us.toFixed(1).padStart(8)} µs/op`);
  const read = plinthPoint / rawPoint;
  const audit = audited / plain;
  console.log(
    `  ${engine}: point read ${read.toFixed(2)}× the raw driver (target ≤ 1.3×: ${read <= 1.3 ? "met" : "NOT met"})`,
  );
  console.log(
    `  ${engine}: audited update ${audit.toFixed(2)}× the unaudited one (target ≤ 2×: ${audit <= 2 ? "met" : "NOT met"})`,
  );
}

await sqliteRun();
await pgliteRun();
