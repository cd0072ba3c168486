/**
 * What the database really holds, read past plinth's value codec: through a separate driver
 * connection (SQLite file, PostgreSQL, MySQL) or, for in-process pglite, raw SQL on a plugin-free
 * Kysely. Tests use it to prove that plaintext never reaches storage.
 */
import { existsSync, readFileSync } from "node:fs";
import Database from "better-sqlite3";
import type { Kysely } from "kysely";
import { sql } from "kysely";
import mysql from "mysql2/promise";
import pg from "pg";
import type { Db } from "plinth";
import type { TestEngine } from "../engines/matrix.js";

export type RawRow = Record<string, unknown>;

/** Every row of `table` as the engine stores it, by database column names. */
export async function rawRows(
  engine: TestEngine,
  url: string,
  db: Db<any>,
  table: string,
): Promise<RawRow[]> {
  switch (engine.name) {
    case "sqlite": {
      const file = new Database(sqliteFile(url), { readonly: true });
      try {
        return file.prepare(`SELECT * FROM "${table}"`).all() as RawRow[];
      } finally {
        file.close();
      }
    }
    case "postgres": {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(`SELECT * FROM "${table}"`)).rows;
      } finally {
        await client.end();
      }
    }
    case "mysql": {
      const conn = await mysql.createConnection(url);
      try {
        const [rows] = await conn.query(`SELECT * FROM \`${table}\``);
        return rows as RawRow[];
      } finally {
        await conn.end();
      }
    }
    case "pglite": {
      const raw = db.kysely.withoutPlugins() as unknown as Kysely<any>;
      return (await sql.raw<RawRow>(`SELECT * FROM "${table}"`).execute(raw)).rows;
    }
  }
}

/** The bytes of a SQLite database: the file and its write-ahead log. */
export function sqliteBytes(url: string): Buffer {
  const file = sqliteFile(url);
  return Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f)));
}

function sqliteFile(url: string): string {
  return url.slice("sqlite:".length);
}
