/**
 * `plinth prune` as a user runs it (bin/plinth.js over dist/): a dry run that changes nothing, a
 * progress bar on a terminal, an archived prune, and `plinth partitions` on each engine.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Db } from "plinth";
import { connect } from "plinth";
import { ensurePartitions } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

// The same declaration twice: here for seeding, and as a file for the CLI to load.
const SOURCE = `import { col, schema, table } from "plinth/schema";
export default schema({
  jobEvent: table(
    "job_event",
    { id: col.bigId(), line: col.varchar(200), createdAt: col.timestamp().defaultNow() },
    {
      primaryKey: ["id", "createdAt"],
      partition: { by: "createdAt", interval: "month" },
      retention: { days: 30, column: "createdAt" },
    },
  ),
});
`;
const jobEvent = table(
  "job_event",
  { id: col.bigId(), line: col.varchar(200), createdAt: col.timestamp().defaultNow() },
  {
    primaryKey: ["id", "createdAt"],
    partition: { by: "createdAt", interval: "month" },
    retention: { days: 30, column: "createdAt" },
  },
);
const declared = schema({ jobEvent });

const scratch = mkdtempSync(join(process.cwd(), ".prune-"));
const schemaFile = join(scratch, "schema.ts");
writeFileSync(schemaFile, SOURCE);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function plinth(...args: string[]) {
  const r = spawnSync(process.execPath, ["bin/plinth.js", ...args], {
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const HAS_SCRIPT = spawnSync("script", ["--version"]).status === 0;
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const DAY = 86_400_000;

describeEngines("plinth prune", (engine) => {
  if (engine.name === "pglite") {
    it.skip("pglite lives inside one process: a CLI in another process cannot reach it (PostgreSQL is covered by the server engine)", () => {});
    return;
  }
  let url = "";
  let drop: () => Promise<void>;
  let db: Db<typeof declared>;
  beforeAll(async () => {
    ({ url, drop } = await engine.freshDatabase());
    db = await connect(url, declared, { retry: { attempts: 1 } });
    await db.createSchema();
    // This month's partition first (where the engine partitions), as a deployment would have it.
    await ensurePartitions(db, { ahead: 0 });
    // 40 rows a day old … 40 days old: 10 are past the 30-day retention.
    const now = Date.now();
    await db.kysely
      .insertInto("job_event")
      .values(
        Array.from({ length: 40 }, (_, i) => ({ line: `l${i}`, createdAt: new Date(now - (i + 0.5) * DAY) })),
      )
      .execute();
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
  const count = async () =>
    Number(
      (
        await db.kysely
          .selectFrom("job_event")
          .select((eb) => eb.fn.countAll().as("n"))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const run = (...args: string[]) => plinth(...args, "--schema", schemaFile, "--db", url, "--attempts", "1");

  it("partitions: creates months ahead where the engine partitions, says so where it does not", () => {
    const r = run("partitions", "--ahead", "1", "--json");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    // This month's exists already: only next month's is new.
    if (out.supported) expect(out.tables[0].created).toHaveLength(1);
    else expect(out.tables).toEqual([]);
    const text = run("partitions", "--ahead", "1");
    expect(text.stdout).toMatch(
      out.supported ? /job_event \(by created_at\): nothing to create/ : /no native partitions/,
    );
  });

  it("--dry-run prints the count and deletes nothing", async () => {
    const r = run("prune", "--dry-run");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would delete 10 rows of job_event \(created_at before .*, 30 days\)/);
    expect(await count()).toBe(40);
  });

  it.skipIf(!HAS_SCRIPT)("archives, verifies and deletes, with a progress bar on a terminal", async () => {
    const archive = join(scratch, `archive-${engine.name}`);
    const args = [
      "bin/plinth.js",
      "prune",
      "--archive",
      archive,
      "--batch",
      "3",
      "--schema",
      schemaFile,
      "--db",
      url,
    ];
    const r = spawnSync(
      "script",
      ["-qec", [process.execPath, ...args].map(shellQuote).join(" "), "/dev/null"],
      {
        encoding: "utf8",
        env: { ...process.env, NO_COLOR: "1" },
      },
    );
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/pruning job_event .* 10\/10 rows/);
    expect(r.stdout).toMatch(/pruned 10 rows of job_event/);
    expect(await count()).toBe(30);
    const files = readdirSync(archive, { recursive: true, encoding: "utf8" }).filter((f) =>
      f.endsWith(".jsonl.gz"),
    );
    expect(files).toHaveLength(4);
  });
});
