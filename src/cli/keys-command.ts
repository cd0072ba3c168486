import cliProgress from "cli-progress";
import { Command } from "commander";
import pc from "picocolors";
import { ENCRYPTION_KEYS_VARIABLE, generateEncryptionKey } from "../security/encryption.js";
import type { RotationProgress, RotationResult } from "../security/key-rotation.js";
import { rotateEncryptionKeys } from "../security/key-rotation.js";
import { blueprintSchemaFile, CliError, loadSchema } from "./load.js";
import { connectFor, databaseUrl, redactUrl } from "./migrate-context.js";

interface RotateOptions {
  blueprint?: string;
  schema?: string;
  db?: string;
  batchSize: string;
  maxBatches?: string;
  attempts: string;
  retryDelay: string;
  json?: boolean;
}

/**
 * `plinth keys …`: encryption keys of `col.encrypted()` columns. `rotate` moves every stored value to
 * the first key of PLINTH_ENCRYPTION_KEYS; `generate` prints a new key in that variable's format.
 */
export function keysCommand(): Command {
  const keys = new Command("keys").description(
    `encryption keys of encrypted columns (${ENCRYPTION_KEYS_VARIABLE})`,
  );

  keys
    .command("rotate")
    .description(
      `re-encrypt every encrypted column under the first key of ${ENCRYPTION_KEYS_VARIABLE}, in batches; ` +
        "rows already under it are skipped, so running it again resumes an interrupted rotation",
    )
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth, e.g. dns-filter")
    .option("-s, --schema <file>", "your schema module (TypeScript or JavaScript)")
    .option("--db <url>", "database URL (default for a blueprint: sqlite:./data/<name>.db)")
    .option("--batch-size <n>", "rows per batch; each batch is one transaction", "500")
    .option("--max-batches <n>", "stop after this many batches (run again to continue)")
    .option("--attempts <n>", "connection attempts before giving up", "5")
    .option("--retry-delay <ms>", "milliseconds between connection attempts", "5000")
    .option("--json", "print the result as JSON")
    .action((o: RotateOptions) => rotate(o));

  keys
    .command("generate")
    .description(
      `print a new random 256-bit key as "<keyId>:<base64>", ready for ${ENCRYPTION_KEYS_VARIABLE}`,
    )
    .argument("<keyId>", 'the id written into every value it encrypts, e.g. "k2026"')
    .action((keyId: string) => {
      console.log(generateEncryptionKey(keyId));
    });

  return keys;
}

async function rotate(o: RotateOptions): Promise<void> {
  if (Boolean(o.blueprint) === Boolean(o.schema)) {
    throw new CliError("give exactly one of --blueprint <name> or --schema <file>");
  }
  const batchSize = positive(o.batchSize, "--batch-size");
  const maxBatches = o.maxBatches === undefined ? undefined : positive(o.maxBatches, "--max-batches");
  const declared = await loadSchema(o.blueprint ? blueprintSchemaFile(o.blueprint) : o.schema!);
  const db = await connectFor(o, declared);
  const bar = progressBar(o);
  try {
    const result = await rotateEncryptionKeys(db, {
      batchSize,
      maxBatches,
      onProgress: (p) => bar?.update(p),
    });
    bar?.stop();
    if (o.json) {
      console.log(
        JSON.stringify({ database: redactUrl(databaseUrl(o)), engine: db.engine, ...result }, null, 2),
      );
    } else {
      for (const line of summary(result)) console.log(line);
    }
  } finally {
    bar?.stop();
    await db.close();
  }
}

/** A progress bar on stderr, only for a person watching: not with --json, not into a pipe or file. */
function progressBar(o: { json?: boolean }): { update(p: RotationProgress): void; stop(): void } | undefined {
  if (o.json || !process.stderr.isTTY) return undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `rotating {table} ${pc.cyan("{bar}")} {value}/{total} rows | {rotated} values re-encrypted | {eta_formatted}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (!started) {
        bar.start(p.total, p.done, { table: p.table, rotated: p.rotated });
        started = true;
      } else bar.update(p.done, { table: p.table, rotated: p.rotated });
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}

function summary(r: RotationResult): string[] {
  if (r.tables.length === 0) return ["the schema has no encrypted columns: nothing to rotate"];
  const lines = r.tables.map((t) => {
    const changed =
      t.changed > 0 ? pc.yellow(` (${t.changed} changed meanwhile, left for the next run)`) : "";
    return `${t.rotated > 0 ? pc.green("rotated") : pc.dim("current")}  ${t.table} (${t.columns.join(", ")}): ${t.rotated} value${t.rotated === 1 ? "" : "s"} re-encrypted${changed}`;
  });
  if (!r.complete) {
    lines.push(
      pc.yellow(
        `stopped after ${r.batches} batch${r.batches === 1 ? "" : "es"} (--max-batches): ${r.remaining} row${r.remaining === 1 ? "" : "s"} still use an older key; run again to continue`,
      ),
    );
  } else if (r.remaining > 0) {
    lines.push(
      pc.yellow(
        `${r.remaining} row${r.remaining === 1 ? "" : "s"} were written under an older key meanwhile; run again`,
      ),
    );
  } else {
    const removable =
      r.removable.length > 0
        ? `; ${r.removable.join(", ")} can be removed from ${ENCRYPTION_KEYS_VARIABLE}`
        : "";
    lines.push(`every encrypted value is under key ${r.keyId}${removable}`);
  }
  return lines;
}

function positive(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CliError(`${option} must be a positive whole number, not "${value}"`);
  return n;
}
