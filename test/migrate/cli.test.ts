import { spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { connect } from "plinth";
import { loadMigrations, Migrator } from "plinth/migrate";
import { schema } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { MigrationFolder } from "../helpers/migration-folder.js";

/** The shipped CLI (bin/plinth.js over dist/), as a user runs it. `npm test` builds dist first. */
function plinth(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const json = (r: { stdout: string }) => JSON.parse(r.stdout);

const memberV1 = `import { col, schema, table } from "plinth/schema";
export default schema({ member: table("member", { id: col.id(), nick: col.varchar(20), score: col.integer().default(0) }) });
`;
const memberV2 = `import { col, schema, table } from "plinth/schema";
export default schema({ member: table("member", { id: col.id(), nickname: col.varchar(20), score: col.integer().default(0) }) });
`;
const squadV3 = `import { col, schema, table } from "plinth/schema";
export default schema({ squad: table("squad", { id: col.id(), nickname: col.varchar(20), score: col.integer().default(0) }) });
`;

/**
 * Each test runs the CLI several times (up to ten), and every run starts node and loads the schema
 * file: a few seconds each on a loaded 2-core machine, so each test gets this budget rather than the
 * default 60 s.
 */
const CLI_STEP_BUDGET = 180_000;

describe("plinth migrate (no database)", { timeout: CLI_STEP_BUDGET }, () => {
  let folder: MigrationFolder;
  beforeAll(() => {
    folder = new MigrationFolder();
  });
  afterAll(() => folder.remove());

  it("make writes a readable migration, and a second make says there is nothing to do", () => {
    const schemaFile = join(folder.root, "schema.ts");
    writeFileSync(schemaFile, memberV1);
    const made = plinth(
      "migrate",
      "make",
      "Create the member table!",
      "--schema",
      schemaFile,
      "--migrations",
      folder.dir,
    );
    expect(made.stderr).toBe("");
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(/wrote .*0001_create_the_member_table\.ts/);
    expect(made.stdout).toContain("  + create table member");
    const text = readFileSync(join(folder.dir, "0001_create_the_member_table.ts"), "utf8");
    expect(text).toContain('import { migration, op } from "plinth/migrate";');
    expect(text).toContain('id: "0001_create_the_member_table"');
    expect(text).toContain('description: "Create the member table!"');
    expect(text).toContain("parents: []");
    expect(text).toMatch(/op\.createTable\(/);
    expect(text).toContain(
      '{ name: "nick", key: "nick", type: { kind: "varchar", length: 20 }, nullable: false }',
    );

    const again = plinth("migrate", "make", "again", "--schema", schemaFile, "--migrations", folder.dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/^no changes/);
    expect(readdirSync(folder.dir)).toEqual(["0001_create_the_member_table.ts"]);
    expect(
      json(plinth("migrate", "make", "again", "--schema", schemaFile, "--migrations", folder.dir, "--json")),
    ).toEqual({
      file: null,
      id: null,
      operations: [],
      notes: [],
    });
  });

  it("make reports a drop and add that look like a rename, and --rename turns them into a rename", () => {
    const schemaFile = join(folder.root, "schema.ts");
    writeFileSync(schemaFile, memberV2);
    const guessed = json(
      plinth("migrate", "make", "rename", "--schema", schemaFile, "--migrations", folder.dir, "--json"),
    );
    expect(guessed.operations).toEqual(
      expect.arrayContaining(["add column member.nickname", "drop column member.nick"]),
    );
    expect(guessed.notes.join("\n")).toMatch(/--rename member\.nick=nickname/);
    unlinkSync(guessed.file);

    const renamed = plinth(
      "migrate",
      "make",
      "rename nick",
      "--schema",
      schemaFile,
      "--migrations",
      folder.dir,
      "--rename",
      "member.nick=nickname",
    );
    expect(renamed.code).toBe(0);
    expect(renamed.stdout).toContain("  + rename column member.nick to nickname\n");
    expect(renamed.stdout).not.toMatch(/drop column|note:/);
    const text = readFileSync(join(folder.dir, "0002_rename_nick.ts"), "utf8");
    expect(text).toContain('parents: ["0001_create_the_member_table"]');
    expect(text).toContain('op.renameColumn("member", "nick", "nickname")');

    const bad = plinth(
      "migrate",
      "make",
      "x",
      "--schema",
      schemaFile,
      "--migrations",
      folder.dir,
      "--rename",
      "nope=member",
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--rename nope=member: there is no table nope to rename/);
  });

  it.runIf(spawnSync("script", ["--version"]).status === 0)(
    "make asks on a terminal whether a suspected rename is one, and writes the rename on yes",
    () => {
      const scratch = new MigrationFolder();
      try {
        const schemaFile = join(scratch.root, "schema.ts");
        writeFileSync(schemaFile, memberV1);
        expect(
          plinth("migrate", "make", "member", "--schema", schemaFile, "--migrations", scratch.dir).code,
        ).toBe(0);
        writeFileSync(schemaFile, memberV2);
        // script(1) gives the CLI a pseudo-terminal, so stdin is a TTY; "y" answers the question.
        const command = `"${process.execPath}" bin/plinth.js migrate make renamed --schema "${schemaFile}" --migrations "${scratch.dir}"`;
        const r = spawnSync("script", ["-qec", command, "/dev/null"], {
          input: "y\n",
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1" },
          timeout: 60_000,
        });
        expect(r.stdout).toMatch(/Is member\.nick renamed to nickname\? Renaming keeps its data\. \[y\/N\]/);
        expect(r.stdout).toContain("+ rename column member.nick to nickname");
        expect(readFileSync(join(scratch.dir, "0002_renamed.ts"), "utf8")).toContain(
          'op.renameColumn("member", "nick", "nickname")',
        );
      } finally {
        scratch.remove();
      }
    },
  );

  // Known bug in src/migrate/writer.ts (not this suite's file): it has no argument order for
  // renameConstraint, so a table rename (which renames pk_<table>) is written as `op.renameConstraint()`.
  // Drop `.fails` once the writer renders it.
  it("make --rename of a table writes a migration that loads and renders", () => {
    const scratch = new MigrationFolder();
    try {
      const schemaFile = join(scratch.root, "schema.ts");
      writeFileSync(schemaFile, memberV2);
      expect(
        plinth("migrate", "make", "member", "--schema", schemaFile, "--migrations", scratch.dir).code,
      ).toBe(0);
      writeFileSync(schemaFile, squadV3);
      const made = json(
        plinth(
          "migrate",
          "make",
          "squad",
          "--schema",
          schemaFile,
          "--migrations",
          scratch.dir,
          "--rename",
          "member=squad",
          "--json",
        ),
      );
      expect(made.operations).toContain("rename table member to squad");
      const rendered = plinth(
        "migrate",
        "sql",
        "0002_squad",
        "--dialect",
        "postgres",
        "--migrations",
        scratch.dir,
      );
      expect(rendered.stderr).toBe("");
      expect(rendered.stdout).toContain('ALTER TABLE "member" RENAME TO "squad";');
    } finally {
      scratch.remove();
    }
  });

  it("heads, merge and sql work from the files alone, in text and JSON", () => {
    expect(plinth("migrate", "heads", "--migrations", folder.dir).stdout).toBe("0002_rename_nick\n");
    folder.handWritten("0003_a", ["0002_rename_nick"], "");
    folder.handWritten("0003_b", ["0002_rename_nick"], "");
    expect(json(plinth("migrate", "heads", "--migrations", folder.dir, "--json"))).toEqual({
      heads: ["0003_a", "0003_b"],
    });

    const schemaFile = join(folder.root, "schema.ts");
    const refused = plinth("migrate", "make", "more", "--schema", schemaFile, "--migrations", folder.dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/2 heads \(0003_a, 0003_b\); run `plinth migrate merge` first/);

    const merged = json(plinth("migrate", "merge", "--migrations", folder.dir, "--json"));
    expect(merged).toMatchObject({ id: "0004_merge", parents: ["0003_a", "0003_b"] });
    expect(readFileSync(merged.file, "utf8")).toContain('parents: ["0003_a", "0003_b"]');
    expect(plinth("migrate", "merge", "--migrations", folder.dir).stdout).toMatch(
      /nothing to merge: the migrations have one head \(0004_merge\)/,
    );

    const up = plinth(
      "migrate",
      "sql",
      "0002_rename_nick",
      "--dialect",
      "postgres",
      "--migrations",
      folder.dir,
    );
    expect(up.stdout).toMatch(/^-- 0002_rename_nick \(up\)\n\n-- rename column member\.nick to nickname\n/);
    expect(up.stdout).toContain('ALTER TABLE "member" RENAME COLUMN "nick" TO "nickname";');
    const down = plinth(
      "migrate",
      "sql",
      "0002_rename_nick",
      "--dialect",
      "mysql",
      "--down",
      "--migrations",
      folder.dir,
    );
    expect(down.stdout).toMatch(/^-- 0002_rename_nick \(down\)/);
    expect(down.stdout).toContain("ALTER TABLE `member` RENAME COLUMN `nickname` TO `nick`;");
    const asJson = json(
      plinth(
        "migrate",
        "sql",
        "0001_create_the_member_table",
        "--dialect",
        "sqlite",
        "--migrations",
        folder.dir,
        "--json",
      ),
    );
    expect(asJson).toMatchObject({ id: "0001_create_the_member_table", dialect: "sqlite", direction: "up" });
    expect(asJson.operations[0].steps[0].sql).toMatch(/^CREATE TABLE "member"/);
  });

  it.each([
    ["sqlite", ") STRICT;"],
    ["postgres", "timestamptz(3)"],
    ["mysql", "ENGINE=InnoDB"],
  ])("sql --dialect %s prints a blueprint migration without a database", (dialect, marker) => {
    const up = plinth("migrate", "sql", "0001_initial", "--blueprint", "dns-filter", "--dialect", dialect);
    expect(up.stderr).toBe("");
    expect(up.stdout.match(/CREATE TABLE/g)).toHaveLength(8);
    expect(up.stdout).toContain(marker);
    const down = plinth(
      "migrate",
      "sql",
      "0001_initial",
      "--blueprint",
      "dns-filter",
      "--dialect",
      dialect,
      "--down",
    );
    expect(down.stdout.match(/DROP TABLE/g)).toHaveLength(8);
  });

  it("explains bad folders and files in one line", () => {
    const missing = plinth(
      "migrate",
      "status",
      "--migrations",
      join(folder.root, "nope"),
      "--db",
      "sqlite::memory:",
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no migrations folder at .*nope; create one with `plinth migrate make`/);
    const broken = new MigrationFolder();
    try {
      broken.write("0001_broken.ts", "export default migration({ id: ;\n");
      const r = plinth("migrate", "heads", "--migrations", broken.dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/could not load migration .*0001_broken\.ts: /);
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      const unknown = plinth("migrate", "sql", "0009", "--dialect", "sqlite", "--migrations", folder.dir);
      expect(unknown.stderr).toMatch(/unknown migration "0009"/);
      const noDb = plinth("migrate", "status", "--migrations", folder.dir);
      expect(noDb.stderr).toMatch(
        /^plinth: error: no plinth\.config\.ts in .*: run `npx plinth init` to start a project here, or pass --db <url>/,
      );
    } finally {
      broken.remove();
    }
  });
});

describeEngines(
  "plinth migrate on a database",
  (engine) => {
    let folder: MigrationFolder;
    let url: string;
    let drop: () => Promise<void>;
    let pgliteDir: string | undefined;

    beforeAll(async () => {
      folder = new MigrationFolder();
      if (engine.name === "pglite") {
        // In-memory pglite lives in one process; the CLI runs in several, so keep it on disk.
        pgliteDir = mkdtempSync(join(tmpdir(), "plinth-pglite-"));
        url = `pglite:${pgliteDir}`;
        drop = async () => {};
      } else {
        ({ url, drop } = await engine.freshDatabase());
      }
    });
    afterAll(async () => {
      await drop();
      folder.remove();
      if (pgliteDir) rmSync(pgliteDir, { recursive: true, force: true });
    });

    // One story told in steps, each with its own time budget: every step runs the CLI a few times,
    // and on PGlite each run opens the database from disk.
    const schemaFile = () => join(folder.root, "schema.ts");
    const dbArgs = () => ["--migrations", folder.dir, "--db", url];

    it("make writes the first migration and up applies it", async () => {
      writeFileSync(schemaFile(), memberV1);
      expect(
        plinth("migrate", "make", "member", "--schema", schemaFile(), "--migrations", folder.dir).code,
      ).toBe(0);
      const first = plinth("migrate", "up", ...dbArgs());
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(
        /applied\s+0001_member \(\d+ ms\)\n1 migration applied; the database is at 0001_member/,
      );
      const db = await connect(url, schema({}));
      try {
        await sql`INSERT INTO member (nick, score) VALUES ('ann', 7)`.execute(db.kysely);
      } finally {
        await db.close();
      }
    });

    it("a rename made with --rename is pending, then applied with the data kept (--json)", async () => {
      writeFileSync(schemaFile(), memberV2);
      const made = plinth(
        "migrate",
        "make",
        "rename nick",
        "--schema",
        schemaFile(),
        "--migrations",
        folder.dir,
        "--rename",
        "member.nick=nickname",
      );
      expect(made.code).toBe(0);
      expect(
        json(plinth("migrate", "status", ...dbArgs(), "--json")).migrations.map((s: any) => s.state),
      ).toEqual(["applied", "pending"]);
      const up = json(plinth("migrate", "up", ...dbArgs(), "--json"));
      expect(up.applied.map((a: any) => a.id)).toEqual(["0002_rename_nick"]);
      expect(up.current).toEqual(["0002_rename_nick"]);
      const after = await connect(url, schema({}));
      try {
        const { rows } = await sql<{
          nickname: string;
          score: number;
        }>`SELECT nickname, score FROM member`.execute(after.kysely.withoutPlugins());
        expect(rows).toEqual([{ nickname: "ann", score: 7 }]);
      } finally {
        await after.close();
      }
    });

    it("status, history and current report both migrations, in text and --json", () => {
      const status = plinth("migrate", "status", ...dbArgs());
      expect(status.stdout).toMatch(/applied {2}0001_member\s+member .*\(\d+ ms\)/);
      expect(status.stdout).toMatch(/applied {2}0002_rename_nick {2}rename nick/);
      const history = json(plinth("migrate", "history", ...dbArgs(), "--json"));
      expect(history.map((h: any) => [h.id, h.status])).toEqual([
        ["0001_member", "applied"],
        ["0002_rename_nick", "applied"],
      ]);
      expect(plinth("migrate", "current", ...dbArgs()).stdout).toBe("0002_rename_nick\n");
      expect(json(plinth("migrate", "current", ...dbArgs(), "--json"))).toEqual({
        current: ["0002_rename_nick"],
      });
    });

    it("down rolls back one migration, and down all the rest", () => {
      const down = plinth("migrate", "down", ...dbArgs());
      expect(down.stdout).toMatch(/reverted\s+0002_rename_nick/);
      expect(down.stdout).toMatch(/1 migration rolled back; the database is at 0001_member/);
      expect(
        json(plinth("migrate", "down", "all", ...dbArgs(), "--json")).applied.map((a: any) => a.id),
      ).toEqual(["0001_member"]);
      expect(plinth("migrate", "current", ...dbArgs()).stdout).toBe("no migration applied\n");
    });

    it("prints where a failing migration stopped, exits 1, and --json carries the same report", () => {
      folder.handWritten(
        "0003_broken",
        ["0002_rename_nick"],
        `    op.sql("SELECT * FROM no_such_table", "SELECT 1"),`,
      );
      const dbArgs = ["--migrations", folder.dir, "--db", url];
      const text = plinth("migrate", "up", ...dbArgs);
      expect(text.code).toBe(1);
      expect(text.stderr).toMatch(/plinth: migration failed: 0003_broken \(up\) at step 1 of 1: run SQL/);
      expect(text.stderr).toMatch(/statement: SELECT \* FROM no_such_table/);
      expect(text.stderr).toMatch(/no_such_table/);
      const report = plinth("migrate", "up", ...dbArgs, "--json");
      expect(report.code).toBe(1);
      expect(json(report)).toMatchObject({
        applied: [],
        error: { id: "0003_broken", step: 1, statement: "SELECT * FROM no_such_table" },
      });
      unlinkSync(join(folder.dir, "0003_broken.ts"));
    });

    it.runIf(engine.name === "sqlite" || engine.name === "postgres")(
      "a runner killed in the middle of a migration leaves the database at the previous one, and up then completes",
      async () => {
        const killFolder = new MigrationFolder();
        const fresh = await engine.freshDatabase();
        try {
          killFolder.handWritten(
            "0001_item",
            [],
            `    op.sql("CREATE TABLE item (id INTEGER PRIMARY KEY, name VARCHAR(40) NOT NULL)", "DROP TABLE item"),`,
          );
          killFolder.handWritten(
            "0002_slow",
            ["0001_item"],
            `    op.sql("CREATE TABLE half_done (id INTEGER PRIMARY KEY)", "DROP TABLE half_done"),
    op.data(
      "insert, then wait to be killed",
      async ({ db }) => {
        await db.insertInto("item").values({ id: 1, name: "in flight" }).execute();
        if (process.env.PLINTH_TEST_SLOW) {
          console.log("PLINTH_TEST_WAITING");
          await new Promise((r) => setTimeout(r, 120_000));
        }
      },
      async ({ db }) => {
        await db.deleteFrom("item").where("id", "=", 1).execute();
      },
    ),`,
          );
          const child = spawn(
            process.execPath,
            ["bin/plinth.js", "migrate", "up", "--migrations", killFolder.dir, "--db", fresh.url],
            {
              env: { ...process.env, NO_COLOR: "1", PLINTH_TEST_SLOW: "1" },
            },
          );
          let stdout = "";
          const exited = new Promise<number | null>((resolve) =>
            child.on("exit", (_code, signal) => resolve(signal as any)),
          );
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
              () => reject(new Error(`the runner never reached the slow step: ${stdout}`)),
              50_000,
            );
            child.stdout.on("data", (chunk) => {
              stdout += chunk;
              if (stdout.includes("PLINTH_TEST_WAITING")) {
                clearTimeout(timer);
                resolve();
              }
            });
          });
          expect(stdout).toMatch(/applied\s+0001_item/);
          child.kill("SIGKILL");
          expect(await exited).toBe("SIGKILL");

          const db = await connect(fresh.url, schema({}));
          try {
            const m = new Migrator({
              db,
              migrations: await loadMigrations(killFolder.dir),
              lock: { timeoutMs: 30_000 },
            });
            expect((await m.history()).map((h) => h.id)).toEqual(["0001_item"]);
            const tables = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM item`.execute(db.kysely);
            expect(Number(tables.rows[0]!.n)).toBe(0);
            await expect(sql`SELECT * FROM half_done`.execute(db.kysely)).rejects.toThrow();

            const resumed = await m.up();
            expect(resumed.error).toBeUndefined();
            expect(resumed.applied.map((a) => a.id)).toEqual(["0002_slow"]);
            const rows = await sql<{ name: string }>`SELECT name FROM item`.execute(db.kysely);
            expect(rows.rows).toEqual([{ name: "in flight" }]);
            expect((await m.history()).map((h) => h.id)).toEqual(["0001_item", "0002_slow"]);
          } finally {
            await db.close();
          }
        } finally {
          await fresh.drop();
          killFolder.remove();
        }
      },
    );
  },
  { timeout: CLI_STEP_BUDGET },
);

describe("plinth up with migrations", () => {
  it("--migrations pointing nowhere is an error, not a silent createSchema", () => {
    const r = plinth(
      "up",
      "--schema",
      "blueprints/dns-filter/schema.ts",
      "--db",
      "sqlite::memory:",
      "--migrations",
      "nope",
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no migrations folder at .*nope/);
    expect(existsSync("nope")).toBe(false);
  });
});
