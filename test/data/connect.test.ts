/**
 * connect(): bounded retries with a clear ConnectionError, URL handling, SQLite set-up, createSchema()
 * idempotence and atomicity, the pool size, and transactions, on every engine.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import pg from "pg";
import type { Db } from "plinth";
import { ConnectionError, connect, UniqueViolation } from "plinth";
import { col, ref, schema, table, timestamps } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEngines, type TestEngine } from "../engines/matrix.js";

const author = table("author", {
  id: col.id(),
  name: col.varchar(40).unique(),
});

const post = table(
  "post",
  {
    id: col.id(),
    authorId: ref(() => author.id),
    title: col.varchar(100),
    ...timestamps(),
  },
  { indexes: [["title"]] },
);

const note = table("note", { id: col.id(), body: col.varchar(200) });

const testSchema = schema({ author, post, note });
const ALL_TABLES = ["author", "note", "post"];

/** A loopback port nothing listens on: bound by the kernel, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The rejection of `p`, failing the test when it resolves. */
async function rejection(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(outcome).toBeInstanceOf(Error);
  return outcome as Error;
}

describe("connect() to an unreachable server", () => {
  for (const scheme of ["postgres", "mysql"] as const) {
    it(`${scheme}: ConnectionError naming host:port and ECONNREFUSED, after exactly N attempts`, async () => {
      const port = await closedPort();
      const url = `${scheme}://u:hunter2@127.0.0.1:${port}/x`;
      const calls: { attempt: number; error: unknown }[] = [];
      const started = Date.now();
      const e = await rejection(
        connect(url, testSchema, {
          retry: { attempts: 3, delayMs: 50, onRetry: (attempt, error) => calls.push({ attempt, error }) },
        }),
      );
      const elapsed = Date.now() - started;
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.name).toBe("ConnectionError");
      expect(e.message).toContain(`127.0.0.1:${port}`);
      expect(e.message).toContain("ECONNREFUSED");
      expect(e.message).toContain("after 3 attempts");
      expect(e.message).not.toContain("hunter2");
      expect(e.cause).toBeDefined();
      // onRetry runs before each wait: N attempts, N - 1 waits.
      expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
      expect(String(calls[0]!.error)).toContain("ECONNREFUSED");
      expect(elapsed).toBeGreaterThanOrEqual(2 * 50 - 5);
    });

    it(`${scheme}: one attempt means no retry and a singular message`, async () => {
      const port = await closedPort();
      let retries = 0;
      const e = await rejection(
        connect(`${scheme}://u@127.0.0.1:${port}/x`, testSchema, {
          retry: { attempts: 1, delayMs: 10, onRetry: () => retries++ },
        }),
      );
      expect(e).toBeInstanceOf(ConnectionError);
      expect(e.message).toMatch(new RegExp(`127\\.0\\.0\\.1:${port}/x after 1 attempt: `));
      expect(retries).toBe(0);
    });
  }

  it("an unsupported URL scheme is refused with the supported forms listed, password redacted", async () => {
    const e = await rejection(connect("oracle://scott:tiger@db.example/x", testSchema));
    expect(e).not.toBeInstanceOf(ConnectionError);
    expect(e.message).toContain("unsupported database URL");
    expect(e.message).toContain("oracle://scott:***@db.example/x");
    expect(e.message).not.toContain("tiger");
    expect(e.message).toMatch(/sqlite:.*pglite:.*postgres:\/\/.*mysql:\/\//);
  });

  it("a sqlite URL without a file is refused", async () => {
    const e = await rejection(connect("sqlite:", testSchema));
    expect(e.message).toContain("sqlite URL needs a file");
  });
});

describe("connect() to SQLite", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "plinth-connect-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The single value a PRAGMA returns (its column name varies and is camel-cased by the plugin). */
  const pragma = async (db: Db<typeof testSchema>, name: string) => {
    const { rows } = await sql.raw(`PRAGMA ${name}`).execute(db.kysely);
    return Object.values(rows[0] as Record<string, unknown>)[0];
  };

  it("creates missing parent directories", async () => {
    const file = join(dir, "deep", "er", "app.db");
    expect(existsSync(join(dir, "deep"))).toBe(false);
    const db = await connect(`sqlite:${file}`, testSchema, { retry: { attempts: 1 } });
    try {
      await db.createSchema();
      expect(existsSync(file)).toBe(true);
    } finally {
      await db.close();
    }
  });

  it("sets WAL, foreign keys, busy timeout and synchronous=NORMAL on a file", async () => {
    const db = await connect(`sqlite:${join(dir, "pragmas.db")}`, testSchema, { retry: { attempts: 1 } });
    try {
      expect(db.engine).toBe("sqlite");
      expect(await pragma(db, "journal_mode")).toBe("wal");
      expect(await pragma(db, "foreign_keys")).toBe(1);
      expect(await pragma(db, "busy_timeout")).toBe(5000);
      expect(await pragma(db, "synchronous")).toBe(1);
    } finally {
      await db.close();
    }
  });

  it("honours busyTimeoutMs", async () => {
    const db = await connect(`sqlite:${join(dir, "busy.db")}`, testSchema, {
      retry: { attempts: 1 },
      busyTimeoutMs: 1234,
    });
    try {
      expect(await pragma(db, "busy_timeout")).toBe(1234);
    } finally {
      await db.close();
    }
  });

  it("in memory: foreign keys on, no WAL (memory journal)", async () => {
    const db = await connect("sqlite::memory:", testSchema, { retry: { attempts: 1 } });
    try {
      expect(await pragma(db, "journal_mode")).toBe("memory");
      expect(await pragma(db, "foreign_keys")).toBe(1);
    } finally {
      await db.close();
    }
  });
});

/** Declared tables that exist in the connected database. */
async function tablesIn(db: Db<typeof testSchema>, engine: TestEngine): Promise<string[]> {
  const query =
    engine.dialect === "sqlite"
      ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE type = 'table'`
      : engine.dialect === "postgres"
        ? sql<{
            name: string;
          }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()`
        : sql<{
            name: string;
          }>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE()`;
  const { rows } = await query.execute(db.kysely);
  return rows
    .map((r) => r.name ?? (r as Record<string, string>).NAME)
    .filter((n) => ALL_TABLES.includes(n))
    .sort();
}

describeEngines("connect()", (engine) => {
  /** A fresh database, connected, for tests that need an empty one; dropped afterwards. */
  async function withFresh<T>(fn: (db: Db<typeof testSchema>) => Promise<T>, options = {}): Promise<T> {
    const fresh = await engine.freshDatabase();
    const db = await connect(fresh.url, testSchema, { retry: { attempts: 1 }, ...options });
    try {
      return await fn(db);
    } finally {
      await db.close();
      await fresh.drop();
    }
  }

  async function addAuthor(db: Db<typeof testSchema>, name: string): Promise<number> {
    const q = db.kysely.insertInto("author").values({ name });
    if (engine.dialect === "mysql") return Number((await q.executeTakeFirstOrThrow()).insertId);
    return (await q.returning("id").executeTakeFirstOrThrow()).id;
  }

  it("reports which engine and dialect serve the URL", () =>
    withFresh(async (db) => {
      expect(db.engine).toBe(engine.name);
      expect(db.dialect).toBe(engine.dialect);
    }));

  it("createSchema() twice: the second creates nothing and keeps the data", () =>
    withFresh(async (db) => {
      const first = await db.createSchema();
      expect([...first.created].sort()).toEqual(ALL_TABLES);
      // Dependency order: author before post, which references it.
      expect(first.created.indexOf("author")).toBeLessThan(first.created.indexOf("post"));
      expect(first.existing).toEqual([]);
      const authorId = await addAuthor(db, "ann");
      await db.kysely.insertInto("post").values({ authorId, title: "hello" }).execute();

      const second = await db.createSchema();
      expect(second.created).toEqual([]);
      expect([...second.existing].sort()).toEqual(ALL_TABLES);
      const posts = await db.kysely.selectFrom("post").select(["authorId", "title"]).execute();
      expect(posts).toEqual([{ authorId, title: "hello" }]);
      expect(await tablesIn(db, engine)).toEqual(ALL_TABLES);
    }));

  it("createSchema() creates only the missing tables and reports the existing one untouched", () =>
    withFresh(async (db) => {
      // A hand-made author with an extra column createSchema knows nothing about.
      const idType =
        engine.dialect === "mysql"
          ? "INT AUTO_INCREMENT PRIMARY KEY"
          : engine.dialect === "sqlite"
            ? "INTEGER PRIMARY KEY"
            : "integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
      await sql
        .raw(`CREATE TABLE author (id ${idType}, name varchar(40) NOT NULL, legacy varchar(10))`)
        .execute(db.kysely);
      await sql.raw("INSERT INTO author (name, legacy) VALUES ('old', 'kept')").execute(db.kysely);

      const result = await db.createSchema();
      expect(result.existing).toEqual(["author"]);
      expect([...result.created].sort()).toEqual(["note", "post"]);
      expect(await tablesIn(db, engine)).toEqual(ALL_TABLES);
      const { rows } = await sql<{ legacy: string }>`SELECT legacy FROM author WHERE name = 'old'`.execute(
        db.kysely,
      );
      expect(rows).toEqual([{ legacy: "kept" }]);
      // The new table's foreign key points at the pre-existing one.
      const authorId = (await db.kysely.selectFrom("author").select("id").executeTakeFirstOrThrow()).id;
      await db.kysely.insertInto("post").values({ authorId, title: "t" }).execute();
      await expect(
        db.kysely
          .insertInto("post")
          .values({ authorId: authorId + 1000, title: "t" })
          .execute(),
      ).rejects.toThrow();
    }));

  it("createSchema() that fails half-way leaves nothing behind on PostgreSQL and SQLite (not MySQL)", () =>
    withFresh(async (db) => {
      // Sabotage a statement that runs after CREATE TABLE author: on PostgreSQL and SQLite indexes
      // share the table namespace, so a table named like post's index makes CREATE INDEX fail; on
      // MySQL foreign key names are unique per database, so a clashing FK name fails CREATE TABLE post.
      if (engine.dialect === "mysql") {
        await sql
          .raw(
            "CREATE TABLE blocker (id INT PRIMARY KEY, CONSTRAINT fk_post_author_id_author FOREIGN KEY (id) REFERENCES blocker (id))",
          )
          .execute(db.kysely);
      } else {
        await sql.raw("CREATE TABLE ix_post_title (id integer)").execute(db.kysely);
      }
      await expect(db.createSchema()).rejects.toThrow();
      const left = await tablesIn(db, engine);
      if (engine.dialect === "mysql") {
        // Documented: MySQL commits each DDL statement, so tables created before the failure remain.
        expect(left).toContain("author");
        expect(left).not.toContain("post");
      } else {
        expect(left).toEqual([]);
      }
    }));

  it.skipIf(engine.name !== "postgres")(
    "poolSize is honoured (postgres only: the other engines have no pool to size)",
    async () => {
      const fresh = await engine.freshDatabase();
      const db = await connect(fresh.url, testSchema, { retry: { attempts: 1 }, poolSize: 2 });
      const observer = new pg.Client({ connectionString: fresh.url });
      await observer.connect();
      try {
        const database = new URL(fresh.url).pathname.slice(1);
        const sleepers = async () => {
          const { rows } = await observer.query(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'",
            [database],
          );
          return rows[0].n as number;
        };
        const started = Date.now();
        const running = Promise.all(
          Array.from({ length: 4 }, () => sql`SELECT pg_sleep(0.2)`.execute(db.kysely)),
        );
        await new Promise((r) => setTimeout(r, 100));
        const concurrent = await sleepers();
        await running;
        const elapsed = Date.now() - started;
        expect(concurrent).toBe(2);
        // Four 200 ms sleeps on two connections take two rounds.
        expect(elapsed).toBeGreaterThanOrEqual(390);
        const { rows } = await observer.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
          [database],
        );
        expect(rows[0].n).toBe(2);
      } finally {
        await observer.end();
        await db.close();
        await fresh.drop();
      }
    },
  );

  describe("transaction()", () => {
    let db: Db<typeof testSchema>;
    let drop: () => Promise<void>;
    beforeAll(async () => {
      const fresh = await engine.freshDatabase();
      drop = fresh.drop;
      db = await connect(fresh.url, testSchema, { retry: { attempts: 1 } });
      await db.createSchema();
    });
    afterAll(async () => {
      await db?.close();
      await drop?.();
    });

    const bodies = async (prefix: string) =>
      (
        await db.kysely
          .selectFrom("note")
          .select("body")
          .where("body", "like", `${prefix}%`)
          .orderBy("body")
          .execute()
      ).map((r) => r.body);

    it("commits when the function resolves and returns its value", async () => {
      const value = await db.transaction(async (trx) => {
        await trx.insertInto("note").values({ body: "commit-1" }).execute();
        await trx.insertInto("note").values({ body: "commit-2" }).execute();
        // Inside, the transaction sees its own writes.
        const seen = await trx.selectFrom("note").select("body").where("body", "like", "commit-%").execute();
        return seen.length;
      });
      expect(value).toBe(2);
      expect(await bodies("commit-")).toEqual(["commit-1", "commit-2"]);
    });

    it("rolls back when the function throws, rethrowing the very same error", async () => {
      const boom = new Error("boom");
      const thrown = await db
        .transaction(async (trx) => {
          await trx.insertInto("note").values({ body: "rollback-1" }).execute();
          throw boom;
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(thrown).toBe(boom);
      expect(await bodies("rollback-")).toEqual([]);
    });

    it("rolls back on a constraint violation and surfaces the typed error", async () => {
      await addAuthor(db, "taken");
      const thrown = await db
        .transaction(async (trx) => {
          await trx.insertInto("note").values({ body: "violation-1" }).execute();
          await trx.insertInto("author").values({ name: "taken" }).execute();
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(thrown).toBeInstanceOf(UniqueViolation);
      expect(await bodies("violation-")).toEqual([]);
    });

    // SQLite and pglite run on one connection: a reader outside would wait for the transaction to end.
    it.skipIf(engine.name === "sqlite" || engine.name === "pglite")(
      "isolates: uncommitted writes are invisible outside until commit (server engines)",
      async () => {
        let release!: () => void;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        let inserted!: () => void;
        const insertedP = new Promise<void>((r) => {
          inserted = r;
        });
        const tx = db.transaction(async (trx) => {
          await trx.insertInto("note").values({ body: "isolated-1" }).execute();
          inserted();
          await gate;
        });
        await insertedP;
        expect(await bodies("isolated-")).toEqual([]);
        release();
        await tx;
        expect(await bodies("isolated-")).toEqual(["isolated-1"]);
      },
    );
  });
});
