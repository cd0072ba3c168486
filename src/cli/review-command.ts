import { existsSync } from "node:fs";
import { Command } from "commander";
import type { Kysely } from "kysely";
import pc from "picocolors";
import { comparable, describeDifferences, introspect } from "../dialect/index.js";
import type { StatusReport, VerifyReport } from "../migrate/index.js";
import { formatFinding, loadMigrations } from "../migrate/index.js";
import { loadSchema } from "./load.js";
import { verifyFolder } from "./migrate-command.js";
import { databaseOptions, jsonOption, migrationsOption, print, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import {
  connectFor,
  databaseOf,
  logger,
  migrationsOf,
  migratorFor,
  projectConfig,
  redactUrl,
  schemaFileOf,
} from "./project.js";

interface ReviewOptions extends Omit<ProjectOptions, "db"> {
  /** A URL, or false for --no-db. */
  db?: string | false;
  postgres?: string;
  mysql?: string;
  pglite?: boolean;
}

interface DatabaseReview {
  database: string;
  engine: string;
  /** Migrations the database has not applied, changed after they were applied, or does not know. */
  pending: string[];
  changed: string[];
  unknown: string[];
  /** Where the live schema differs from the declaration. */
  drift: string[];
}

export interface ReviewReport {
  ok: boolean;
  /** Every problem, one line each; empty when the review is clean. */
  problems: string[];
  migrations: VerifyReport | null;
  database: DatabaseReview | null;
}

/**
 * `plinth review`: the checks a change should pass before it ships, in one command. The migrations
 * are proven on scratch databases (up, down, up again on each engine), linted, and compared with the
 * declaration; the configured database is checked for pending or changed migrations and for drift
 * from the declaration. The config's review settings choose the servers and the lint rules left out.
 */
export function reviewCommand(): Command {
  const c = new Command("review").description(
    "prove the migrations on scratch databases, lint them, and check the database for pending migrations and drift",
  );
  schemaOptions(c);
  databaseOptions(c);
  migrationsOption(c);
  jsonOption(c)
    .option(
      "--postgres <url>",
      "also prove the migrations on this PostgreSQL server (default: review.postgres)",
    )
    .option("--mysql <url>", "also prove them on this MySQL/MariaDB server (default: review.mysql)")
    .option("--no-pglite", "skip the in-process PostgreSQL (PGlite)")
    .option("--no-db", "leave the configured database out")
    .action((o: ReviewOptions) => review(o));
  return c;
}

async function review(o: ReviewOptions): Promise<void> {
  const say = logger(o);
  const settings = (await projectConfig())?.review ?? {};
  const problems: string[] = [];
  const project: ProjectOptions = { ...o, db: o.db || undefined };
  const declared = await loadSchema(await schemaFileOf(project));

  let migrations: VerifyReport | null = null;
  const dir = await migrationsOf(project);
  if (existsSync(dir)) {
    say(pc.dim("proving the migrations on scratch databases …"));
    migrations = await verifyFolder(project, o);
    problems.push(...migrationProblems(migrations));
  } else {
    problems.push(
      `no migrations folder at ${dir}: make the first migration with \`plinth migrate make initial\``,
    );
  }

  let database: DatabaseReview | null = null;
  const wantsDatabase = o.db !== false && settings.drift !== false;
  if (wantsDatabase && (await hasDatabase(project))) {
    say(pc.dim("comparing the database with the migrations and the declaration …"));
    database = await reviewDatabase(project, declared, existsSync(dir));
    problems.push(...databaseProblems(database));
  }

  const report: ReviewReport = { ok: problems.length === 0, problems, migrations, database };
  print(o, report, () => reviewText(report));
  if (!report.ok) process.exitCode = 1;
}

/** Whether a database is given or configured; the review works without one. */
async function hasDatabase(o: ProjectOptions): Promise<boolean> {
  try {
    await databaseOf(o);
    return true;
  } catch (error) {
    if (o.db) throw error;
    return false;
  }
}

async function reviewDatabase(
  o: ProjectOptions,
  declared: Awaited<ReturnType<typeof loadSchema>>,
  withMigrations: boolean,
): Promise<DatabaseReview> {
  const { db, url } = await connectFor(o, undefined, { mustExist: true });
  try {
    let status: StatusReport | undefined;
    if (withMigrations) {
      const migrator = migratorFor(db, await loadMigrations(await migrationsOf(o)), o);
      status = await migrator.status();
    }
    const live = comparable(await introspect(db.kysely as Kysely<any>, db.dialect), db.dialect);
    return {
      database: redactUrl(url),
      engine: db.engine,
      pending: status?.migrations.filter((m) => m.state !== "applied").map((m) => m.id) ?? [],
      changed: status?.migrations.filter((m) => m.checksumMismatch).map((m) => m.id) ?? [],
      unknown: status?.unknown ?? [],
      drift: describeDifferences(comparable(declared.model, db.dialect), live),
    };
  } finally {
    await db.close();
  }
}

function migrationProblems(r: VerifyReport): string[] {
  return [
    ...r.structure.map((p) => `migrations: ${p}`),
    ...r.declaration.map((p) => `migrations: ${p}`),
    ...r.engines.flatMap((e) => [
      ...(e.error ? [`migrations on ${e.name}: ${e.error}`] : []),
      ...e.checks.flatMap((c) =>
        c.differences.map((d) => `migrations on ${e.name}: ${c.migration} ${c.stage}: ${d}`),
      ),
    ]),
    ...r.lint.map((f) => `lint: ${f.migration}: ${f.rule}: ${f.message}`),
  ];
}

function databaseProblems(d: DatabaseReview): string[] {
  return [
    ...(d.pending.length > 0
      ? [
          `database: ${d.pending.length} migration(s) not applied (${d.pending.join(", ")}): run \`plinth up\``,
        ]
      : []),
    ...d.changed.map((id) => `database: ${id} was changed after it was applied: restore the file`),
    ...(d.unknown.length > 0
      ? [`database: applied migrations missing from the folder: ${d.unknown.join(", ")}`]
      : []),
    ...d.drift.map((x) => `database drift: ${x}`),
  ];
}

function reviewText(r: ReviewReport): string[] {
  const mark = (ok: boolean) => (ok ? pc.green("ok  ") : pc.red("FAIL"));
  const lines: string[] = [];
  if (r.migrations) {
    const m = r.migrations;
    for (const e of m.engines) {
      const failed = e.checks.some((c) => c.differences.length > 0);
      lines.push(
        `${mark(!e.error && !failed)} migrations on ${e.name}: ${e.checks.length} checks (up, down, up again)`,
      );
    }
    lines.push(`${mark(m.structure.length === 0)} migration history`);
    lines.push(`${mark(m.declaration.length === 0)} migrations end at the declaration`);
    lines.push(
      `${mark(m.lint.length === 0)} lint: ${m.lint.length} finding${m.lint.length === 1 ? "" : "s"}`,
    );
    for (const f of m.lint) lines.push(`       ${f.migration}: ${formatFinding(f)}`);
  }
  if (r.database) {
    const d = r.database;
    const migrated = d.pending.length === 0 && d.changed.length === 0 && d.unknown.length === 0;
    lines.push(`${mark(migrated)} ${d.database} (${d.engine}) has every migration, unchanged`);
    lines.push(`${mark(d.drift.length === 0)} ${d.database} matches the declaration`);
  }
  for (const p of r.problems) lines.push(`  ${pc.red("-")} ${p}`);
  lines.push(r.ok ? pc.green("review clean") : pc.red(`review found ${r.problems.length} problem(s)`));
  return lines;
}
