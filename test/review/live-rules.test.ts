/**
 * The live rules (probes and EXPLAIN), each on a database that makes it fire and one that does not,
 * on every engine. The databases that fire are made with raw DDL that leaves out what the
 * declaration has; the ones that do not are created by plinth from the declaration.
 */
import { sql } from "kysely";
import type { Schema } from "plinth";
import { connect } from "plinth";
import type { Rule } from "plinth/review";
import { REVIEW_RULES, runReview } from "plinth/review";
import { col, enumOf, ref, schema, table } from "plinth/schema";
import { expect, it } from "vitest";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";

const rule = (id: string): Rule => {
  const found = REVIEW_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};

/** Reviews `declared` with one rule on a fresh database made by `ddl` (raw) or by plinth (none). */
async function review(engine: TestEngine, declared: Schema, id: string, ddl?: string[], seed?: string[]) {
  const fresh = await engine.freshDatabase();
  const db = await connect(fresh.url, declared, { retry: { attempts: 1 } });
  try {
    if (ddl) for (const s of ddl) await sql.raw(s).execute(db.kysely);
    else await db.createSchema();
    for (const s of seed ?? []) await sql.raw(s).execute(db.kysely);
    const result = await runReview({
      schema: declared,
      db: db.kysely,
      dialect: db.dialect,
      rules: [rule(id)],
    });
    expect(result.skipped).toEqual([]);
    const counts = await Promise.all(
      declared.model.tables.map(async (t) => {
        const [row] = await db.kysely
          .withoutPlugins()
          .selectFrom(t.name)
          .select(sql<number>`count(*)`.as("n"))
          .execute();
        return [t.name, Number(row?.n)] as const;
      }),
    );
    return { result, counts: Object.fromEntries(counts) };
  } finally {
    await db.close();
    await fresh.drop();
  }
}

const Plan = enumOf("plan", ["free", "team"]);
const org = table("org", { id: col.id(), name: col.varchar(80) });
const member = table(
  "member",
  {
    id: col.id(),
    orgId: ref(() => org.id),
    email: col.varchar(120).unique(),
    plan: col.enum(Plan).default("free"),
    seats: col.integer().min(1),
  },
  { indexes: [["orgId"]] },
);
const probed = schema({ org, member });

/**
 * The same tables, by hand, without the unique key on email, the enum's CHECK, seats' CHECK, NOT NULL
 * on seats and the foreign key to org.
 */
const LOOSE: Record<TestEngine["dialect"], string[]> = {
  sqlite: [
    "CREATE TABLE org (id INTEGER PRIMARY KEY, name TEXT NOT NULL) STRICT",
    "CREATE TABLE member (id INTEGER PRIMARY KEY, org_id INTEGER NOT NULL, email TEXT NOT NULL, plan TEXT NOT NULL DEFAULT 'free', seats INTEGER) STRICT",
    "CREATE INDEX ix_member_org_id ON member (org_id)",
  ],
  postgres: [
    "CREATE TABLE org (id serial PRIMARY KEY, name varchar(80) NOT NULL)",
    "CREATE TABLE member (id serial PRIMARY KEY, org_id integer NOT NULL, email varchar(120) NOT NULL, plan varchar(4) NOT NULL DEFAULT 'free', seats integer)",
    "CREATE INDEX ix_member_org_id ON member (org_id)",
  ],
  mysql: [
    "CREATE TABLE org (id int AUTO_INCREMENT PRIMARY KEY, name varchar(80) NOT NULL)",
    "CREATE TABLE member (id int AUTO_INCREMENT PRIMARY KEY, org_id int NOT NULL, email varchar(120) NOT NULL, plan varchar(4) NOT NULL DEFAULT 'free', seats int)",
    "CREATE INDEX ix_member_org_id ON member (org_id)",
  ],
};

describeEngines(
  "constraint-probe",
  (engine) => {
    it("reports the unique key, CHECKs, NOT NULL and foreign key the database lacks, and keeps no row", async () => {
      const { result, counts } = await review(engine, probed, "constraint-probe", LOOSE[engine.dialect]);
      const uniqueName = probed.model.tables.find((t) => t.name === "member")!.uniques[0]!.name;
      const seatsCheck = probed.model.tables.find((t) => t.name === "member")!.checks[0]!.name;
      const fkName = probed.model.tables.find((t) => t.name === "member")!.foreignKeys[0]!.name;
      expect(result.findings.map((f) => f.object).sort()).toEqual(
        [
          `member/${uniqueName}`,
          "member.plan:domain",
          `member/${seatsCheck}`,
          "member.seats:not-null",
          `member/${fkName}`,
        ].sort(),
      );
      expect(result.findings.find((f) => f.object.endsWith(uniqueName))?.fix).toMatch(/UNIQUE/i);
      expect(counts).toEqual({ org: 0, member: 0 });
    });

    it("counts the stored rows that already break each constraint the database lacks", async () => {
      // Keys left to the engine, as an application writes them (a serial's sequence stays ahead).
      const seed = [
        "INSERT INTO org (name) VALUES ('acme')",
        "INSERT INTO member (org_id, email, plan, seats) VALUES (1, 'a@x.test', 'free', 2)",
        "INSERT INTO member (org_id, email, plan, seats) VALUES (1, 'a@x.test', 'gold', NULL)",
        "INSERT INTO member (org_id, email, plan, seats) VALUES (99, 'b@x.test', 'gold', 0)",
        "INSERT INTO member (org_id, email, plan, seats) VALUES (98, 'c@x.test', 'team', 0)",
        "INSERT INTO member (org_id, email, plan, seats) VALUES (97, 'd@x.test', 'team', 0)",
      ];
      const { result, counts } = await review(
        engine,
        probed,
        "constraint-probe",
        LOOSE[engine.dialect],
        seed,
      );
      const stored = Object.fromEntries(
        result.findings.map((f) => [
          f.object.replace(/\/.*_/, "/"),
          f.message.match(/; (\d+|no) stored row/)?.[1],
        ]),
      );
      expect(stored).toEqual({
        "member/email": "1", // one email held by two rows
        "member.plan:domain": "2",
        "member/min": "3", // seats < 1; the NULL passes a CHECK
        "member.seats:not-null": "1",
        "member/org": "3", // three orphans
      });
      expect(counts).toEqual({ org: 1, member: 5 });
    });

    it("reports nothing on the database plinth created, with rows already in it", async () => {
      const { result, counts } = await review(engine, probed, "constraint-probe", undefined, [
        "INSERT INTO org (name) VALUES ('acme')",
      ]);
      expect(result.findings).toEqual([]);
      expect(counts).toEqual({ org: 1, member: 0 });
    });
  },
  { timeout: 60_000 },
);

const Status = enumOf("job_status", ["queued", "running", "done"]);
const jobTable = (indexes: ("status" | "createdAt" | "host")[][]) =>
  table(
    "job",
    {
      id: col.id(),
      host: col.varchar(100),
      status: col.enum(Status),
      createdAt: col.timestamp().defaultNow(),
    },
    {
      indexes,
      hotQueries: {
        recentQueued: (db) =>
          db
            .selectFrom("job")
            .selectAll()
            .where("status", "=", "queued")
            .orderBy("createdAt", "desc")
            .limit(20),
      },
    },
  );

describeEngines(
  "hot-query-scan",
  (engine) => {
    it("fails a hot query no index serves, and proposes (and proves) the index", async () => {
      const { result } = await review(engine, schema({ job: jobTable([["host"]]) }), "hot-query-scan");
      expect(result.findings.map((f) => f.object)).toEqual(["job:recentQueued"]);
      const [finding] = result.findings;
      expect(finding?.severity).toBe("error");
      expect(finding?.message).toContain("proposed index on (status, created_at)");
      expect(finding?.fix).toMatch(/CREATE INDEX .*ix_job_status_created_at/);
      if (engine.dialect === "mysql") expect(finding?.message).not.toContain("proven");
      else expect(finding?.message).toContain("proven: with it the plan uses the index");
    });

    it("passes the hot query an index serves", async () => {
      const { result } = await review(
        engine,
        schema({ job: jobTable([["status", "createdAt"]]) }),
        "hot-query-scan",
      );
      expect(result.findings).toEqual([]);
    });
  },
  { timeout: 60_000 },
);

const account = table("account", {
  id: col.id(),
  email: col.varchar(120),
  password: col.text().nullable(),
  apiToken: col.varchar(200).nullable(),
  apiTokenPrefix: col.varchar(20).nullable(),
  note: col.text().nullable(),
});
const accounts = schema({ account });
const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
const CARD = "4111 1111 1111 1111";
const NOT_A_CARD = "4111 1111 1111 1112"; // fails the Luhn check
const BCRYPT = `$2b$12$${"a".repeat(53)}`;
/** A random 43-character base64url token (what crypto.randomBytes(32) gives), and a cloud key id. */
const RANDOM_TOKEN = "q7Rk2ZpX9vLw4TnBc8HsYd3FjMa6UeKo1GtWzN5iQxE";
const AWS_KEY = "AKIAQ3EGRW7XNPL4YD2K";

describeEngines(
  "secret-in-plaintext",
  (engine) => {
    it("counts plaintext secrets, JWTs and card numbers, printing none of them", async () => {
      const { result } = await review(engine, accounts, "secret-in-plaintext", undefined, [
        `INSERT INTO account (email, password, api_token, api_token_prefix, note) VALUES ('a@x.io', 'hunter2', '${JWT}', 'tok_', 'paid with ${CARD}')`,
        `INSERT INTO account (email, password, api_token, api_token_prefix, note) VALUES ('b@x.io', '${BCRYPT}', 'raw-token-123', 'tok_', NULL)`,
        `INSERT INTO account (email, password, note) VALUES ('c@x.io', '${BCRYPT}', 'deploy with ${RANDOM_TOKEN}.')`,
        `INSERT INTO account (email, password, note) VALUES ('d@x.io', '${BCRYPT}', 'key ${AWS_KEY} for backups')`,
      ]);
      expect(result.findings.map((f) => `${f.object} ${f.message.split(" ")[0]}`).sort()).toEqual([
        "account.api_token:jwt 1",
        "account.api_token:plaintext 1",
        "account.note:card 1",
        "account.note:token 2",
        "account.password:plaintext 1",
      ]);
      expect(result.findings.find((f) => f.object === "account.note:token")?.severity).toBe("warning");
      const text = JSON.stringify(result.findings);
      for (const secret of ["hunter2", JWT, CARD, "raw-token-123", RANDOM_TOKEN, AWS_KEY])
        expect(text).not.toContain(secret);
    });

    it("reports nothing when secrets are hashed and no text holds a card number or a JWT", async () => {
      const { result } = await review(engine, accounts, "secret-in-plaintext", undefined, [
        `INSERT INTO account (email, password, api_token, api_token_prefix, note) VALUES ('a@x.io', '${BCRYPT}', '${"ab12".repeat(16)}', 'tok_', 'order ${NOT_A_CARD}')`,
        `INSERT INTO account (email, password, note) VALUES ('b@x.io', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA', 'call +44 20 7946 0958')`,
        // Identifiers and digests are not credentials: a UUID, a hex digest, a long lower-case slug.
        `INSERT INTO account (email, password, note) VALUES ('c@x.io', '${BCRYPT}', 'ref 550e8400-e29b-41d4-a716-446655440000 sha ${"9f86d081884c7d65".repeat(4)} at https://example.test/docs/getting-started-with-the-billing-system')`,
      ]);
      expect(result.findings).toEqual([]);
    });
  },
  { timeout: 60_000 },
);

const growing = schema({
  event: table(
    "event",
    { id: col.id(), kind: col.varchar(20), createdAt: col.timestamp().defaultNow() },
    { growth: "append-only" },
  ),
  eventLog: table(
    "event_log",
    { id: col.bigId(), createdAt: col.timestamp().defaultNow() },
    { growth: "fast" },
  ),
  setting: table("setting", { id: col.id(), name: col.varchar(20) }, { growth: "static" }),
});

describeEngines(
  "key-exhaustion",
  (engine) => {
    it("makes a high-growth table's 32-bit key past half its range an error, with an estimate", async () => {
      const { result } = await review(engine, growing, "key-exhaustion", undefined, [
        "INSERT INTO event (id, kind) VALUES (2000000000, 'a')",
        "INSERT INTO event_log (id) VALUES (2000000000)",
        "INSERT INTO setting (id, name) VALUES (2000000000, 'a')",
      ]);
      expect(result.findings.map((f) => [f.object, f.severity])).toEqual([["event.id", "error"]]);
      expect(result.findings[0]?.message).toMatch(
        /93\.1 % of its range is used; at 0 row\(s\) a day .* runs out in about \d+ years/,
      );
    });

    it("reads the engine's counter, not only the largest key (a sequence moved past every row)", async () => {
      const moveCounter: Record<TestEngine["dialect"], string[]> = {
        postgres: ["SELECT setval(pg_get_serial_sequence('event', 'id'), 1500000000)"],
        mysql: ["ALTER TABLE event AUTO_INCREMENT = 1500000001"],
        // plinth's SQLite keys are rowids without AUTOINCREMENT: the largest key is the counter.
        sqlite: ["INSERT INTO event (id, kind) VALUES (1500000000, 'a')"],
      };
      const { result } = await review(
        engine,
        growing,
        "key-exhaustion",
        undefined,
        moveCounter[engine.dialect],
      );
      expect(result.findings.map((f) => [f.object, f.severity])).toEqual([["event.id", "error"]]);
      expect(result.findings[0]?.message).toContain("69.8 % of its range is used");
    });

    it("warns about the 32-bit key of an empty high-growth table, and says why there is no estimate", async () => {
      const { result } = await review(engine, growing, "key-exhaustion");
      expect(result.findings.map((f) => [f.object, f.severity])).toEqual([["event.id", "warning"]]);
      expect(result.findings[0]?.message).toContain("no rows were added in the last 30 days");
    });
  },
  { timeout: 60_000 },
);
