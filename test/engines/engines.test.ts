/** Proves the engine matrix itself works: fresh databases are reachable and isolated. */
import { PGlite } from "@electric-sql/pglite";
import Database from "better-sqlite3";
import mysql from "mysql2/promise";
import pg from "pg";
import { expect, it } from "vitest";
import { describeEngines, type TestEngine } from "./matrix.js";

/** Opens `url` with the engine's raw driver and runs one statement, returning the rows. */
async function rawQuery(engine: TestEngine, url: string, sql: string): Promise<unknown[]> {
  switch (engine.name) {
    case "sqlite": {
      const db = new Database(url.slice("sqlite:".length));
      try {
        const stmt = db.prepare(sql);
        if (stmt.reader) return stmt.all();
        stmt.run();
        return [];
      } finally {
        db.close();
      }
    }
    case "pglite": {
      const db = new PGlite(); // `pglite:` is in-memory
      try {
        return (await db.query(sql)).rows;
      } finally {
        await db.close();
      }
    }
    case "postgres": {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    }
    case "mysql": {
      const conn = await mysql.createConnection(url);
      try {
        const [rows] = await conn.query(sql);
        return Array.isArray(rows) ? rows : [];
      } finally {
        await conn.end();
      }
    }
  }
}

const tableExists: Record<TestEngine["dialect"], string> = {
  sqlite: "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'probe'",
  postgres: "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename = 'probe'",
  mysql:
    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'probe'",
};

describeEngines("engine matrix", (engine) => {
  it("freshDatabase yields a URL the raw driver can query", async () => {
    const { url, drop } = await engine.freshDatabase();
    try {
      if (engine.name === "pglite") expect(url).toBe("pglite:");
      const rows = await rawQuery(engine, url, "SELECT 1 AS one");
      expect(rows).toHaveLength(1);
      expect(Number((rows[0] as { one: unknown }).one)).toBe(1);
    } finally {
      await drop();
    }
  });

  // pglite databases are per-instance by construction; nothing to prove there.
  it.skipIf(engine.name === "pglite")("two fresh databases are distinct", async () => {
    const a = await engine.freshDatabase();
    const b = await engine.freshDatabase();
    try {
      expect(a.url).not.toBe(b.url);
      await rawQuery(engine, a.url, "CREATE TABLE probe (id INTEGER PRIMARY KEY)");
      expect(await rawQuery(engine, a.url, tableExists[engine.dialect])).toHaveLength(1);
      expect(await rawQuery(engine, b.url, tableExists[engine.dialect])).toHaveLength(0);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });

  it.skipIf(engine.name === "pglite")("drop removes the database", async () => {
    const { url, drop } = await engine.freshDatabase();
    await drop();
    // sqlite would silently create a new file, so check the file instead of connecting.
    if (engine.name === "sqlite") {
      const { existsSync } = await import("node:fs");
      expect(existsSync(url.slice("sqlite:".length))).toBe(false);
    } else {
      await expect(rawQuery(engine, url, "SELECT 1")).rejects.toThrow();
    }
  });
});
