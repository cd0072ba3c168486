import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { Command } from "commander";
import type { Kysely } from "kysely";
import pc from "picocolors";
import { introspect } from "../dialect/index.js";
import type { StatusReport, VerifyReport } from "../migrate/index.js";
import { loadMigrations } from "../migrate/index.js";
import type {
  ReportInput,
  ReviewFormat,
  ReviewOptions as ReviewOptions_,
  ReviewResult,
  Severity,
} from "../review/index.js";
import {
  failing,
  REVIEW_FORMATS,
  REVIEW_RULES,
  readBaseline,
  renderReport,
  runReview,
  writeBaseline,
} from "../review/index.js";
import { CliError } from "./errors.js";
import { loadSchema } from "./load.js";
import { verifyFolder } from "./migrate-command.js";
import { databaseOptions, jsonOption, migrationsOption, schemaOptions } from "./options.js";
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
  /** false for --no-prove: leave the scratch-database proofs of the migrations out. */
  prove?: boolean;
  format?: string;
  out?: string;
  failOn?: string;
  baseline?: string;
  writeBaseline?: string;
}

interface DatabaseReview {
  database: string;
  engine: string;
}

export interface ReviewOutcome {
  ok: boolean;
  /** Problems outside the rule engine (the migrations' proofs), one line each. */
  problems: string[];
  migrations: VerifyReport | null;
  database: DatabaseReview | null;
  /** The rule engine's result: findings, and the rules it could not run and why. */
  review: ReviewResult;
  /** Findings at or above --fail-on that no suppression or baseline covers. */
  failing: number;
}

/**
 * `plinth review`: the checks a change should pass before it ships, in one command. With a
 * declaration, the migrations are proven on scratch databases (up, down, up again on each engine).
 * Then the review's rules run on whatever evidence there is: the declaration, the migrations, and
 * the database (introspected, probed). Without a declaration it reviews any existing database and
 * lists the rules it could not run. The exit code is 1 when a finding at --fail-on or above is
 * neither suppressed nor in the baseline, or a proof failed.
 */
export function reviewCommand(): Command {
  const c = new Command("review").description(
    "review the schema, the migrations and the database with plinth's rules; prove the migrations on scratch databases",
  );
  schemaOptions(c);
  databaseOptions(c);
  migrationsOption(c);
  jsonOption(c)
    .option(
      "--format <format>",
      `output: ${REVIEW_FORMATS.join(", ")} (default md: the review report; html is one self-contained file; json follows schema/review-report.schema.json)`,
    )
    .option("--out <path>", "write the review there instead of stdout")
    .option(
      "--fail-on <level>",
      "lowest severity that fails: error or warning (default: review.failOn, else error)",
    )
    .option("--baseline <file>", "accepted findings (default: review.baseline); only new ones fail")
    .option("--write-baseline <file>", "write every current finding to this baseline file")
    .option(
      "--postgres <url>",
      "also prove the migrations on this PostgreSQL server (default: review.postgres)",
    )
    .option("--mysql <url>", "also prove them on this MySQL/MariaDB server (default: review.mysql)")
    .option("--no-pglite", "skip the in-process PostgreSQL (PGlite)")
    .option("--no-prove", "do not prove the migrations on scratch databases")
    .option("--no-db", "leave the configured database out")
    .action((o: ReviewOptions) => review(o));
  return c;
}

async function review(o: ReviewOptions): Promise<void> {
  const say = logger(o);
  const settings = (await projectConfig())?.review ?? {};
  const format = (o.format ?? (o.json ? "json" : "md")) as ReviewFormat;
  if (!REVIEW_FORMATS.includes(format))
    throw new CliError(`--format must be one of ${REVIEW_FORMATS.join(", ")}, not ${o.format}`);
  const failOn = (o.failOn ?? settings.failOn ?? "error") as Severity;
  if (failOn !== "error" && failOn !== "warning")
    throw new CliError(`--fail-on must be error or warning, not ${o.failOn}`);
  const problems: string[] = [];
  const project: ProjectOptions = { ...o, db: o.db || undefined };
  const withDatabase = o.db !== false && settings.drift !== false && (await hasDatabase(project));
  const schemaFile = await schemaFileOf(project, { optional: true });
  // Neither a declaration nor a database: nothing to review; say how to give the first.
  if (!schemaFile && !withDatabase) await schemaFileOf(project);
  const declared = schemaFile ? await loadSchema(schemaFile) : undefined;

  let migrations: VerifyReport | null = null;
  const dir = await migrationsOf(project);
  const loaded = existsSync(dir) ? await loadMigrations(dir) : undefined;
  if (declared && loaded && o.prove !== false) {
    say(pc.dim("proving the migrations on scratch databases …"));
    migrations = await verifyFolder(project, o);
    problems.push(...migrationProblems(migrations));
  } else if (declared && !loaded) {
    problems.push(
      `no migrations folder at ${dir}: make the first migration with \`plinth migrate make initial\``,
    );
  }

  const options: Omit<ReviewOptions_, "rules"> = {
    settings: {
      ...Object.fromEntries((settings.ignoreLint ?? []).map((id) => [id, "off" as const])),
      ...settings.rules,
    },
    ...(settings.ignore ? { ignore: settings.ignore } : {}),
  };
  const baselineFile = o.baseline ?? settings.baseline;
  if (baselineFile) options.baseline = readBaseline(baselineFile);
  if (declared) options.schema = declared;
  if (loaded) options.migrations = loaded.map((l) => l.migration);

  let database: DatabaseReview | null = null;
  let result: ReviewResult;
  let migrationStatus: StatusReport | undefined;
  let catalog: ReportInput["model"];
  if (withDatabase) {
    say(pc.dim("reviewing the database …"));
    const { db, url } = await connectFor(project, declared, { mustExist: true });
    try {
      database = { database: redactUrl(url), engine: db.engine };
      const status = loaded ? await migratorFor(db, loaded, o).status() : undefined;
      migrationStatus = status;
      // The diagram of a database reviewed without a declaration is drawn from its catalog.
      if (!declared) catalog = await introspect(db.kysely.withoutPlugins(), db.dialect);
      result = await runReview({
        ...options,
        db: db.kysely as Kysely<any>,
        dialect: db.dialect,
        ...(status ? { migrationStatus: status } : {}),
        rules: REVIEW_RULES,
      });
    } finally {
      await db.close();
    }
  } else {
    result = await runReview({ ...options, rules: REVIEW_RULES });
  }
  if (o.writeBaseline) {
    writeBaseline(o.writeBaseline, result.findings);
    say(`wrote ${result.findings.length} finding(s) to ${o.writeBaseline}`);
  }

  const failed = failing(result.findings, failOn);
  const report: ReviewOutcome = {
    ok: problems.length === 0 && failed.length === 0,
    problems,
    migrations,
    database,
    review: result,
    failing: failed.length,
  };
  const input: ReportInput = { result, rules: REVIEW_RULES };
  if (declared) input.schema = declared;
  if (catalog) input.model = catalog;
  if (schemaFile && existsSync(schemaFile))
    input.source = { file: shownPath(schemaFile), text: readFileSync(schemaFile, "utf8") };
  if (loaded) input.migrations = loaded.map((l) => l.migration);
  if (migrationStatus) input.migrationStatus = migrationStatus;
  const text =
    format === "json" && !o.format
      ? `${JSON.stringify(report, null, 2)}\n`
      : renderReport(input, format).text;
  const proofs = format === "md" ? proofLines(report) : [];
  // The proofs of the migrations close the Markdown report, as a section of their own.
  const output =
    proofs.length > 0
      ? `${text}\n## Migration Proofs\n\n${proofs.map((l) => `    ${l}`).join("\n")}\n`
      : text;
  if (o.out) {
    writeFileSync(o.out, output);
    say(`wrote the review to ${o.out}`);
  } else process.stdout.write(output);
  say(
    report.ok
      ? pc.green(`review passed (--fail-on ${failOn})`)
      : pc.red(
          `review failed: ${failed.length} finding(s) at ${failOn} or above, ${problems.length} other problem(s)`,
        ),
  );
  if (!report.ok) process.exitCode = 1;
}

/**
 * The schema file as the report cites it: relative to the working directory, or to its package's
 * root when it lies outside (a blueprint), so the report reads the same on every machine.
 */
function shownPath(file: string): string {
  const here = relative(process.cwd(), file);
  if (!here.startsWith("..")) return here;
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, "package.json"))) return relative(dir, file);
  return file;
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
  ];
}

/** The proofs of the migrations, as lines above the findings in Markdown output. */
function proofLines(r: ReviewOutcome): string[] {
  const mark = (ok: boolean) => (ok ? "ok  " : "FAIL");
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
  }
  for (const p of r.problems) lines.push(`- ${p}`);
  return lines;
}
