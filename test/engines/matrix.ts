/**
 * The test engine matrix: run one suite against every database engine plinth supports.
 *
 *   describeEngines('migrations', (engine) => {
 *     it('creates tables', async () => {
 *       const { url, drop } = await engine.freshDatabase();
 *       try { ... } finally { await drop(); }
 *     });
 *   });
 *
 * Server engines come from ./global-setup.ts (via vitest provide/inject).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mysql from "mysql2/promise";
import pg from "pg";
import { describe, inject } from "vitest";
// Type-only: brings in the ProvidedContext augmentation that types inject() below.
import type {} from "./global-setup.js";

export type EngineName = "sqlite" | "pglite" | "postgres" | "mysql";

export interface TestEngine {
  name: EngineName;
  dialect: "sqlite" | "postgres" | "mysql";
  /** creates a fresh, empty, uniquely named database and returns its URL */
  freshDatabase(): Promise<{ url: string; drop(): Promise<void> }>;
}

const ORDER: EngineName[] = ["sqlite", "pglite", "postgres", "mysql"];

const uniqueName = () => `plinth_t_${randomBytes(6).toString("hex")}`;

/** Replaces the database (path) part of a server URL, keeping credentials, host and params. */
function withDatabase(adminUrl: string, db: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${db}`;
  return u.toString();
}

const sqlite: TestEngine = {
  name: "sqlite",
  dialect: "sqlite",
  async freshDatabase() {
    // One temp dir per database, so drop() also takes the -wal/-shm/-journal siblings.
    const dir = mkdtempSync(join(tmpdir(), "plinth-sqlite-"));
    return {
      url: `sqlite:${join(dir, `${uniqueName()}.db`)}`,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  },
};

const pglite: TestEngine = {
  name: "pglite",
  dialect: "postgres",
  // In-memory: every open of `pglite:` is already a fresh, isolated database.
  freshDatabase: async () => ({ url: "pglite:", drop: async () => {} }),
};

function postgres(adminUrl: string): TestEngine {
  const admin = async <T>(fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    name: "postgres",
    dialect: "postgres",
    async freshDatabase() {
      const db = uniqueName();
      await admin((c) => c.query(`CREATE DATABASE "${db}"`));
      return {
        url: withDatabase(adminUrl, db),
        drop: () =>
          admin(async (c) => {
            // DROP DATABASE fails while anyone (e.g. a leaked pool) is still connected.
            await c.query(
              "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
              [db],
            );
            await c.query(`DROP DATABASE IF EXISTS "${db}"`);
          }),
      };
    },
  };
}

function mysqlEngine(adminUrl: string): TestEngine {
  const admin = async (sql: string) => {
    const conn = await mysql.createConnection(adminUrl);
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  };
  return {
    name: "mysql",
    dialect: "mysql",
    async freshDatabase() {
      const db = uniqueName();
      await admin(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      return { url: withDatabase(adminUrl, db), drop: () => admin(`DROP DATABASE IF EXISTS \`${db}\``) };
    },
  };
}

/** Every engine with either its implementation or the reason it is unavailable. */
function engineStatus(): Record<EngineName, TestEngine | string> {
  // inject() yields undefined when the globalSetup did not run (e.g. a custom config).
  const reasons = inject("engineSkipReasons") ?? {};
  const pgUrl = inject("pgAdminUrl");
  const myUrl = inject("mysqlAdminUrl");
  const noSetup = "no server (test/engines/global-setup.ts did not run)";
  return {
    sqlite: reasons.sqlite ?? sqlite,
    pglite: reasons.pglite ?? pglite,
    postgres: reasons.postgres ?? (pgUrl ? postgres(pgUrl) : noSetup),
    mysql: reasons.mysql ?? (myUrl ? mysqlEngine(myUrl) : noSetup),
  };
}

export function availableEngines(): TestEngine[] {
  const status = engineStatus();
  return ORDER.map((n) => status[n]).filter((e): e is TestEngine => typeof e !== "string");
}

/**
 * `describe(`${title} [${engine}]`)` once per engine. Unavailable engines still get a
 * describe.skip (body included, so every test shows up as skipped) with the reason in its title.
 */
export function describeEngines(
  title: string,
  body: (engine: TestEngine) => void,
  options: { timeout?: number } = {},
): void {
  const status = engineStatus();
  for (const name of ORDER) {
    const engine = status[name];
    if (typeof engine !== "string") {
      describe(`${title} [${name}]`, options, () => body(engine));
      continue;
    }
    const reason = engine.split("\n")[0]; // keep the title one line; the banner has details
    const stub: TestEngine = {
      name,
      dialect: name === "pglite" ? "postgres" : name,
      freshDatabase: () => Promise.reject(new Error(`engine ${name} unavailable: ${reason}`)),
    };
    describe.skip(`${title} [${name}] — SKIPPED: ${reason}`, () => body(stub));
  }
}
