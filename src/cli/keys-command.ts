import { Command } from "commander";
import pc from "picocolors";
import { ENCRYPTION_KEYS_VARIABLE, generateEncryptionKey } from "../security/encryption.js";
import type { RotationProgress, RotationResult } from "../security/key-rotation.js";
import { rotateEncryptionKeys } from "../security/key-rotation.js";
import { positive, rowsProgressBar } from "./batches.js";
import { databaseOptions, jsonOption, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import { connectFor, databaseOf, redactUrl, schemaOf } from "./project.js";

interface RotateOptions extends ProjectOptions {
  batchSize: string;
  maxBatches?: string;
}

/**
 * `plinth keys …`: encryption keys of `col.encrypted()` and `col.encryptedJson()` columns. `rotate`
 * moves every stored value to the first key of PLINTH_ENCRYPTION_KEYS; `generate` prints a new key
 * in that variable's format.
 */
export function keysCommand(): Command {
  const keys = new Command("keys").description(
    `encryption keys of encrypted columns (${ENCRYPTION_KEYS_VARIABLE})`,
  );

  const rotateCommand = keys
    .command("rotate")
    .description(
      `re-encrypt every encrypted column under the first key of ${ENCRYPTION_KEYS_VARIABLE}, in batches; ` +
        "rows already under it are skipped, so running it again resumes an interrupted rotation",
    );
  schemaOptions(rotateCommand);
  databaseOptions(rotateCommand);
  jsonOption(rotateCommand)
    .option("--batch-size <n>", "rows per batch; each batch is one transaction", "500")
    .option("--max-batches <n>", "stop after this many batches (run again to continue)")
    .action((o: RotateOptions) => rotate(o));

  jsonOption(
    keys
      .command("generate")
      .description(
        `print a new random 256-bit key as "<keyId>:<base64>", ready for ${ENCRYPTION_KEYS_VARIABLE}`,
      )
      .argument("<keyId>", 'the id written into every value it encrypts, e.g. "k2026"'),
  ).action((keyId: string, o: { json?: boolean }) => {
    const key = generateEncryptionKey(keyId);
    console.log(o.json ? JSON.stringify({ keyId, key, variable: ENCRYPTION_KEYS_VARIABLE }, null, 2) : key);
  });

  return keys;
}

async function rotate(o: RotateOptions): Promise<void> {
  const batchSize = positive(o.batchSize, "--batch-size");
  const maxBatches = o.maxBatches === undefined ? undefined : positive(o.maxBatches, "--max-batches");
  await databaseOf(o); // a bad URL is reported before the schema is loaded
  const declared = await schemaOf(o);
  // Rotation rewrites what is stored: a database that is not there is a mistyped URL, not a new one.
  const { db, url } = await connectFor(o, declared, { mustExist: true });
  const bar = rowsProgressBar<RotationProgress>(o, "rotating", {
    format: " | {rotated} values re-encrypted",
    values: (p) => ({ rotated: p.rotated }),
  });
  try {
    const result = await rotateEncryptionKeys(db, {
      batchSize,
      maxBatches,
      onProgress: (p) => bar?.update(p),
    });
    bar?.stop();
    if (o.json) {
      console.log(JSON.stringify({ database: redactUrl(url), engine: db.engine, ...result }, null, 2));
    } else {
      for (const line of summary(result)) console.log(line);
    }
  } finally {
    bar?.stop();
    await db.close();
  }
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
