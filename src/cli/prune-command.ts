import { Command } from "commander";
import pc from "picocolors";
import type { PartitionsResult, PruneProgress, PruneResult } from "../ops/index.js";
import { ensurePartitions, prune } from "../ops/index.js";
import { positive, rowsProgressBar } from "./batches.js";
import { CliError } from "./errors.js";
import { databaseOptions, jsonOption, print, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import { connectFor, databaseOf, redactUrl, schemaOf } from "./project.js";

interface PruneCommandOptions extends ProjectOptions {
  table?: string;
  dryRun?: boolean;
  archive?: string;
  batch: string;
  maxBatches?: string;
}

/**
 * `plinth prune`: removes rows past each table's declared retention, in short batches, archiving
 * each batch first with --archive. Running it again resumes a run that was stopped.
 */
export function pruneCommand(): Command {
  const c = new Command("prune").description(
    "delete rows older than each table's declared retention, in batches (partitions on PostgreSQL where declared); " +
      "--archive writes and verifies compressed JSONL first; a stopped run resumes when run again",
  );
  schemaOptions(c);
  databaseOptions(c);
  jsonOption(c)
    .option("--table <name>", "only this table (its database name)")
    .option("--dry-run", "count the rows that would go; change nothing")
    .option(
      "--archive <dir>",
      "archive each batch to <dir>/<table>/<run>/<batch>.jsonl.gz before deleting it",
    )
    .option("--batch <n>", "rows per batch; each batch is one short transaction", "1000")
    .option("--max-batches <n>", "stop after this many batches (run again to continue)")
    .action((o: PruneCommandOptions) => runPrune(o));
  return c;
}

async function runPrune(o: PruneCommandOptions): Promise<void> {
  const batchSize = positive(o.batch, "--batch");
  const maxBatches = o.maxBatches === undefined ? undefined : positive(o.maxBatches, "--max-batches");
  await databaseOf(o); // a bad URL is reported before the schema is loaded
  const { db, url } = await connectFor(o, await schemaOf(o), { mustExist: true });
  const bar = rowsProgressBar<PruneProgress>(o, "pruning");
  try {
    const result = await prune(db, {
      ...(o.table ? { table: o.table } : {}),
      dryRun: o.dryRun ?? false,
      ...(o.archive ? { archiveDir: o.archive } : {}),
      batchSize,
      ...(maxBatches !== undefined ? { maxBatches } : {}),
      onProgress: (p) => bar?.update(p),
    });
    bar?.stop();
    print(o, { database: redactUrl(url), ...result }, () => summary(result));
  } finally {
    bar?.stop();
    await db.close();
  }
}

/** `plinth partitions`: creates the monthly partitions of declared partitioned tables ahead of time. */
export function partitionsCommand(): Command {
  const c = new Command("partitions").description(
    "PostgreSQL: create the monthly partitions of tables declared partition: { by, interval } from this month to --ahead months on (idempotent; run it daily)",
  );
  schemaOptions(c);
  databaseOptions(c);
  jsonOption(c)
    .option("--ahead <n>", "months ahead of the current one", "3")
    .action((o: ProjectOptions & { ahead: string }) => runPartitions(o));
  return c;
}

async function runPartitions(o: ProjectOptions & { ahead: string }): Promise<void> {
  const ahead = Number(o.ahead);
  if (!Number.isInteger(ahead) || ahead < 0)
    throw new CliError(`--ahead must be a whole number (0 or more), not "${o.ahead}"`);
  await databaseOf(o);
  const { db, url } = await connectFor(o, await schemaOf(o), { mustExist: true });
  try {
    const result = await ensurePartitions(db, { ahead });
    print(o, { database: redactUrl(url), ...result }, () => partitionsSummary(result));
  } finally {
    await db.close();
  }
}

function partitionsSummary(r: PartitionsResult): string[] {
  if (!r.supported)
    return [
      "this engine has no native partitions: declared partitioned tables are plain tables here, pruned in batches",
    ];
  if (r.tables.length === 0) return ["no table declares partition: { by, interval }"];
  return r.tables.map(
    (t) =>
      `${t.table} (by ${t.column}): ${t.created.length ? `${pc.green("created")} ${t.created.join(", ")}` : pc.dim("nothing to create")}; ${t.partitions.length} partitions`,
  );
}

function summary(r: PruneResult): string[] {
  if (r.tables.length === 0) return ["no table declares a retention: nothing to prune"];
  const lines = r.tables.map((t) => {
    const head = `${t.table} (${t.column} before ${t.cutoff}, ${t.days} days)`;
    if (r.dryRun)
      return `${pc.dim("would delete")} ${t.candidates} row${t.candidates === 1 ? "" : "s"} of ${head}`;
    const partitions = t.partitions?.length ? `, ${t.partitions.length} partition(s) dropped` : "";
    const archived = t.archives.length ? `, ${t.archives.length} archive file(s)` : "";
    return `${pc.green("pruned")} ${t.deleted} row${t.deleted === 1 ? "" : "s"} of ${head} in ${t.batches} batch(es)${partitions}${archived}${t.resumed ? " (resumed)" : ""}`;
  });
  if (!r.complete) lines.push(pc.yellow("stopped at --max-batches: run again to continue"));
  return lines;
}
