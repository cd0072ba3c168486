/**
 * A deliberately broken schema, in each engine's own DDL, reviewed without a declaration: exactly
 * its expected findings, per engine. Where engines differ the expectation says why (MySQL indexes
 * foreign keys itself; only PostgreSQL has `json` beside `jsonb`; only SQLite has non-STRICT tables).
 */

import { sql } from "kysely";
import { connect } from "plinth";
import { REVIEW_RULES, runReview } from "plinth/review";
import { schema } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const DDL: Record<"sqlite" | "postgres" | "mysql", string[]> = {
  sqlite: [
    "CREATE TABLE account (id INTEGER PRIMARY KEY, email TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL) STRICT",
    "CREATE INDEX ix_account_email ON account (email)",
    "CREATE INDEX ix_account_email2 ON account (email)",
    "CREATE TABLE realm (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES account (id), label TEXT NOT NULL) STRICT",
    "CREATE TABLE session (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL) STRICT",
    "CREATE TABLE audit_log (id INTEGER PRIMARY KEY, account_id INTEGER REFERENCES account (id) ON DELETE CASCADE, action TEXT NOT NULL) STRICT",
    "CREATE TABLE note (body TEXT)",
  ],
  postgres: [
    "CREATE TABLE account (id integer PRIMARY KEY, email varchar(255) NOT NULL, status varchar(20) NOT NULL, created_at timestamp NOT NULL, settings json)",
    "CREATE INDEX ix_account_email ON account (email)",
    "CREATE INDEX ix_account_email2 ON account (email)",
    "CREATE TABLE realm (id integer PRIMARY KEY, account_id integer NOT NULL REFERENCES account (id), label text NOT NULL)",
    "CREATE TABLE session (id integer PRIMARY KEY, account_id integer NOT NULL)",
    "CREATE TABLE audit_log (id integer PRIMARY KEY, account_id integer REFERENCES account (id) ON DELETE CASCADE, action text NOT NULL)",
    "CREATE TABLE note (body text)",
  ],
  mysql: [
    "CREATE TABLE account (id int PRIMARY KEY, email varchar(255) NOT NULL, status varchar(20) NOT NULL, created_at datetime NOT NULL)",
    "CREATE INDEX ix_account_email ON account (email)",
    "CREATE INDEX ix_account_email2 ON account (email)",
    "CREATE TABLE realm (id int PRIMARY KEY, account_id int NOT NULL, label text NOT NULL, CONSTRAINT fk_realm_account FOREIGN KEY (account_id) REFERENCES account (id))",
    "CREATE TABLE session (id int PRIMARY KEY, account_id int NOT NULL)",
    "CREATE TABLE audit_log (id int PRIMARY KEY, account_id int, action text NOT NULL, CONSTRAINT fk_audit_account FOREIGN KEY (account_id) REFERENCES account (id) ON DELETE CASCADE)",
    "CREATE TABLE note (body text)",
  ],
};

/** Findings every engine gives, as `rule object`. */
const COMMON = [
  "cascade-deletes-audit account→audit_log",
  "audit-without-immutability audit_log",
  "no-primary-key note",
  "duplicate-index account/ix_account_email2",
  "enum-without-check account.status",
  "id-column-without-fk session.account_id",
  "timestamp-without-default account.created_at",
];
/** MySQL creates an index for every foreign key itself; the other engines do not. */
const UNINDEXED_FKS = ["fk-without-index audit_log(account_id)", "fk-without-index realm(account_id)"];
const EXPECTED: Record<string, string[]> = {
  sqlite: [...COMMON, ...UNINDEXED_FKS, "sqlite-not-strict note"],
  pglite: [...COMMON, ...UNINDEXED_FKS, "json-not-jsonb account.settings"],
  postgres: [...COMMON, ...UNINDEXED_FKS, "json-not-jsonb account.settings"],
  mysql: COMMON,
};

describeEngines(
  "a broken schema gives exactly its findings",
  (engine) => {
    it("reports each planted problem once, and nothing else", async () => {
      const fresh = await engine.freshDatabase();
      const db = await connect(fresh.url, schema({}), { retry: { attempts: 1 } });
      try {
        for (const statement of DDL[engine.dialect]) await sql.raw(statement).execute(db.kysely);
        const result = await runReview({ db: db.kysely, dialect: db.dialect, rules: REVIEW_RULES });
        const found = result.findings.map((f) => `${f.rule} ${f.object}`).sort();
        expect(found).toEqual([...EXPECTED[engine.name]!].sort());
        // A cascade that deletes audit rows is the one error; the gate fails on it.
        expect(
          result.findings
            .filter((f) => f.severity === "error")
            .map((f) => f.rule)
            .sort(),
        ).toEqual(["cascade-deletes-audit", "no-primary-key"]);
        expect(result.skipped.find((s) => s.rule === "schema-drift")?.reason).toMatch(/declaration/);
      } finally {
        await db.close();
        await fresh.drop();
      }
    });
  },
  { timeout: 60_000 },
);
