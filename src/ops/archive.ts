import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { PlinthError } from "../errors.js";

/** An archive read back does not hold what was written: the rows it covers are not deleted. */
export class ArchiveVerificationError extends PlinthError {
  static override readonly code: string = "PLINTH_ARCHIVE_UNVERIFIED";
  override name = "ArchiveVerificationError";
  constructor(
    readonly file: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`archive ${file} failed verification (${reason}); its rows were not deleted`, options);
  }
}

export interface WrittenArchive {
  file: string;
  rows: number;
  /** sha256 of the file's bytes (the gzip stream), also written beside it as `<file>.sha256`. */
  sha256: string;
}

/** One JSON object per line; Dates as ISO text, binary as base64, 64-bit integers as text. */
function jsonLine(row: Record<string, unknown>): string {
  return JSON.stringify(row, (_key, value) => {
    if (typeof value === "bigint") return value.toString();
    if (value && typeof value === "object" && (value as { type?: string }).type === "Buffer")
      return { base64: Buffer.from((value as { data: number[] }).data).toString("base64") };
    return value;
  });
}

/**
 * Writes `rows` as gzip-compressed JSONL to `file` (through a temporary name, so a file under the
 * final name is always complete) and a `<file>.sha256` beside it in sha256sum's format.
 */
export function writeArchive(file: string, rows: Record<string, unknown>[]): WrittenArchive {
  mkdirSync(dirname(file), { recursive: true });
  const bytes = gzipSync(Buffer.from(rows.map((r) => `${jsonLine(r)}\n`).join(""), "utf8"));
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  writeFileSync(`${file}.tmp`, bytes, { flush: true });
  renameSync(`${file}.tmp`, file);
  writeFileSync(`${file}.sha256`, `${sha256}  ${file.split("/").pop()}\n`);
  return { file, rows: rows.length, sha256 };
}

/**
 * Reads the archive back from disk and checks it against what was written: the checksum of its
 * bytes, that it decompresses, its row count, and that it holds exactly the rows of `keys` (each
 * row's key columns, in order). Throws ArchiveVerificationError otherwise.
 */
export function verifyArchive(archive: WrittenArchive, keyColumns: string[], keys: string[]): void {
  const { file } = archive;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (cause) {
    throw new ArchiveVerificationError(file, "cannot be read", { cause });
  }
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== archive.sha256)
    throw new ArchiveVerificationError(file, `sha256 ${sha256} where ${archive.sha256} was written`);
  let lines: string[];
  try {
    lines = gunzipSync(bytes).toString("utf8").split("\n").filter(Boolean);
  } catch (cause) {
    throw new ArchiveVerificationError(file, "does not decompress", { cause });
  }
  if (lines.length !== archive.rows)
    throw new ArchiveVerificationError(file, `${lines.length} rows where ${archive.rows} were written`);
  const read = lines.map((line) => rowKey(JSON.parse(line) as Record<string, unknown>, keyColumns));
  if (read.join("\n") !== keys.join("\n"))
    throw new ArchiveVerificationError(file, "holds other rows than the batch");
}

/** A row's key columns as one text (what the log and the archive check compare). */
export function rowKey(row: Record<string, unknown>, keyColumns: string[]): string {
  return keyColumns
    .map((k) => {
      const v = row[k];
      // A Date is archived as its ISO text (JSON.stringify): compare in that form.
      return v instanceof Date ? v.toISOString() : String(v);
    })
    .join(",");
}
