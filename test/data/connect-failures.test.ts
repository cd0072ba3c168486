/**
 * connect() fails fast and says why: a server that accepts and never answers is bounded by the
 * connect timeout (the URL's connect_timeout honoured), one that stops answering mid-session by the
 * statement timeout; refused credentials and missing databases are not retried; URLs that cannot
 * work are refused before any connection; a database that must exist is never created.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { ConnectionError, connect, DatabaseUrlError, StatementTimeoutError } from "plinth";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDatabaseUrl } from "../../src/dialect/url.js";
import { describeEngines } from "../engines/matrix.js";
import type { FakeServer } from "../helpers/silent-server.js";
import { postgresThatStopsAnswering, silentServer } from "../helpers/silent-server.js";

const s = schema({ note: table("note", { id: col.id(), body: col.text() }) });

/** The rejection of `p` and how long it took, failing the test when it resolves. */
async function timedRejection(p: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const started = Date.now();
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return { error: error as Error, ms: Date.now() - started };
}

describe("a server that accepts the connection and never answers", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await silentServer();
  });
  afterAll(() => server.close());

  it("postgres: the URL's connect_timeout bounds the wait", async () => {
    const { error, ms } = await timedRejection(
      connect(`postgres://u@127.0.0.1:${server.port}/x?connect_timeout=1`, s, { retry: { attempts: 1 } }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`127.0.0.1:${server.port}/x`);
    expect(error.message).toMatch(/did not answer as PostgreSQL in time/);
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(ms).toBeLessThan(8000);
    expect(server.accepted).toBeGreaterThanOrEqual(1);
  });

  it("postgres: connectTimeoutMs overrides the URL, and every attempt is bounded", async () => {
    const before = server.accepted;
    const { error, ms } = await timedRejection(
      connect(`postgres://u@127.0.0.1:${server.port}/x?connect_timeout=30`, s, {
        connectTimeoutMs: 300,
        retry: { attempts: 2, delayMs: 10 },
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    // Waiting may help a server that is still starting: it was tried again, and gave up in time.
    expect(error.message).toContain("after 2 attempts");
    expect(server.accepted - before).toBe(2);
    expect(ms).toBeLessThan(8000);
  });

  it("mysql: connectTimeoutMs bounds the handshake", async () => {
    const { error, ms } = await timedRejection(
      connect(`mysql://u:p@127.0.0.1:${server.port}/x`, s, { connectTimeoutMs: 500, retry: { attempts: 1 } }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toContain(`127.0.0.1:${server.port}/x`);
    expect(ms).toBeLessThan(8000);
  });
});

describe("a PostgreSQL server that stops answering after the handshake", () => {
  let server: FakeServer;
  beforeAll(async () => {
    server = await postgresThatStopsAnswering();
  });
  afterAll(() => server.close());

  it("start-up fails once the statement timeout and its grace have passed", async () => {
    const { error, ms } = await timedRejection(
      connect(`postgres://u@127.0.0.1:${server.port}/x`, s, {
        statementTimeoutMs: 200,
        retry: { attempts: 1 },
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/did not answer within the statement timeout/);
    expect(error.cause).toBeInstanceOf(StatementTimeoutError);
    // 200 ms on the server's side, which never comes, plus the client's 5 s grace.
    expect(ms).toBeGreaterThanOrEqual(5000);
    expect(ms).toBeLessThan(15_000);
  });

  it("with no statement timeout, the connect timeout still bounds start-up", async () => {
    const { error, ms } = await timedRejection(
      connect(`postgres://u@127.0.0.1:${server.port}/x`, s, {
        statementTimeoutMs: 0,
        connectTimeoutMs: 300,
        retry: { attempts: 1 },
      }),
    );
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/no answer within 5300 ms/);
    expect(ms).toBeLessThan(12_000);
  });
});

describe("URLs that cannot work are refused before any connection", () => {
  it("a MySQL URL without a database, at once and in one line", async () => {
    for (const url of ["mysql://plinth:secret@127.0.0.1:1/", "mysql://plinth@127.0.0.1:1", "mariadb://h/"]) {
      const { error, ms } = await timedRejection(connect(url, s, { retry: { attempts: 5, delayMs: 5000 } }));
      expect(error, url).toBeInstanceOf(DatabaseUrlError);
      expect(error.message).toMatch(
        /names no database: add its name after the host, e\.g\. \w+:\/\/.*\/app$/,
      );
      expect(error.message).not.toContain("secret");
      expect(error.message).not.toContain("\n");
      expect(ms).toBeLessThan(1000);
    }
  });

  it("sqlite://./x.db is refused with the spelling that works, and creates nothing", async () => {
    const { error } = await timedRejection(connect("sqlite://./plinth-nowhere.db", s));
    expect(error).toBeInstanceOf(DatabaseUrlError);
    expect(error.message).toContain(
      "write sqlite:./plinth-nowhere.db for a file relative to the current folder",
    );
    expect(existsSync("/plinth-nowhere.db")).toBe(false);
    expect(() => parseDatabaseUrl("sqlite://data/app.db")).toThrow(/write sqlite:\.\/data\/app\.db/);
  });

  it("reads sqlite paths, absolute ones with three slashes, and connect_timeout in seconds", () => {
    expect(parseDatabaseUrl("sqlite:./a.db")).toMatchObject({ file: "./a.db" });
    expect(parseDatabaseUrl("sqlite:/srv/a.db")).toMatchObject({ file: "/srv/a.db" });
    expect(parseDatabaseUrl("sqlite:///srv/a.db")).toMatchObject({ file: "/srv/a.db" });
    expect(parseDatabaseUrl("sqlite::memory:")).toMatchObject({ file: ":memory:" });
    expect(parseDatabaseUrl("postgres://h/db?connect_timeout=2.5")).toMatchObject({ connectTimeoutMs: 2500 });
    expect(parseDatabaseUrl("postgres://h/db")).not.toHaveProperty("connectTimeoutMs");
    expect(() => parseDatabaseUrl("postgres://h/db?connect_timeout=soon")).toThrow(
      /connect_timeout must be a number of seconds/,
    );
    expect(parseDatabaseUrl("mysql://u@h:3306/app")).toMatchObject({ database: "app", dialect: "mysql" });
  });

  it("a malformed URL or a near miss says what to write", () => {
    expect(() => parseDatabaseUrl("postgres://u:p@ss@h:x/db")).toThrow(DatabaseUrlError);
    expect(() => parseDatabaseUrl("postgres://u:p@ss@h:x/db")).toThrow(/percent-encoded/);
    expect(() => parseDatabaseUrl("postgresql:u@h/db")).toThrow(/the scheme is followed by \/\//);
    expect(() => parseDatabaseUrl("./app.db")).toThrow(/for this SQLite file: sqlite:\.\/app\.db/);
    expect(() => parseDatabaseUrl("file:./dev.db")).toThrow(/for a SQLite file write sqlite:\.\/dev\.db/);
  });
});

describe("a database that must exist", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "plinth-must-exist-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("SQLite: is not created, nor its folder", async () => {
    const file = join(dir, "sub", "missing.db");
    const { error } = await timedRejection(connect(`sqlite:${file}`, s, { mustExist: true }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toBe(
      `no SQLite database at ${file} (nothing was created); check the path, or create it with \`plinth up\``,
    );
    expect(existsSync(join(dir, "sub"))).toBe(false);
  });

  it("SQLite: opens one that exists", async () => {
    const file = join(dir, "there.db");
    await (await connect(`sqlite:${file}`, s)).close();
    const db = await connect(`sqlite:${file}`, s, { mustExist: true });
    await db.close();
  });

  it("PGlite: a data folder that does not exist is not created", async () => {
    const folder = join(dir, "pgdata");
    const { error } = await timedRejection(connect(`pglite:${folder}`, s, { mustExist: true }));
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/^no PGlite database in /);
    expect(existsSync(folder)).toBe(false);
  });
});

describeEngines("connect() does not retry what waiting cannot fix", (engine) => {
  /** The engine's URL with its database, or user and password, replaced. */
  const variant = async (change: (u: URL) => void) => {
    const fresh = await engine.freshDatabase();
    const u = new URL(fresh.url);
    change(u);
    return { url: u.toString(), drop: fresh.drop };
  };

  it.skipIf(engine.name === "sqlite" || engine.name === "pglite")(
    "a database that does not exist: one attempt, and how to create it",
    async () => {
      const { url, drop } = await variant((u) => {
        u.pathname = "/plinth_no_such_db";
      });
      try {
        let retries = 0;
        const { error, ms } = await timedRejection(
          connect(url, s, { retry: { attempts: 5, delayMs: 5000, onRetry: () => retries++ } }),
        );
        expect(error).toBeInstanceOf(ConnectionError);
        expect(retries).toBe(0);
        expect(ms).toBeLessThan(4000);
        expect(error.message).not.toContain("attempt");
        expect(error.message).toMatch(/plinth_no_such_db/);
        expect(error.message).toMatch(
          /create it \(.*CREATE DATABASE plinth_no_such_db\) or fix the name in the URL$/,
        );
      } finally {
        await drop();
      }
    },
  );

  it.skipIf(engine.name === "sqlite" || engine.name === "pglite")(
    "refused credentials: one attempt, and what to check",
    async () => {
      // The test PostgreSQL trusts every local user, so a role that does not exist is refused instead.
      const { url, drop } = await variant((u) => {
        if (engine.dialect === "mysql") u.password = "certainly-wrong";
        else u.username = "plinth_no_such_role";
      });
      try {
        let retries = 0;
        const { error, ms } = await timedRejection(
          connect(url, s, { retry: { attempts: 5, delayMs: 5000, onRetry: () => retries++ } }),
        );
        expect(error).toBeInstanceOf(ConnectionError);
        expect(retries).toBe(0);
        expect(ms).toBeLessThan(4000);
        expect(error.message).toMatch(/check the user name and password in the database URL/);
        expect(error.message).not.toContain("certainly-wrong");
      } finally {
        await drop();
      }
    },
  );

  it.skipIf(engine.name !== "postgres")(
    "postgres: a statement longer than statementTimeoutMs is cancelled by the server",
    async () => {
      const fresh = await engine.freshDatabase();
      const db = await connect(fresh.url, s, { statementTimeoutMs: 300, retry: { attempts: 1 } });
      try {
        const started = Date.now();
        const error = await sql`SELECT pg_sleep(3)`.execute(db.kysely).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StatementTimeoutError);
        expect((error as Error).message).toMatch(/raise statementTimeoutMs/);
        expect(Date.now() - started).toBeLessThan(2500);
        // The connection is still usable afterwards.
        expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db.kysely)).rows).toEqual([{ one: 1 }]);
      } finally {
        await db.close();
        await fresh.drop();
      }
    },
  );
});
