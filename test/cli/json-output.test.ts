/**
 * `--json` on every command that prints a result: the command tree is walked, so a command added
 * without --json, or without a row below, fails here. Each row runs its command with --json in one
 * project, as a user's session would (init, up, a second migration, rollback, baseline, review …),
 * and parses stdout as JSON: progress and notes must stay on stderr.
 */
import Database from "better-sqlite3";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { json, TempProject } from "../helpers/temp-project.js";

/** Every command a user can run, by its full name ("migrate up"); groups such as `migrate` are not. */
function leaves(command: Command, prefix: string[] = []): { name: string; command: Command }[] {
  return command.commands.flatMap((c) => {
    const path = [...prefix, c.name()];
    return c.commands.length > 0 ? leaves(c, path) : [{ name: path.join(" "), command: c }];
  });
}

const KEY = "k1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

interface Row {
  /** The command's full name, as `leaves` gives it. */
  command: string;
  /** Arguments after the command's name; --json is added. */
  args?: string[];
  /** Something the result must say, so a parseable but wrong answer fails too. */
  check: (out: any) => void;
  /** The exit code when it is not 0: drift and a failed review exit 1, with the report on stdout. */
  exitCode?: number;
  /** Work the row needs done first (a schema change, a database without history). */
  before?: (app: TempProject) => void;
}

const ids = (applied: { id: string }[]) => applied.map((a) => a.id);

/** In the order a project lives through them: each row starts where the one before left off. */
const ROWS: Row[] = [
  { command: "init", check: (o) => expect(o.written).toContain("db/migrations/0001_initial.ts") },
  {
    command: "up",
    check: (o) => {
      expect(ids(o.migrations.applied)).toEqual(["0001_initial"]);
      expect(o.seed).toEqual(["note Welcome"]);
    },
  },
  { command: "migrate heads", check: (o) => expect(o.heads).toEqual(["0001_initial"]) },
  {
    command: "migrate make",
    args: ["add secret"],
    before: (app) =>
      app.write(
        "db/schema.ts",
        app
          .read("db/schema.ts")
          .replace("body: col.text().nullable(),", "$&\n    secret: col.encrypted().nullable(),"),
      ),
    check: (o) => {
      expect(o.id).toBe("0002_add_secret");
      expect(o.operations).toEqual(["add column note.secret"]);
    },
  },
  {
    command: "migrate sql",
    args: ["0002_add_secret", "--dialect", "postgres"],
    check: (o) =>
      expect(o.operations.flatMap((op: { steps: { sql: string }[] }) => op.steps.map((s) => s.sql))).toEqual([
        'ALTER TABLE "note" ADD COLUMN "secret" text',
      ]),
  },
  {
    command: "migrate status",
    check: (o) => expect(o.migrations.map((m: { state: string }) => m.state)).toEqual(["applied", "pending"]),
  },
  { command: "migrate up", check: (o) => expect(ids(o.applied)).toEqual(["0002_add_secret"]) },
  { command: "migrate history", check: (o) => expect(ids(o)).toEqual(["0001_initial", "0002_add_secret"]) },
  { command: "migrate current", check: (o) => expect(o.current).toEqual(["0002_add_secret"]) },
  // One head: nothing to join, and it says so.
  { command: "migrate merge", check: (o) => expect(o).toEqual({ file: null, heads: ["0002_add_secret"] }) },
  {
    command: "keys rotate",
    check: (o) => expect(o).toMatchObject({ keyId: "k1", complete: true, tables: [{ table: "note" }] }),
  },
  { command: "keys generate", args: ["k2"], check: (o) => expect(o.key).toMatch(/^k2:[A-Za-z0-9+/]{43}=$/) },
  { command: "migrate down", check: (o) => expect(o.current).toEqual(["0001_initial"]) },
  {
    // A database whose tables were made without this history: the migrations run, then it is erased.
    command: "migrate baseline",
    args: ["--db", "sqlite:./data/adopt.db"],
    before: (app) => {
      expect(
        app.plinth(["migrate", "up", "--db", "sqlite:./data/adopt.db"], { PLINTH_ENCRYPTION_KEYS: KEY }).code,
      ).toBe(0);
      const db = new Database(app.path("data/adopt.db"));
      db.exec("DELETE FROM plinth_migrations");
      db.close();
    },
    check: (o) => expect(o.baselined).toEqual(["0001_initial", "0002_add_secret"]),
  },
  {
    command: "schema sql",
    args: ["--dialect", "mysql"],
    check: (o) => expect(o.statements.join("\n")).toMatch(/CREATE TABLE `note`/),
  },
  {
    command: "schema snapshot",
    check: (o) => expect(o.tables.map((t: { name: string }) => t.name)).toEqual(["note", "plinth_audit_log"]),
  },
  { command: "schema er", check: (o) => expect(o.diagram).toMatch(/^erDiagram\n\s+note \{/) },
  {
    command: "docs",
    check: (o) => {
      expect(o.tables.map((t: { name: string }) => t.name)).toEqual(["note", "plinth_audit_log"]);
      expect(o.erDiagram).toMatch(/^erDiagram\n/);
      expect(o.file).toBeNull();
    },
  },
  {
    // The database is at 0001 again (migrate down above), so it lacks the declared column.
    command: "schema diff",
    check: (o) => expect(o.differences).toEqual(["missing column secret on note"]),
    exitCode: 1,
  },
  {
    command: "migrate verify",
    args: ["--no-pglite"],
    check: (o) => {
      expect(o.ok).toBe(true);
      expect(o.engines.map((e: { name: string }) => e.name)).toEqual(["sqlite"]);
    },
  },
  {
    // Still at 0001: doctor's health names the pending migration, and lists the tables.
    command: "doctor",
    check: (o) => {
      expect(o.health).toMatchObject({ status: "degraded", pendingMigrations: ["0002_add_secret"] });
      expect(o.tables.map((t: { table: string }) => t.table)).toContain("note");
    },
  },
  {
    command: "serve",
    args: ["--port", "0", "--for", "0"],
    check: (o) => expect(o.endpoints).toContain(`${o.url}/metrics`),
  },
  {
    command: "review",
    args: ["--no-pglite"],
    check: (o) => {
      expect(o.ok).toBe(false);
      const pending = o.review.findings.filter((f: { rule: string }) => f.rule === "migrations-not-applied");
      expect(JSON.stringify(pending)).toMatch(/0002_add_secret/);
    },
    exitCode: 1,
  },
  {
    // The audit table given a retention: its rows are all from today, so none would go.
    command: "prune",
    args: ["--dry-run"],
    before: (app) =>
      app.write(
        "db/schema.ts",
        app.read("db/schema.ts").replace("auditLog()", "auditLog({ retention: { days: 365 } })"),
      ),
    check: (o) =>
      expect(o).toMatchObject({
        dryRun: true,
        tables: [{ table: "plinth_audit_log", column: "created_at", days: 365, candidates: 0, deleted: 0 }],
      }),
  },
  {
    // SQLite has no native partitions: it says so rather than pretending.
    command: "partitions",
    args: ["--ahead", "2"],
    check: (o) => expect(o).toMatchObject({ supported: false, tables: [] }),
  },
];

describe("--json on every command that prints a result", () => {
  const commands = leaves(buildProgram());

  it("the walk finds the commands (so the checks below check something)", () => {
    expect(commands.map((c) => c.name)).toEqual(
      expect.arrayContaining(["init", "migrate up", "keys rotate"]),
    );
  });

  it("every command takes --json and has a row here", () => {
    const without = commands.filter((c) => !c.command.options.some((opt) => opt.long === "--json"));
    expect(without.map((c) => c.name)).toEqual([]);
    expect(ROWS.map((r) => r.command).sort()).toEqual(commands.map((c) => c.name).sort());
  });

  describe("each prints JSON, and only JSON, on stdout", () => {
    let app: TempProject;
    beforeAll(() => {
      app = new TempProject("commonjs");
    });
    afterAll(() => app.remove());

    it.each(ROWS.map((row) => [row.command, row] as const))(
      "%s --json",
      (_name, row) => {
        row.before?.(app);
        const r = app.plinth([...row.command.split(" "), ...(row.args ?? []), "--json"], {
          PLINTH_ENCRYPTION_KEYS: KEY,
        });
        const out = json(r);
        row.check(out);
        expect(r.code).toBe(row.exitCode ?? 0);
      },
      120_000,
    );
  });
});
