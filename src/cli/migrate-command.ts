import { relative } from "node:path";
import { Command, Option } from "commander";
import pc from "picocolors";
import { ENCRYPTION_KEYS_VARIABLE, generateEncryptionKey } from "../crypto/encryption.js";
import type { Db } from "../data/index.js";
import { PlinthError } from "../errors.js";
import type {
  LoadedMigration,
  MigrationFailure,
  MigrationResult,
  Migrator,
  StatusReport,
} from "../migrate/index.js";
import {
  describeOperation,
  formatFinding,
  lintMigration,
  loadMigrations,
  MigrationGraph,
  migration,
  planDown,
  planToSql,
  planUp,
} from "../migrate/index.js";
import type { VerifyReport } from "../migrate/verify.js";
import { verifyMigrations } from "../migrate/verify.js";
import type { Dialect, Schema } from "../schema/index.js";
import { DIALECTS } from "../schema/index.js";
import { blueprintSchemaFile, CliError, loadSchema } from "./load.js";
import type { MigrateOptions } from "./migrate-context.js";
import {
  connectFor,
  databaseUrl,
  loadFolder,
  logger,
  migrationsDir,
  migratorFor,
  redactUrl,
} from "./migrate-context.js";
import {
  confirmRenames,
  detect,
  loadOrCreate,
  nextNumber,
  parseRenames,
  singleHead,
  slug,
  suggestedRenames,
  writeMigration,
} from "./migrate-make.js";
import { withScratchDatabases } from "./scratch.js";

/**
 * `plinth migrate …`: make migrations from the declaration, apply and roll them back, and inspect
 * where a database stands. Every command takes --json; errors a user can cause are one line.
 */
export function migrateCommand(): Command {
  const migrate = new Command("migrate").description("make, apply and roll back schema migrations");

  folder(migrate.command("make"))
    .description("write a migration that brings the migrations up to the schema declaration")
    .argument("<description>", 'what the migration does, e.g. "add phone to account"')
    .option(
      "--rename <from=to>",
      "a rename, not a drop and add: table.old_column=new_column or old_table=new_table",
      collect,
      [],
    )
    .option("-s, --schema <file>", "your schema module (TypeScript or JavaScript)")
    .option("--empty", "write a migration with no operations, to fill in by hand (data steps, raw SQL)")
    .action((description: string, o: MakeOptions) => make(description, o));

  folder(migrate.command("merge"))
    .description("write a migration whose parents are all heads, joining branches")
    .action((o: MigrateOptions) => merge(o));

  folder(migrate.command("sql"))
    .description("print the SQL a migration runs on one engine (no database needed)")
    .argument("<id>", "migration id")
    .addOption(new Option("-d, --dialect <dialect>", "target engine").choices(DIALECTS).makeOptionMandatory())
    .option("--down", "the rollback instead")
    .action((id: string, o: SqlOptions) => showSql(id, o));

  folder(migrate.command("verify"))
    .description(
      "prove every migration on scratch databases: up, compare, down, compare, up again; plus structure and lint",
    )
    .option(
      "-s, --schema <file>",
      "the declaration the migrations must end at (a blueprint's own by default)",
    )
    .option(
      "--postgres <url>",
      "also verify on this PostgreSQL server (a scratch database is created and dropped)",
    )
    .option(
      "--mysql <url>",
      "also verify on this MySQL/MariaDB server (a scratch database is created and dropped)",
    )
    .option("--no-pglite", "skip the in-process PostgreSQL (PGlite)")
    .action((o: VerifyCommandOptions) => verify(o));

  folder(migrate.command("heads"))
    .description("list the migrations nothing builds on yet (more than one: run merge)")
    .action((o: MigrateOptions) => heads(o));

  database(folder(migrate.command("up")))
    .description("apply pending migrations, up to the head or to <target>")
    .argument("[target]", "migration id to stop at (it and its ancestors are applied)")
    .option("--force", "accept applied migrations whose files were edited since")
    .action((target: string | undefined, o: MigrateOptions) =>
      run(o, (m) => m.up(target, { force: o.force })),
    );

  database(folder(migrate.command("down")))
    .description("roll back the last migration, <n> migrations, or back to <target>")
    .argument("[steps|target]", 'a number of migrations (default 1), "all", or the migration id to return to')
    .option("--force", "accept applied migrations whose files were edited since")
    .action((arg: string | undefined, o: MigrateOptions) =>
      run(o, (m) => m.down(downArgument(arg, m), { force: o.force })),
    );

  database(folder(migrate.command("status")))
    .description("list every migration as applied, pending or partial, and edited or unknown ones")
    .action((o: MigrateOptions) => status(o));

  database(folder(migrate.command("history")))
    .description("list the migrations the database has applied, oldest first")
    .action((o: MigrateOptions) => history(o));

  database(folder(migrate.command("current")))
    .description("print the migration(s) the database is at")
    .action((o: MigrateOptions) => current(o));

  return migrate;
}

interface MakeOptions extends MigrateOptions {
  rename: string[];
  empty?: boolean;
}

interface SqlOptions extends MigrateOptions {
  dialect: Dialect;
  down?: boolean;
}

function folder(c: Command): Command {
  return c
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth: its schema and migrations folder")
    .option("--migrations <dir>", "migrations folder (default ./migrations, or the blueprint's)")
    .option("--json", "print the result as JSON");
}

function database(c: Command): Command {
  return c
    .option("--db <url>", "database URL (default for a blueprint: sqlite:./data/<name>.db)")
    .option("--attempts <n>", "connection attempts before giving up", "5")
    .option("--retry-delay <ms>", "milliseconds between connection attempts", "5000");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function print(o: MigrateOptions, json: unknown, text: () => string | string[]): void {
  if (o.json) {
    console.log(JSON.stringify(json, null, 2));
    return;
  }
  const out = text();
  const lines = Array.isArray(out) ? out : [out];
  if (lines.length > 0) console.log(lines.join("\n"));
}

async function make(description: string, o: MakeOptions): Promise<void> {
  if (Boolean(o.blueprint) === Boolean(o.schema))
    throw new CliError("give exactly one of --blueprint <name> or --schema <file>");
  const declared = await loadSchema(o.blueprint ? blueprintSchemaFile(o.blueprint) : o.schema!);
  const dir = migrationsDir(o);
  const loaded = await loadOrCreate(dir);
  const graph = graphOf(loaded);
  const head = singleHead(graph);
  const before = graph.stateAt(graph.order().map((m) => m.id));
  let specs = o.rename;
  let detected = o.empty
    ? { operations: [], notes: [] }
    : detect(before, declared.model, parseRenames(specs));
  // A drop and an add that look like a rename: ask, when someone is there to answer.
  const suspected = suggestedRenames(detected.notes).filter((s) => !specs.includes(s));
  if (suspected.length > 0 && process.stdin.isTTY && !o.json) {
    const confirmed = await confirmRenames(suspected);
    if (confirmed.length > 0) {
      specs = [...specs, ...confirmed];
      detected = detect(before, declared.model, parseRenames(specs));
    }
  }
  if (!o.empty && detected.operations.length === 0) {
    print(
      o,
      { file: null, id: null, operations: [], notes: detected.notes },
      () => "no changes: the migrations already match the declaration",
    );
    return;
  }
  const id = `${nextNumber(loaded)}_${slug(description)}`;
  const file = writeMigration(
    dir,
    { id, description, parents: head ? [head] : [], operations: detected.operations },
    detected.notes,
  );
  const operations = detected.operations.map(describeOperation);
  const lint = lintMigration(
    migration({ id, description, parents: head ? [head] : [], operations: detected.operations }),
    before,
  );
  print(o, { file, id, parents: head ? [head] : [], operations, notes: detected.notes, lint }, () => [
    `${pc.green("wrote")} ${relative(process.cwd(), file)}`,
    ...(operations.length > 0 ? operations.map((d) => `  + ${d}`) : ["  (no operations: add them by hand)"]),
    ...detected.notes.map((n) => `${pc.yellow("note:")} ${n}`),
    ...lint.map((f) => `${pc.yellow("lint:")} ${formatFinding(f)}`),
  ]);
}

async function merge(o: MigrateOptions): Promise<void> {
  const dir = migrationsDir(o);
  const loaded = await loadMigrations(dir);
  const graph = graphOf(loaded);
  const heads = graph.heads;
  if (heads.length < 2) {
    print(
      o,
      { file: null, heads },
      () => `nothing to merge: the migrations have one head (${heads.join(", ") || "none"})`,
    );
    return;
  }
  // The branches must replay one after the other; stateAt names the migration where they clash.
  graph.stateAt(graph.order().map((m) => m.id));
  const id = `${nextNumber(loaded)}_merge`;
  const file = writeMigration(
    dir,
    { id, description: `merge ${heads.join(" and ")}`, parents: heads, operations: [] },
    [],
  );
  print(
    o,
    { file, id, parents: heads },
    () => `${pc.green("wrote")} ${relative(process.cwd(), file)} (parents ${heads.join(", ")})`,
  );
}

async function showSql(id: string, o: SqlOptions): Promise<void> {
  const graph = graphOf(await loadFolder(o));
  const m = graph.get(id);
  const before = graph.stateAt(graph.ancestorsOf(id));
  let plan: ReturnType<typeof planUp>;
  try {
    plan = o.down ? planDown(m, before, o.dialect) : planUp(m, before, o.dialect);
  } catch (error) {
    // Only the user's mistakes get the id prefix; anything else is a bug and keeps its stack.
    if (!(error instanceof PlinthError)) throw error;
    throw new CliError(`${id}: ${error.message}`, { cause: error });
  }
  if (o.json) {
    const operations = plan.operations.map((p) => ({
      description: p.description,
      steps: p.steps.map((s) => ("run" in s ? { data: s.description } : s)),
    }));
    console.log(JSON.stringify({ id, dialect: o.dialect, direction: plan.direction, operations }, null, 2));
    return;
  }
  process.stdout.write(planToSql(plan));
}

async function heads(o: MigrateOptions): Promise<void> {
  const graph = graphOf(await loadFolder(o));
  print(o, { heads: graph.heads }, () => graph.heads);
}

/** Connects, runs `fn` with a Migrator over the folder's migrations, and closes. */
async function withMigrator<T>(
  o: MigrateOptions,
  fn: (m: Migrator, db: Db<Schema>) => Promise<T>,
): Promise<T> {
  databaseUrl(o); // a bad --db is reported before the migrations folder is read
  const loaded = await loadFolder(o);
  const db = await connectFor(o);
  try {
    return await fn(migratorFor(db, loaded, o), db);
  } finally {
    await db.close();
  }
}

async function run(o: MigrateOptions, fn: (m: Migrator) => Promise<MigrationResult>): Promise<void> {
  await withMigrator(o, async (m, db) => {
    const result = await fn(m);
    const at = await m.current();
    print(o, { database: redactUrl(databaseUrl(o)), engine: db.engine, ...result, current: at }, () => {
      const n = result.applied.length;
      const what = result.applied[0]?.direction === "down" ? "rolled back" : "applied";
      const where = `the database is at ${at.join(", ") || "no migration"}`;
      if (n === 0 && !result.error) return `nothing to do: ${where}`;
      return `${n} migration${n === 1 ? "" : "s"} ${what}; ${where}`;
    });
    if (result.accepted && !o.json)
      console.error(pc.yellow(`accepted edited migration(s): ${result.accepted.join(", ")}`));
    if (result.error) {
      if (!o.json) console.error(failureText(result.error));
      process.exitCode = 1;
    }
  });
}

export function failureText(f: MigrationFailure): string {
  const where = f.step > 0 ? `step ${f.step} of ${f.steps}` : "planning";
  return [
    `${pc.red("plinth: migration failed:")} ${f.id} (${f.direction}) at ${where}: ${f.operation}`,
    ...(f.statement ? [`  statement: ${f.statement}`] : []),
    `  error:     ${f.message}`,
    `  ${f.resume}`,
  ].join("\n");
}

function downArgument(arg: string | undefined, m: Migrator): number | string {
  if (arg === undefined) return 1;
  if (m.graph.has(arg)) return arg;
  if (arg === "all") return Number.POSITIVE_INFINITY;
  if (/^\d+$/.test(arg)) return Number(arg);
  return arg;
}

async function status(o: MigrateOptions): Promise<void> {
  await withMigrator(o, async (m) => {
    const report = await m.status();
    print(o, report, () => statusText(report));
  });
}

function statusText(r: StatusReport): string[] {
  const width = Math.max(0, ...r.migrations.map((s) => s.id.length));
  const lines = r.migrations.map((s) => {
    const colour = s.state === "applied" ? pc.green : s.state === "pending" ? pc.yellow : pc.red;
    const when = s.appliedAt
      ? pc.dim(` ${s.appliedAt.toISOString()}${s.durationMs != null ? ` (${s.durationMs} ms)` : ""}`)
      : "";
    const partial = s.partial
      ? pc.red(
          ` ${s.partial.direction} stopped after ${s.partial.stepsDone} steps: run plinth migrate ${s.partial.direction}`,
        )
      : "";
    const edited = s.checksumMismatch ? pc.red(" EDITED since applied (--force accepts it)") : "";
    return `${colour(s.state)}  ${s.id.padEnd(width)}  ${s.description}${when}${partial}${edited}`;
  });
  if (r.migrations.length === 0) lines.push("no migrations yet: write one with `plinth migrate make`");
  if (r.unknown.length > 0) {
    lines.push(
      pc.red(`database ahead of the files: ${r.unknown.join(", ")} applied but not in the migrations folder`),
    );
  }
  if (r.heads.length > 1)
    lines.push(pc.yellow(`${r.heads.length} heads (${r.heads.join(", ")}): run plinth migrate merge`));
  return lines;
}

async function history(o: MigrateOptions): Promise<void> {
  await withMigrator(o, async (m) => {
    const rows = await m.history();
    print(o, rows, () =>
      rows.length === 0
        ? "no migrations applied"
        : rows.map(
            (r) =>
              `${r.appliedAt.toISOString()}  ${r.id}${r.durationMs != null ? ` (${r.durationMs} ms)` : ""}${r.status === "applied" ? "" : pc.red(` ${r.status}, ${r.stepsDone} steps done`)}`,
          ),
    );
  });
}

async function current(o: MigrateOptions): Promise<void> {
  await withMigrator(o, async (m) => {
    const at = await m.current();
    print(o, { current: at }, () => (at.length > 0 ? at : "no migration applied"));
  });
}

function graphOf(loaded: LoadedMigration[]): MigrationGraph {
  return new MigrationGraph(loaded.map((l) => l.migration));
}

interface VerifyCommandOptions extends MigrateOptions {
  postgres?: string;
  mysql?: string;
  pglite: boolean;
}

/**
 * `plinth migrate verify`: SQLite and PGlite always (they need no server), PostgreSQL and MySQL when
 * given a server. Exits 1 when any check fails, so CI can run it for every blueprint.
 */
async function verify(o: VerifyCommandOptions): Promise<void> {
  const migrations = await loadFolder(o);
  const schemaFile = o.schema ?? (o.blueprint ? blueprintSchemaFile(o.blueprint) : undefined);
  const declared = schemaFile ? (await loadSchema(schemaFile)).model : undefined;
  const say = logger(o);
  // Data steps that encrypt or decrypt the sample rows need a key; the rows are verify's own, so a
  // key made for this run serves when the deployment's keys are not in the environment.
  if (!process.env[ENCRYPTION_KEYS_VARIABLE]?.trim()) {
    process.env[ENCRYPTION_KEYS_VARIABLE] = generateEncryptionKey("verify");
    say(`${ENCRYPTION_KEYS_VARIABLE} is not set: data steps run with a key made for this verification`);
  }
  const report = await withScratchDatabases(o, (targets) =>
    verifyMigrations({ migrations, targets, declared, onProgress: say }),
  );
  print(o, report, () => verifyText(report));
  if (!report.ok) process.exitCode = 1;
}

function verifyText(r: VerifyReport): string[] {
  const mark = (ok: boolean) => (ok ? pc.green("ok  ") : pc.red("FAIL"));
  const lines: string[] = [];
  for (const e of r.engines) {
    const failed = e.checks.filter((c) => c.differences.length > 0);
    lines.push(
      `${mark(!e.error && failed.length === 0)} ${e.name}: ${e.checks.length} checks${e.error ? `, stopped: ${e.error}` : ""}`,
    );
    for (const c of failed) lines.push(...c.differences.map((d) => `       ${c.migration} ${c.stage}: ${d}`));
    if (e.emptyTables.length > 0)
      lines.push(
        `       proven without rows (no sample row fits the declaration): ${e.emptyTables.join(", ")}`,
      );
  }
  lines.push(
    `${mark(r.structure.length === 0)} structure${r.structure.map((p) => `\n       ${p}`).join("")}`,
  );
  lines.push(
    `${mark(r.declaration.length === 0)} end state = declaration${r.declaration.map((p) => `\n       ${p}`).join("")}`,
  );
  for (const f of r.lint) lines.push(`${pc.yellow("lint")} ${f.migration}: ${formatFinding(f)}`);
  lines.push(r.ok ? pc.green("verified") : pc.red("verification failed"));
  return lines;
}
