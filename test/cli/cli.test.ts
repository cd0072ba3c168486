import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

/**
 * The shipped CLI (bin/plinth.js over dist/), as a user runs it on a fresh machine: no encryption
 * keys configured. `npm test` builds dist first.
 */
function plinth(...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  delete env.PLINTH_ENCRYPTION_KEYS;
  return run(args, env);
}

/** The CLI as a configured deployment runs it: with the test run's encryption keys. */
function plinthWithKeys(...args: string[]) {
  return run(args, { ...process.env, NO_COLOR: "1" });
}

function run(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], { encoding: "utf8", env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const dir = mkdtempSync(join(tmpdir(), "plinth-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("plinth CLI", () => {
  it("prints help and version", () => {
    const help = plinth("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: plinth/);
    expect(help.stdout).toMatch(/schema/);
    expect(help.stdout).toMatch(/up \[options\]/);
    const version = plinth("--version");
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it.each(["sqlite", "postgres", "mysql"])("schema sql --dialect %s prints that engine's DDL", (dialect) => {
    const r = plinth("schema", "sql", "--dialect", dialect, "blueprints/dns-filter/schema.ts");
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/CREATE TABLE/g)).toHaveLength(9); // eight models and the audit table
    const marker = { sqlite: ") STRICT;", postgres: "timestamptz(3)", mysql: "ENGINE=InnoDB" }[dialect]!;
    expect(r.stdout).toContain(marker);
  });

  it("refuses an unknown dialect and lists the choices", () => {
    const r = plinth("schema", "sql", "--dialect", "oracle", "blueprints/dns-filter/schema.ts");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/sqlite, postgres, mysql/);
  });

  it("up --blueprint applies the blueprint's migrations and seed, and a second run changes nothing", () => {
    const db = `sqlite:${join(dir, "nested", "dns.db")}`;
    const first = plinth("up", "--blueprint", "dns-filter", "--db", db);
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);
    // Every migration the blueprint ships, in order; the last one is where the database ends.
    const ids = readdirSync("blueprints/dns-filter/migrations")
      .filter((f) => f.endsWith(".ts"))
      .map((f) => f.replace(/\.ts$/, ""))
      .sort();
    const head = ids[ids.length - 1]!;
    for (const id of ids) expect(first.stdout).toMatch(new RegExp(`applied\\s+${id} \\(\\d+ ms\\)`));
    expect(first.stdout).toContain(`${ids.length} migrations applied; the database is at ${head} (sqlite)`);
    expect(first.stdout).toMatch(/seeded\s+backend_provider netcup/);
    // dns-filter has encrypted columns: without PLINTH_ENCRYPTION_KEYS, up makes development keys
    // beside the SQLite file (owner-only), and the next run uses the same ones.
    expect(first.stderr).toMatch(/created development keys in .*dns\.db\.keys/);
    expect(statSync(join(dir, "nested", "dns.db.keys")).mode & 0o777).toBe(0o600);
    const second = plinth("up", "--blueprint", "dns-filter", "--db", db, "--json");
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result.migrations).toEqual({ applied: [], current: [head] });
    expect(result.seed).toEqual([]);
    expect(result.undescribed).toBeUndefined();
  });

  it("up --schema without a migrations folder creates the missing tables, and a second run changes nothing", () => {
    const db = `sqlite:${join(dir, "plain.db")}`;
    const first = plinth("up", "--schema", "blueprints/dns-filter/schema.ts", "--db", db);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/created\s+auth_token/);
    expect(first.stdout).toMatch(/9 tables created, 0 already present/);
    const second = plinth("up", "--schema", "blueprints/dns-filter/schema.ts", "--db", db, "--json");
    expect(second.code).toBe(0);
    const result = JSON.parse(second.stdout);
    expect(result.created).toEqual([]);
    expect(result.existing).toHaveLength(9);
  });

  it("up makes a schema's audit table append-only in the database", () => {
    // Inside the package, so `plinth` and `plinth/schema` resolve to the package itself.
    const scratch = mkdtempSync(join(process.cwd(), "test", ".tmp-audit-"));
    try {
      const file = join(scratch, "schema.ts");
      writeFileSync(
        file,
        [
          'import { auditLog } from "plinth";',
          'import { col, schema, table } from "plinth/schema";',
          'const note = table("note", { id: col.id(), body: col.text() }, { audit: true });',
          "export default schema({ note, auditLog: auditLog() });",
        ].join("\n"),
      );
      const path = join(scratch, "audit.db");
      const r = plinth("up", "--schema", file, "--db", `sqlite:${path}`);
      // The CLI's error labels, not just "error": the scratch path may contain that word.
      expect(r.stderr).not.toMatch(/^plinth: /m);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/plinth_audit_log is append-only/);
      const sqlite = new Database(path);
      try {
        sqlite
          .prepare(
            "INSERT INTO plinth_audit_log (table_name, row_id, action, changes) VALUES ('note', '1', 'create', '{}')",
          )
          .run();
        expect(() => sqlite.prepare("DELETE FROM plinth_audit_log").run()).toThrow(
          /append-only: DELETE refused/,
        );
      } finally {
        sqlite.close();
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("explains bad input in one line: unknown blueprint, missing file, file without a schema, broken file", () => {
    const unknown = plinth("up", "--blueprint", "nope");
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/unknown blueprint "nope"; available: .*dns-filter/);

    const missing = plinth("schema", "sql", "--dialect", "sqlite", join(dir, "missing.ts"));
    expect(missing.stderr).toMatch(/schema file not found: .*missing\.ts/);

    const empty = join(dir, "empty.ts");
    writeFileSync(empty, "export const x = 1;\n");
    expect(plinth("schema", "sql", "--dialect", "sqlite", empty).stderr).toMatch(/exports no schema\(\)/);

    const broken = join(dir, "broken.ts");
    writeFileSync(broken, "export const = ;\n");
    const r = plinth("schema", "sql", "--dialect", "sqlite", broken);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^plinth: error: schema file .*broken\.ts could not be loaded: .*Expected identifier/,
    );
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    for (const out of [unknown, missing, r]) expect(out.stderr).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["migrate", "status", "--db", "oracle://x"],
    ["migrate", "up", "--blueprint", "dns-filter", "--db", "sqlite:"],
    ["up", "--blueprint", "dns-filter", "--db", "sqlite:"],
    ["up", "--schema", "blueprints/dns-filter/schema.ts", "--db", "oracle://x"],
    ["keys", "rotate", "--blueprint", "dns-filter", "--db", "oracle://x"],
    ["schema", "diff", "--db", "sqlite:", "blueprints/dns-filter/schema.ts"],
  ])("refuses a database URL it cannot read in one line: %s %s %s %s %s %s", (...args) => {
    const r = plinth(...args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /^plinth: error: .*(unsupported database URL "oracle:\/\/x"|sqlite URL needs a file)/,
    );
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it("prints an error that is not plinth's with its stack, as a bug to report", () => {
    // A seed that throws an ordinary error: the one way to reach the CLI with a non-plinth error
    // without breaking plinth itself.
    const scratch = mkdtempSync(join(process.cwd(), "test", ".tmp-bug-"));
    try {
      const file = join(scratch, "schema.ts");
      writeFileSync(
        file,
        [
          'import { col, schema, table } from "plinth/schema";',
          'export default schema({ note: table("note", { id: col.id(), body: col.text() }) });',
        ].join("\n"),
      );
      const seed = join(scratch, "seed.ts");
      writeFileSync(seed, 'export async function seed() {\n  throw new TypeError("seed went wrong");\n}\n');
      const r = plinth("up", "--schema", file, "--db", `sqlite:${join(scratch, "bug.db")}`, "--seed", seed);
      expect(r.code).not.toBe(0);
      const lines = r.stderr.trimEnd().split("\n");
      const first = lines.findIndex((l) => l.startsWith("plinth: internal error:"));
      expect(first).toBeGreaterThanOrEqual(0);
      expect(lines[first]).toMatch(/bug in plinth/);
      expect(lines[first + 1]).toBe("TypeError: seed went wrong");
      expect(lines.slice(first + 2).some((l) => /^\s+at .*seed\.ts/.test(l))).toBe(true);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it("names the host and the cause when the database never answers", () => {
    const args = ["up", "--blueprint", "dns-filter", "--db", "postgres://u@127.0.0.1:1/x"];
    const retry = ["--attempts", "2", "--retry-delay", "10"];
    // A server never gets development keys: without the variable, that is the first error.
    const keyless = plinth(...args, ...retry);
    expect(keyless.code).toBe(1);
    expect(keyless.stderr).toMatch(/PLINTH_ENCRYPTION_KEYS is not set/);

    const r = plinthWithKeys(...args, ...retry);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/attempt 1 failed/);
    expect(r.stderr).toMatch(
      /cannot connect: could not connect to postgres at 127\.0\.0\.1:1\/x after 2 attempts: .*ECONNREFUSED/,
    );
  });

  it("accepts the README's declaration example on every engine", () => {
    const example = /```ts\n\/\/ schema\.ts\n([\s\S]*?)```/.exec(readFileSync("README.md", "utf8"))?.[1];
    expect(example).toBeDefined();
    // Inside the package, so `plinth/schema` resolves to the package itself, as it does for users.
    const scratch = mkdtempSync(join(process.cwd(), ".readme-"));
    try {
      writeFileSync(join(scratch, "schema.ts"), example!);
      for (const dialect of ["sqlite", "postgres", "mysql"]) {
        const r = plinth("schema", "sql", "--dialect", dialect, join(scratch, "schema.ts"));
        expect(r.stderr).toBe("");
        // account, realm, and the audit table account's audit: true records into
        expect(r.stdout.match(/CREATE TABLE/g)).toHaveLength(3);
      }
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  });
});
