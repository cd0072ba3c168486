import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { connect } from "plinth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";
import { haveSamples, PUBLIC_SAMPLES, runScript, SAMPLES_DIR, statements } from "../helpers/samples.js";

/** The shipped CLI (bin/plinth.js over dist/); `npm test` builds dist first. */
function plinth(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Each CLI run compiles the schema file and connects: several runs need more than the default budget under load. */
const CLI_BUDGET = 150_000;

// pglite lives inside one process, so a CLI in another process cannot see it.
describeEngines("plinth schema diff", (engine) => {
  if (engine.name === "pglite") {
    it.skip("pglite lives inside one process: a CLI in another process cannot reach it (PostgreSQL is covered by the server engine)", () => {});
    return;
  }
  let live: string;
  let other: string;
  const drops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    for (const target of ["live", "other"]) {
      const fresh = await engine.freshDatabase();
      drops.push(fresh.drop);
      if (target === "live") live = fresh.url;
      else other = fresh.url;
      const db = await connect(fresh.url, dnsFilter, { retry: { attempts: 1 } });
      await db.createSchema();
      await db.close();
    }
  });
  afterAll(async () => {
    for (const drop of drops) await drop();
  }, CLI_BUDGET);

  it(
    "reports no drift for a database created from the declaration, and exits 0",
    () => {
      const r = plinth("schema", "diff", "--db", live, "blueprints/dns-filter/schema.ts");
      expect(r.stderr).toBe("");
      expect(r.stdout).toMatch(/no drift/);
      expect(r.code).toBe(0);
    },
    CLI_BUDGET,
  );

  it(
    "names each drift and exits 1, and --sql prints a migration that removes it",
    async () => {
      const db = await connect(other, dnsFilter, { retry: { attempts: 1 } });
      const text = engine.dialect === "sqlite" ? "TEXT" : "varchar(20)"; // STRICT tables know TEXT only
      await sql.raw(`ALTER TABLE account ADD COLUMN nickname ${text}`).execute(db.kysely);
      await sql
        .raw(
          engine.dialect === "mysql"
            ? "DROP INDEX ix_realm_realm_value ON realm"
            : "DROP INDEX ix_realm_realm_value",
        )
        .execute(db.kysely);
      await db.close();
      const r = plinth("schema", "diff", "--db", other, "blueprints/dns-filter/schema.ts", "--json");
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout).differences.sort()).toEqual([
        "missing index ix_realm_realm_value on realm",
        "unexpected column nickname on account",
      ]);

      // Dropping nickname loses its data: no script without --allow-data-loss, and exit code 2.
      const refused = plinth(
        "schema",
        "diff",
        "--from",
        other,
        "--to",
        "blueprints/dns-filter/schema.ts",
        "--sql",
      );
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split("\n")).toHaveLength(1);
      expect(refused.stderr).toMatch(/would lose data \(drop column account\.nickname\).*--allow-data-loss/);

      const withSql = plinth(
        "schema",
        "diff",
        "--from",
        other,
        "--to",
        "blueprints/dns-filter/schema.ts",
        "--sql",
        "--allow-data-loss",
        "--json",
      );
      const { up, down } = JSON.parse(withSql.stdout);
      expect(up).toMatch(/drop column account\.nickname/);
      expect(up).toMatch(/CREATE INDEX .ix_realm_realm_value./);
      expect(down).toMatch(/add column account\.nickname/);
    },
    CLI_BUDGET,
  );

  it(
    "compares two live databases",
    () => {
      const r = plinth("schema", "diff", "--from", live, "--to", other);
      expect(r.code).toBe(1);
      // Read from the --from side: live lacks the column and still has the index.
      expect(r.stdout).toMatch(/missing column nickname on account/);
      expect(r.stdout).toMatch(/unexpected index ix_realm_realm_value on realm/);
    },
    CLI_BUDGET,
  );

  it(
    "exits 3 when it matches but the database holds objects plinth does not compare, and lists them",
    async () => {
      const db = await connect(live, dnsFilter, { retry: { attempts: 1 } });
      await sql.raw("CREATE VIEW active_accounts AS SELECT id FROM account").execute(db.kysely);
      await db.close();
      const r = plinth("schema", "diff", "--db", live, "blueprints/dns-filter/schema.ts");
      expect(r.code).toBe(3);
      expect(r.stdout).toMatch(/no drift in what was compared/);
      expect(r.stdout).toMatch(/not compared.*\n.*view active_accounts/);
      const json = JSON.parse(
        plinth("schema", "diff", "--db", live, "blueprints/dns-filter/schema.ts", "--json").stdout,
      );
      expect(json.notCompared).toEqual([expect.stringMatching(/view active_accounts$/)]);
    },
    CLI_BUDGET,
  );

  it(
    "--rename keeps a renamed column's data, and a changed primary key is an error (exit 2)",
    async () => {
      const dir = mkdtempSync(join(process.cwd(), "test", ".tmp-diff-"));
      try {
        const { url, drop } = await engine.freshDatabase();
        drops.push(drop);
        const declare = (column: string, key = "id") =>
          `import { col, schema, table } from "plinth/schema";\n` +
          `export default schema({ pet: table("pet", { id: col.id(), code: col.integer(), ${column}: col.varchar(40) }, ` +
          `{ primaryKey: ["${key}"] }) });\n`;
        writeFileSync(join(dir, "v1.ts"), declare("nick").replace("col.id()", "col.integer()"));
        writeFileSync(join(dir, "v2.ts"), declare("nickname").replace("col.id()", "col.integer()"));
        writeFileSync(join(dir, "v3.ts"), declare("nick", "code").replace("col.id()", "col.integer()"));
        const v1 = await import(join(dir, "v1.ts"));
        const db = await connect(url, v1.default, { retry: { attempts: 1 } });
        await db.createSchema();
        await db.repo("pet").create({ id: 1, code: 7, nick: "rex" });
        await db.close();

        const plain = plinth("schema", "diff", "--from", url, "--to", join(dir, "v2.ts"), "--sql");
        expect(plain.code).toBe(2);
        const noted = plinth("schema", "diff", "--from", url, "--to", join(dir, "v2.ts"));
        expect(noted.stdout).toMatch(
          /note: pet\.nick is dropped and pet\.nickname added.*--rename pet\.nick=nickname/,
        );

        const renamed = plinth(
          "schema",
          "diff",
          "--from",
          url,
          "--to",
          join(dir, "v2.ts"),
          "--sql",
          "--rename",
          "pet.nick=nickname",
          "--json",
        );
        expect(renamed.code).toBe(1);
        const { up } = JSON.parse(renamed.stdout) as { up: string };
        expect(up).toMatch(/rename column pet\.nick to nickname/);
        expect(up).not.toMatch(/drop column/);

        const pk = plinth("schema", "diff", "--from", url, "--to", join(dir, "v3.ts"));
        expect(pk.code).toBe(2);
        expect(pk.stderr.trim().split("\n")).toHaveLength(1);
        expect(pk.stderr).toMatch(/changing the primary key/);
        expect(pk.stderr).not.toMatch(/\n\s+at /);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    CLI_BUDGET,
  );
});

/**
 * The adoption path: a database another tool made (a public sample, in the engine's own DDL) is
 * recreated in an empty database from the script `schema diff --sql` prints, run with the engine's
 * own client; diffing the two then finds nothing, and nothing needed --allow-data-loss.
 */
describe.skipIf(!haveSamples())("plinth schema diff --sql, on public sample databases", () => {
  describeEngines("round trip through the script", (engine) => {
    if (engine.name === "pglite") {
      it.skip("pglite lives inside one process: the CLI cannot reach it (PostgreSQL is covered by the server engine)", () => {});
      return;
    }
    for (const [name, files] of Object.entries(PUBLIC_SAMPLES)) {
      const sample = files.find((f) => f.dialect === engine.dialect);
      if (!sample) continue;
      it(
        `${name}: empty → its script → no drift`,
        async () => {
          const loaded = await engine.freshDatabase();
          const empty = await engine.freshDatabase();
          try {
            const ddl = statements(readFileSync(join(SAMPLES_DIR, sample.file), "utf8"));
            await runScript(loaded.url, ddl.map((s) => `${s};`).join("\n"));
            // An empty SQLite database is a file that exists: the CLI never creates one to compare with.
            await runScript(empty.url, "SELECT 1;");
            const script = plinth(
              "schema",
              "diff",
              "--from",
              empty.url,
              "--to",
              loaded.url,
              "--sql",
              "--json",
            );
            expect(script.stderr).toBe("");
            expect(script.code).toBe(1);
            await runScript(empty.url, JSON.parse(script.stdout).up);
            const again = plinth("schema", "diff", "--from", loaded.url, "--to", empty.url, "--json");
            expect(JSON.parse(again.stdout).differences).toEqual([]);
            expect(again.code).toBe(0);
          } finally {
            await loaded.drop();
            await empty.drop();
          }
        },
        CLI_BUDGET,
      );
    }
  });
});
