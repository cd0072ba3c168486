/**
 * `plinth init` and the first `plinth up` in a fresh CommonJS project (what `npm init -y` makes):
 * the config, the starter schema and its first migration, the seed, .env and npm scripts; nothing
 * overwritten without --force; up applies the migration, guards the audit table and seeds through
 * the audit trail.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, TempProject } from "../helpers/temp-project.js";

describe("plinth init, then plinth up", () => {
  let app: TempProject;
  beforeAll(() => {
    app = new TempProject("commonjs");
  });
  afterAll(() => app.remove());

  it("writes the config, a starter schema with its first migration, a seed, .env, .gitignore and npm scripts", () => {
    app.write(".gitignore", "node_modules/\n");
    const r = app.plinth(["init", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = json(r);
    expect(out.written).toEqual([
      "plinth.config.ts",
      "db/schema.ts",
      "db/seed.ts",
      "db/migrations/0001_initial.ts",
      ".env",
      ".gitignore",
    ]);
    expect(out.next).toEqual(["npx plinth up"]);
    expect(app.read("plinth.config.ts")).toMatch(/database: "sqlite:\.\/data\/app\.db"/);
    expect(app.read("plinth.config.ts")).toMatch(/schema: "\.\/db\/schema\.ts"/);
    expect(app.read("plinth.config.ts")).toMatch(/review: \{/);
    // One audited, soft-deleted, versioned table, and the audit table it records into.
    const schema = app.read("db/schema.ts");
    for (const part of ["audit: true", "...softDelete()", "...version()", "auditLog: auditLog()"])
      expect(schema).toContain(part);
    expect(app.read("db/migrations/0001_initial.ts")).toMatch(/name: "note"[\s\S]*name: "plinth_audit_log"/);
    expect(app.read(".env")).toBe("DATABASE_URL=sqlite:./data/app.db\n");
    expect(app.read(".gitignore")).toBe("node_modules/\n.env\n/data/\n");
    expect(JSON.parse(app.read("package.json")).scripts).toEqual({
      "db:up": "plinth up",
      "db:make": "plinth migrate make",
      "db:status": "plinth migrate status",
      "db:review": "plinth review",
    });
  });

  it("refuses to run again without --force, changing nothing; --force rewrites what it owns", () => {
    app.write("db/schema.ts", "// mine\n");
    const again = app.plinth(["init"]);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      "plinth: error: plinth.config.ts, db/schema.ts, db/seed.ts exist already; nothing was written " +
        "(`plinth init --force` overwrites them)\n",
    );
    expect(app.read("db/schema.ts")).toBe("// mine\n");
    const forced = app.plinth(["init", "--force", "--json"]);
    expect(forced.code).toBe(0);
    // Migrations already in the folder are never replaced, and .env and .gitignore keep their lines.
    expect(json(forced).written).toEqual(["plinth.config.ts", "db/schema.ts", "db/seed.ts"]);
    expect(json(forced).notes).toEqual([
      "db/migrations holds migrations already: no first migration written",
    ]);
    expect(app.read("db/schema.ts")).toContain("audit: true");
    expect(app.read(".env")).toBe("DATABASE_URL=sqlite:./data/app.db\n");
  });

  it("up creates the database from the migrations, guards the audit table and seeds through the audit trail", () => {
    const first = app.plinth(["up"]);
    expect(first.stderr).not.toMatch(/^plinth: /m);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/applied\s+0001_initial/);
    expect(first.stdout).toMatch(/guarded\s+plinth_audit_log is append-only/);
    expect(first.stdout).toMatch(/seeded\s+note Welcome/);
    const sqlite = new Database(app.path("data/app.db"), { readonly: true });
    try {
      expect(sqlite.prepare("SELECT title, version FROM note").all()).toEqual([
        { title: "Welcome", version: 1 },
      ]);
      expect(
        sqlite.prepare("SELECT table_name, row_id, action, actor_id, actor_name FROM plinth_audit_log").all(),
      ).toEqual([
        {
          table_name: "note",
          row_id: "1",
          action: "create",
          actor_id: "plinth:seed",
          actor_name: "plinth up (seed db/seed.ts)",
        },
      ]);
    } finally {
      sqlite.close();
    }
    const second = json(app.plinth(["up", "--json"]));
    expect(second.migrations).toEqual({ applied: [], current: ["0001_initial"] });
    expect(second.seed).toEqual([]);
  });
});
