/**
 * plinth works from CommonJS and ESM projects, in TypeScript and in plain JavaScript: every entry
 * point can be required and imported, and the CLI loads schemas, seeds and configs however they
 * were compiled (TypeScript's `export default` in a CommonJS project arrives as `default.default`).
 * A user's module gets the very plinth instance the CLI runs on, so an audit context it opens is
 * the one the audit trail reads.
 */
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { json, TempProject } from "../helpers/temp-project.js";

const ENTRY_POINTS = ["plinth", "plinth/schema", "plinth/migrate", "plinth/security", "plinth/review"];

const TS_SCHEMA = `import { auditLog } from "plinth";
import { col, schema, table } from "plinth/schema";
export const note = table("note", { id: col.id(), title: col.varchar(80) }, { audit: true });
export default schema({ note, auditLog: auditLog() });
`;

describe("a CommonJS project (npm init -y)", () => {
  let app: TempProject;
  beforeAll(() => {
    app = new TempProject("commonjs");
  });
  afterAll(() => app.remove());

  it("requires every entry point, without warnings", () => {
    const r = app.node([
      "-e",
      `const names = ${JSON.stringify(ENTRY_POINTS)}.map((n) => Object.keys(require(n)).length);
       console.log(JSON.stringify(names));`,
    ]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).every((n: number) => n > 0)).toBe(true);
  });

  it("loads a TypeScript schema compiled to CommonJS, and plain JavaScript ones", () => {
    app.write("schema.ts", TS_SCHEMA);
    app.write(
      "schema.js",
      `const { col, schema, table } = require("plinth/schema");
module.exports = schema({ note: table("note", { id: col.id(), title: col.varchar(80) }) });
`,
    );
    app.write(
      "named.cjs",
      `const { col, schema, table } = require("plinth/schema");
exports.appSchema = schema({ note: table("note", { id: col.id(), title: col.varchar(80) }) });
`,
    );
    for (const file of ["schema.ts", "schema.js", "named.cjs"]) {
      const r = app.plinth(["schema", "sql", "--dialect", "sqlite", "--schema", file]);
      expect(r.stderr, file).toBe("");
      expect(r.stdout, file).toMatch(/CREATE TABLE "note"/);
    }
  });

  it("a seed's own withAuditContext reaches the CLI's audit trail: one plinth instance", () => {
    seedThroughOwnContext(app);
  });
});

describe("an ESM project", () => {
  let app: TempProject;
  beforeAll(() => {
    app = new TempProject("module");
  });
  afterAll(() => app.remove());

  it("imports every entry point", () => {
    const r = app.node([
      "--input-type=module",
      "-e",
      `const names = await Promise.all(${JSON.stringify(ENTRY_POINTS)}.map(async (n) => Object.keys(await import(n)).length));
       console.log(JSON.stringify(names));`,
    ]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout).every((n: number) => n > 0)).toBe(true);
  });

  it("loads TypeScript and plain JavaScript schemas, and a JavaScript config", () => {
    app.write("db/schema.ts", TS_SCHEMA);
    app.write(
      "db/plain.js",
      `import { col, schema, table } from "plinth/schema";
export default schema({ note: table("note", { id: col.id(), title: col.varchar(80) }) });
`,
    );
    app.write("plinth.config.js", `export default { schema: "./db/plain.js" };\n`);
    const configured = app.plinth(["schema", "sql", "--dialect", "postgres"]);
    expect(configured.stderr).toBe("");
    expect(configured.stdout).toMatch(/CREATE TABLE "note"/);
    expect(configured.stdout).not.toMatch(/plinth_audit_log/);
    const flagged = app.plinth(["schema", "sql", "--dialect", "postgres", "--schema", "db/schema.ts"]);
    expect(flagged.stdout).toMatch(/CREATE TABLE "plinth_audit_log"/);
  });

  it("a seed's own withAuditContext reaches the CLI's audit trail here too", () => {
    seedThroughOwnContext(app);
  });
});

/**
 * Runs `plinth up` with a seed that opens its own audit context and transaction with the plinth it
 * imports: the audit row names its actor only if that plinth is the CLI's own.
 */
function seedThroughOwnContext(app: TempProject): void {
  app.write("schema.ts", TS_SCHEMA);
  app.write(
    "seed.ts",
    `import { withAuditContext } from "plinth";
import type { Db } from "plinth";
export async function seed(db: Db<any>) {
  if (await db.repo("note").exists({ title: "first" })) return [];
  await withAuditContext({ actor: { id: "ops-7", name: "ops" } }, () =>
    db.transaction(() => db.repo("note").create({ title: "first" })),
  );
  return ["note first"];
}
`,
  );
  const r = app.plinth([
    "up",
    "--schema",
    "schema.ts",
    "--db",
    "sqlite:./app.db",
    "--seed",
    "seed.ts",
    "--json",
  ]);
  expect(r.stderr).not.toMatch(/^plinth: /m);
  expect(json(r).seed).toEqual(["note first"]);
  const sqlite = new Database(app.path("app.db"), { readonly: true });
  try {
    expect(sqlite.prepare("SELECT action, actor_id, actor_name FROM plinth_audit_log").all()).toEqual([
      { action: "create", actor_id: "ops-7", actor_name: "ops" },
    ]);
  } finally {
    sqlite.close();
  }
}
