/** What the commands that work through a table in batches share: the batch flags and the progress bar. */
import cliProgress from "cli-progress";
import pc from "picocolors";
import { CliError } from "./errors.js";

/** A flag's value as a whole number of at least 1, or a one-line error naming the flag. */
export function positive(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${option} must be a positive whole number, not "${value}"`);
  return n;
}

interface RowsProgress {
  table: string;
  total: number;
  done: number;
}

/**
 * A progress bar over a table's rows on stderr, only for a person watching: not with --json, not
 * into a pipe or file. `extra` adds a field to the line (` | {rotated} values re-encrypted`) and
 * the values it names.
 */
export function rowsProgressBar<P extends RowsProgress>(
  o: { json?: boolean },
  verb: string,
  extra?: { format: string; values(p: P): Record<string, unknown> },
): { update(p: P): void; stop(): void } | undefined {
  if (o.json || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${verb} {table} ${pc.cyan("{bar}")} {value}/{total} rows${extra?.format ?? ""} | {eta_formatted}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const values = { table: p.table, ...extra?.values(p) };
      if (!started) {
        bar.start(p.total, p.done, values);
        started = true;
      } else bar.update(p.done, values);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
