import { spawnSync } from "node:child_process";
import { sql } from "kysely";
import { connect } from "plinth";
import { afterAll, beforeAll, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { describeEngines } from "../engines/matrix.js";

/** The shipped CLI (bin/plinth.js over dist/); `npm test` builds dist first. */
function plinth(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

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
  });

  it("reports no drift for a database created from the declaration, and exits 0", () => {
    const r = plinth("schema", "diff", "--db", live, "blueprints/dns-filter/schema.ts");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/no drift/);
    expect(r.code).toBe(0);
  });

  it("names each drift and exits 1, and --sql prints a migration that removes it", async () => {
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

    const withSql = plinth(
      "schema",
      "diff",
      "--from",
      other,
      "--to",
      "blueprints/dns-filter/schema.ts",
      "--sql",
      "--json",
    );
    const { up, down } = JSON.parse(withSql.stdout);
    expect(up).toMatch(/drop column account\.nickname/);
    expect(up).toMatch(/CREATE INDEX .ix_realm_realm_value./);
    expect(down).toMatch(/add column account\.nickname/);
  });

  it("compares two live databases", () => {
    const r = plinth("schema", "diff", "--from", live, "--to", other);
    expect(r.code).toBe(1);
    // Read from the --from side: live lacks the column and still has the index.
    expect(r.stdout).toMatch(/missing column nickname on account/);
    expect(r.stdout).toMatch(/unexpected index ix_realm_realm_value on realm/);
  });
});
