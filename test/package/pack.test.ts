/**
 * The package is publishable: the tarball `npm pack` makes holds the compiled code with its types,
 * the CLI and the blueprints (without their tests), and a fresh project that installs it, CommonJS
 * or ESM, gets a working database from `npx plinth init && npx plinth up` on embedded SQLite.
 * Needs dist/ (`npm run build`, which `npm test` does first).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Packed, pack, packedProject } from "../helpers/packed.js";
import { PACKAGE_ROOT, type TempProject } from "../helpers/temp-project.js";

const manifest = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};
const blueprints = readdirSync(join(PACKAGE_ROOT, "blueprints"), { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/** Every file package.json points at: bins and each export condition's target. */
const pointedAt = [
  ...Object.values(manifest.bin),
  ...Object.values(manifest.exports).flatMap((e) => (typeof e === "string" ? [e] : Object.values(e))),
].map((p) => p.replace(/^\.\//, ""));

let packed: Packed;
beforeAll(() => {
  packed = pack();
}, 120_000);
afterAll(() => packed?.remove());

describe("npm pack", () => {
  it("holds every file package.json points at: each export's JS and .d.ts, and the CLI", () => {
    expect(pointedAt).toEqual(expect.arrayContaining(["bin/plinth.js", "dist/index.js", "dist/index.d.ts"]));
    expect(pointedAt.filter((f) => !packed.files.includes(f))).toEqual([]);
    expect(packed.files).toContain("dist/cli/main.js");
  });

  it("holds every blueprint's schema, seed, migrations and README, but not its tests", () => {
    expect(blueprints.length).toBeGreaterThan(0);
    for (const name of blueprints) {
      for (const file of ["schema.ts", "seed.ts", "README.md"])
        expect(packed.files).toContain(`blueprints/${name}/${file}`);
      expect(packed.files.some((f) => f.startsWith(`blueprints/${name}/migrations/`))).toBe(true);
    }
    expect(packed.files.filter((f) => /^blueprints\/[^/]+\/tests\//.test(f))).toEqual([]);
  });

  it("holds no sources, tests or local state", () => {
    expect(packed.files.filter((f) => /^(src|test|scratch|data|bench|node_modules)\//.test(f))).toEqual([]);
  });
});

describe.each(["commonjs", "module"] as const)("installed into a fresh %s project", (type) => {
  let app: TempProject;
  beforeAll(() => {
    app = packedProject(packed.tarball, type);
  }, 120_000);
  afterAll(() => app?.remove());

  it("the package is the tarball's, not a link to this repository", () => {
    expect(JSON.parse(app.read("package.json")).type ?? "commonjs").toBe(type);
    expect(app.exists("node_modules/plinth/dist/index.js")).toBe(true);
    expect(app.exists("node_modules/plinth/src")).toBe(false);
  });

  it("npx plinth init && npx plinth up makes the database: migration applied, audit table guarded, seed written", () => {
    const r = app.shell("npx plinth init && npx plinth up");
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1 migration applied; the database is at 0001_initial \(sqlite\)/);
    expect(r.stdout).toMatch(/guarded\s+plinth_audit_log is append-only/);
    const db = new Database(app.path("data/app.db"), { readonly: true });
    try {
      expect(db.prepare("SELECT title FROM note").all()).toEqual([{ title: "Welcome" }]);
      // The seed went through the audit trail.
      expect(db.prepare("SELECT table_name, action FROM plinth_audit_log").all()).toEqual([
        { table_name: "note", action: "create" },
      ]);
    } finally {
      db.close();
    }
  }, 120_000);

  it("the project's own code loads plinth in its module format", () => {
    const code =
      type === "module"
        ? `import { connect } from "plinth"; import { col } from "plinth/schema"; console.log(typeof connect, typeof col.id);`
        : `const { connect } = require("plinth"); const { col } = require("plinth/schema"); console.log(typeof connect, typeof col.id);`;
    app.write("check.js", code);
    const r = app.node(["check.js"]);
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("function function");
  });
});
