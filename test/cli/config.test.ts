/**
 * Every command reads plinth.config.ts and .env from the current folder, with one precedence: a
 * flag wins over the environment (DATABASE_URL; the process's own over .env's), which wins over the
 * config. Mistakes in any of them are one line that says what to do.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TempProject } from "../helpers/temp-project.js";

/** Which SQLite file a read-only command chose: it names the file it refuses to create. */
const chosen = (stderr: string) => /no SQLite database at (\S+) \(nothing was created\)/.exec(stderr)?.[1];

describe("configuration precedence", () => {
  let app: TempProject;
  beforeAll(() => {
    app = new TempProject("module");
    app.write(
      "plinth.config.ts",
      `import { defineConfig } from "plinth";
export default defineConfig({ database: "sqlite:./from-config.db", migrations: "./db/migrations" });
`,
    );
    app.write("db/migrations/.keep", "");
  });
  afterAll(() => app.remove());

  it("uses the config's database, then .env's DATABASE_URL, then the environment's, then --db", () => {
    const status = (env: NodeJS.ProcessEnv = {}, ...flags: string[]) =>
      chosen(app.plinth(["migrate", "status", ...flags], env).stderr);
    expect(status()).toBe(app.path("from-config.db"));
    app.write(".env", "# local settings\nDATABASE_URL=sqlite:./from-dotenv.db\n");
    expect(status()).toBe(app.path("from-dotenv.db"));
    expect(status({ DATABASE_URL: "sqlite:./from-environment.db" })).toBe(app.path("from-environment.db"));
    expect(status({ DATABASE_URL: "sqlite:./from-environment.db" }, "--db", "sqlite:./from-flag.db")).toBe(
      app.path("from-flag.db"),
    );
    // None of them was created by a command that only reads.
    for (const f of ["from-config.db", "from-dotenv.db", "from-environment.db", "from-flag.db"])
      expect(app.exists(f), f).toBe(false);
  });

  it("migrates over PLINTH_DIRECT_URL when it is set (the database URL may reach a pooler); --db still wins", () => {
    const env = { DATABASE_URL: "sqlite:./through-pooler.db", PLINTH_DIRECT_URL: "sqlite:./direct.db" };
    expect(chosen(app.plinth(["migrate", "status"], env).stderr)).toBe(app.path("direct.db"));
    expect(chosen(app.plinth(["migrate", "status", "--db", "sqlite:./from-flag.db"], env).stderr)).toBe(
      app.path("from-flag.db"),
    );
  });

  it("names where a URL it cannot use came from, in one line", () => {
    const r = app.plinth(["migrate", "status"], { DATABASE_URL: "oracle://scott:tiger@db/x" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'plinth: error: unsupported database URL "oracle://scott:***@db/x": use sqlite:./file.db, sqlite::memory:, ' +
        "pglite:, postgres://user:password@host:5432/db or mysql://user:password@host:3306/db (from DATABASE_URL)\n",
    );
    const mysql = app.plinth(["migrate", "status", "--db", "mysql://app:pw@127.0.0.1:1/"]);
    expect(mysql.stderr).toBe(
      'plinth: error: "mysql://app:***@127.0.0.1:1/" names no database: add its name after the host, e.g. ' +
        "mysql://app:***@127.0.0.1:1/app (from --db)\n",
    );
    const sqlite = app.plinth(["migrate", "status", "--db", "sqlite://./x.db"]);
    expect(sqlite.stderr).toMatch(
      /^plinth: error: "sqlite:\/\/\.\/x\.db": write sqlite:\.\/x\.db for a file relative/,
    );
    expect(sqlite.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it("--config names another file; a config with a misspelt setting or no default export is refused", () => {
    app.write("other.config.mjs", 'export default { database: "sqlite:./other.db", schma: "./x.ts" };\n');
    const misspelt = app.plinth(["--config", "other.config.mjs", "migrate", "status"]);
    expect(misspelt.stderr).toBe(
      "plinth: error: other.config.mjs: unknown setting schma; known: database, schema, migrations, seed, connection, review\n",
    );
    app.write("bare.config.mjs", "export const database = 'sqlite:./x.db';\n");
    expect(app.plinth(["-c", "bare.config.mjs", "migrate", "status"]).stderr).toMatch(
      /^plinth: error: bare\.config\.mjs has no config as its default export; write `export default defineConfig\(\{ … \}\)`/,
    );
    expect(app.plinth(["--config", "missing.ts", "migrate", "status"]).stderr).toBe(
      "plinth: error: config file not found: missing.ts (from --config)\n",
    );
  });
});

describe("a folder without a config", () => {
  let empty: TempProject;
  beforeAll(() => {
    empty = new TempProject();
  });
  afterAll(() => empty.remove());

  it.each([
    [["up"], "pass --db <url>"],
    [["migrate", "status"], "pass --db <url>"],
    [["migrate", "make", "first"], "pass --schema <file> (or --blueprint <name>)"],
    [["schema", "sql", "--dialect", "sqlite"], "pass --schema <file> (or --blueprint <name>)"],
    [["review"], "pass --schema <file> (or --blueprint <name>)"],
  ])("%j says to run plinth init, in one line", (args, alternative) => {
    const r = empty.plinth(args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^plinth: error: no plinth\\.config\\.ts in .*: run \`npx plinth init\` to start a project here, or ${alternative.replace(/[()<>]/g, "\\$&")}`,
      ),
    );
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  });
});
