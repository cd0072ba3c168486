/**
 * API token verification throughput with 100,000 tokens in the table, against a bcrypt-per-request
 * baseline (bcrypt cost 12, as seed 000 stores tokens), printed side by side in one run.
 *
 *   npx tsx bench/tokens.ts                                   # SQLite (file) and PostgreSQL in-process (PGlite)
 *   PLINTH_BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx bench/tokens.ts   # the server instead of PGlite
 *   PLINTH_BENCH_TOKENS=20000 PLINTH_BENCH_ITERATIONS=2000 PLINTH_BENCH_BCRYPT_SAMPLES=4 npx tsx bench/tokens.ts
 *
 * The tokens are minted with `ApiTokens.mint` and inserted in batches. Each verification is the
 * full `ApiTokens.verify`: parse, one lookup by the unique prefix, the hash comparison, revocation
 * and expiry checks. "steady" verifies tokens already used within the minute (no write); "first use"
 * also writes lastUsedAt. The baseline is the same call on tokens stored in bcrypt mode at cost 12;
 * it is slow, so only a sample is timed.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pg from "pg";
import { connect } from "../src/index.js";
import { schema } from "../src/schema/index.js";
import { ApiTokens } from "../src/security/index.js";
import { authToken, realm } from "./workloads/model.js";

const TOKENS = Number(process.env.PLINTH_BENCH_TOKENS) || 100_000;
const N = Number(process.env.PLINTH_BENCH_ITERATIONS) || 5000;
const BCRYPT_SAMPLES = Number(process.env.PLINTH_BENCH_BCRYPT_SAMPLES) || 6;
const PEPPER = randomBytes(32).toString("base64");

const tokenSchema = schema({ realm, authToken });

interface Result {
  engine: string;
  insertMs: number;
  steadyUs: number;
  firstUseUs: number;
  bcryptUs: number;
}

async function run(engine: string, url: string): Promise<Result> {
  const db = await connect(url, tokenSchema);
  try {
    await db.createSchema();
    const realmId = (await db.repo("realm").create({ name: "bench" })).id;
    const hmac = new ApiTokens(db, "auth_token", { prefix: "naf", pepper: PEPPER });

    const insertStart = performance.now();
    const issued: string[] = [];
    // Minted like issue() does, inserted in batches of 4 parameters a row (within every engine's
    // parameter limit) in one transaction, without reading the rows back.
    const BATCH = 5000;
    await db.transaction(async (trx) => {
      for (let done = 0; done < TOKENS; done += BATCH) {
        const rows = [];
        for (let i = done; i < Math.min(TOKENS, done + BATCH); i++) {
          const { token, values } = await hmac.mint(`bench-${i}`);
          issued.push(token);
          rows.push({ ...values, realmId });
        }
        await trx.insertInto("auth_token").values(rows).execute();
      }
    });
    const insertMs = performance.now() - insertStart;
    console.log(`${engine}: ${TOKENS} tokens minted and inserted in ${(insertMs / 1000).toFixed(1)} s`);

    // Distinct random tokens for each pass, so neither pass reuses what the other warmed.
    const order = shuffled(issued.length);
    const firstUse = order.slice(0, N).map((i) => issued[i]!);
    const steady = order.slice(N, 2 * N).map((i) => issued[i]!);
    for (const token of steady) await expectOk(hmac, token); // marks them used: the timed pass writes nothing

    const firstUseUs = await timeEach(firstUse, (token) => expectOk(hmac, token));
    const steadyUs = await timeEach(steady, (token) => expectOk(hmac, token));

    const bcryptMode = new ApiTokens(db, "auth_token", { prefix: "naf", pepper: PEPPER, hashing: "bcrypt" });
    const slow: string[] = [];
    for (let i = 0; i < BCRYPT_SAMPLES; i++)
      slow.push((await bcryptMode.issue({ alias: `bcrypt-${i}`, realmId })).token);
    for (const token of slow) await expectOk(bcryptMode, token);
    const bcryptUs = await timeEach(slow, (token) => expectOk(bcryptMode, token));
    return { engine, insertMs, steadyUs, firstUseUs, bcryptUs };
  } finally {
    await db.close();
  }
}

async function expectOk(tokens: ApiTokens<typeof tokenSchema, "auth_token">, token: string): Promise<void> {
  const check = await tokens.verify(token);
  if (!check.ok) throw new Error(`benchmark token refused: ${check.reason}`);
}

async function timeEach(items: string[], fn: (item: string) => Promise<void>): Promise<number> {
  const start = performance.now();
  for (const item of items) await fn(item);
  return ((performance.now() - start) * 1000) / items.length;
}

function shuffled(n: number): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A throwaway database on the server named by PLINTH_BENCH_PG_URL, dropped afterwards. */
async function withServerDatabase<T>(adminUrl: string, fn: (url: string) => Promise<T>): Promise<T> {
  const name = `plinth_bench_tokens_${randomBytes(4).toString("hex")}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  try {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  }
}

const dir = mkdtempSync(join(tmpdir(), "plinth-bench-tokens-"));
const results: Result[] = [];
try {
  results.push(await run("sqlite", `sqlite:${join(dir, "tokens.db")}`));
  const pgUrl = process.env.PLINTH_BENCH_PG_URL;
  if (pgUrl) results.push(await withServerDatabase(pgUrl, (url) => run("postgres", url)));
  else results.push(await run("pglite", "pglite:"));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(
  `\nverify with ${TOKENS} tokens in the table (${N} HMAC verifications per pass, ${BCRYPT_SAMPLES} bcrypt cost-12 samples)`,
);
console.log("engine     HMAC steady        HMAC first use     bcrypt-12 per request   bcrypt ÷ HMAC steady");
for (const r of results) {
  console.log(
    `${r.engine.padEnd(10)} ${rate(r.steadyUs)}   ${rate(r.firstUseUs)}   ${rate(r.bcryptUs).padEnd(22)}  ${(r.bcryptUs / r.steadyUs).toFixed(0)}×`,
  );
}
if (!process.env.PLINTH_BENCH_PG_URL)
  console.log("\n(set PLINTH_BENCH_PG_URL to use a PostgreSQL server instead of PGlite)");

function rate(us: number): string {
  return `${us.toFixed(0).padStart(7)} µs ${`(${Math.round(1e6 / us)}/s)`.padEnd(9)}`;
}
