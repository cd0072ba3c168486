/**
 * The road from `plinth up` without migrations to migrations: up reports drift instead of staying
 * silent (it never alters existing tables), refuses to run a first migration over existing tables,
 * and `migrate baseline` (or `up --baseline`) adopts the database. Rolling back everything asks for
 * --all. The engines' side of baseline is tested in test/migrate/runner.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, TempProject } from "../helpers/temp-project.js";

const v1 = `import { col, schema, table } from "plinth/schema";
export default schema({ note: table("note", { id: col.id(), body: col.text() }) });
`;
const v2 = `import { col, schema, table } from "plinth/schema";
export default schema({ note: table("note", { id: col.id(), body: col.text(), title: col.varchar(20).nullable() }) });
`;

describe("from plinth up without migrations to migrations", () => {
  let app: TempProject;
  beforeAll(() => {
    app = new TempProject("module");
    app.write("plinth.config.ts", 'export default { schema: "./schema.ts", database: "sqlite:./app.db" };\n');
  });
  afterAll(() => app.remove());

  it("up without migrations creates the tables, then reports a declaration that moved on as drift", () => {
    app.write("schema.ts", v1);
    expect(app.plinth(["up"]).code).toBe(0);
    app.write("schema.ts", v2);
    const r = app.plinth(["up"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/0 tables created, 1 already present/);
    expect(r.stderr).toMatch(
      /drift: the database differs from the declaration in 1 place\(s\):\n\s+missing column title on note/,
    );
    expect(r.stderr).toMatch(/never alters existing ones.*plinth migrate baseline/);
    expect(json(app.plinth(["up", "--json"])).drift).toEqual(["missing column title on note"]);
  });

  it("a first migration over existing tables is refused with the way out; baseline adopts the database", () => {
    app.write("schema.ts", v1);
    expect(app.plinth(["migrate", "make", "initial"]).code).toBe(0);
    const refused = app.plinth(["up"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /^plinth: error: the database has tables \(note\) but no migration history: adopt it with `plinth migrate baseline`/m,
    );
    const adopted = json(app.plinth(["migrate", "baseline", "--json"]));
    expect(adopted).toMatchObject({ baselined: ["0001_initial"], pending: [], current: ["0001_initial"] });
    const status = app.plinth(["migrate", "status"]);
    expect(status.stdout).toMatch(/applied\s+0001_initial\s+initial .*\(baselined\)/);
  });

  it("after the baseline, a change goes through a migration", () => {
    app.write("schema.ts", v2);
    expect(app.plinth(["migrate", "status"]).stdout).toMatch(
      /the declaration has changes no migration describes \(add column note\.title\)/,
    );
    expect(app.plinth(["migrate", "make", "add title"]).code).toBe(0);
    const up = json(app.plinth(["up", "--json"]));
    expect(up.migrations.applied.map((a: { id: string }) => a.id)).toEqual(["0002_add_title"]);
    expect(up.drift).toBeUndefined();
  });

  it("up --baseline adopts a database made without migrations and applies the rest in one go", () => {
    // Made the old way, from v1, with no migrations folder at all; then the project's migrations arrive.
    const bare = new TempProject("module");
    try {
      bare.write("v1.ts", v1);
      expect(bare.plinth(["up", "--schema", "v1.ts", "--db", "sqlite:./db.sqlite"]).code).toBe(0);
      bare.write("migrations/0001_initial.ts", app.read("migrations/0001_initial.ts"));
      bare.write("migrations/0002_add_title.ts", app.read("migrations/0002_add_title.ts"));
      const r = json(
        bare.plinth(["up", "--schema", "v1.ts", "--db", "sqlite:./db.sqlite", "--baseline", "--json"]),
      );
      expect(r.baseline).toEqual({ baselined: ["0001_initial"], pending: ["0002_add_title"] });
      expect(r.migrations.applied.map((a: { id: string }) => a.id)).toEqual(["0002_add_title"]);
    } finally {
      bare.remove();
    }
  });

  it("rolling back every migration takes --all; a number past the first is refused, changing nothing", () => {
    const tooFar = app.plinth(["migrate", "down", "5"]);
    expect(tooFar.code).toBe(1);
    expect(tooFar.stderr.trimEnd().split("\n").at(-1)).toBe(
      "plinth: error: `plinth migrate down 5`: only 2 are applied, so this rolls back every applied migration, down " +
        "to an empty database (the tables the migrations made are dropped, with their data); to do that, run " +
        "`plinth migrate down --all`",
    );
    expect(json(app.plinth(["migrate", "current", "--json"])).current).toEqual(["0002_add_title"]);
    expect(json(app.plinth(["migrate", "down", "--json"])).current).toEqual(["0001_initial"]);
    expect(app.plinth(["migrate", "down", "1"]).stderr).toMatch(
      /to do that, run `plinth migrate down --all`/,
    );
    const all = json(app.plinth(["migrate", "down", "--all", "--json"]));
    expect(all.applied.map((a: { id: string }) => a.id)).toEqual(["0001_initial"]);
    expect(all.current).toEqual([]);
  });
});
