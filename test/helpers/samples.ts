import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import mysql from "mysql2/promise";
import pg from "pg";

/** Third-party sample schemas and test cases, beside the project (never copied into it). */
export const SAMPLES_DIR = join(import.meta.dirname, "..", "..", "..", "shared", "reference", "samples");

/** Public sample schemas, in each engine's own DDL. */
export const PUBLIC_SAMPLES: Record<
  string,
  { file: string; dialect: "sqlite" | "postgres" | "mysql"; tables: number }[]
> = {
  "Chinook (a music store)": [
    { file: "chinook/chinook_sqlite_ddl.sql", dialect: "sqlite", tables: 11 },
    { file: "chinook/chinook_postgresql_ddl.sql", dialect: "postgres", tables: 11 },
    { file: "chinook/chinook_mysql_ddl.sql", dialect: "mysql", tables: 11 },
  ],
  "Northwind (a trading company)": [
    { file: "northwind/northwind_postgresql_ddl.sql", dialect: "postgres", tables: 14 },
  ],
};

/** Whether the samples are here; says so loudly when they are not, since tests then skip. */
export function haveSamples(): boolean {
  const there = existsSync(SAMPLES_DIR);
  if (!there) console.warn(`\n!!! ${SAMPLES_DIR} is missing: tests on public samples are SKIPPED !!!\n`);
  return there;
}

/** Statements of a DDL file: split on semicolons at the end of a line, comments dropped. */
export function statements(text: string): string[] {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .split(/;\s*$/m)
    .map((s) =>
      s
        .split("\n")
        .filter((line) => !/^\s*--/.test(line))
        .join("\n")
        .trim(),
    )
    .filter((s) => s.length > 0);
}

/**
 * Runs a whole SQL script on the database at `url` with the engine's own client, one connection
 * and the script as written, as a user's `psql -f`, `mariadb <` or `sqlite3` would.
 */
export async function runScript(url: string, script: string): Promise<void> {
  if (url.startsWith("sqlite:")) {
    const db = new Database(url.slice("sqlite:".length));
    try {
      db.exec(script);
    } finally {
      db.close();
    }
  } else if (url.startsWith("postgres")) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(script);
    } finally {
      await client.end();
    }
  } else if (url.startsWith("mysql")) {
    const connection = await mysql.createConnection({ uri: url, multipleStatements: true });
    try {
      await connection.query(script);
    } finally {
      await connection.end();
    }
  } else {
    throw new Error(`runScript: no client for ${url}`);
  }
}
