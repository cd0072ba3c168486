import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MigrationError } from "./errors.js";
import type { Migration } from "./migration.js";
import { isMigration } from "./migration.js";

/** A migration as read from its file: the checksum lets the runner notice an applied file being edited. */
export interface LoadedMigration {
  migration: Migration;
  /** Absolute path of the file. */
  file: string;
  /**
   * sha256 (hex) of what the migration does: its id, parents and operations in a canonical form
   * (object keys sorted). Formatting, comments and the description are not part of it, so they can
   * be edited after the migration was applied without blocking a deploy.
   */
  checksum: string;
  /**
   * sha256 of the file text (CRLF as LF), as history rows written before checksums covered only
   * the operations hold it. A row with this checksum is the same migration; the runner updates it.
   */
  fileChecksum?: string;
}

const MIGRATION_FILE = /\.(ts|mts|js|mjs)$/;
const DECLARATION_FILE = /\.d\.(ts|mts)$/;

/** The migration files in a folder, by name: the order the folder is read in, not the order they run. */
export function migrationFiles(dir: string): string[] {
  const path = resolve(dir);
  if (!existsSync(path) || !statSync(path).isDirectory()) {
    throw new MigrationError(`no migrations folder at ${path}; create one with \`plinth migrate make\``);
  }
  return readdirSync(path)
    .filter((f) => MIGRATION_FILE.test(f) && !DECLARATION_FILE.test(f))
    .sort()
    .map((f) => join(path, f));
}

export function checksumOf(text: string): string {
  return createHash("sha256").update(text.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * The checksum of what a migration does. Data steps are code: what they did is in the database
 * already, so a data step counts by its description, and editing its function body (a bug fix for
 * the next environment, a comment) is not an edit of the migration.
 */
export function operationsChecksum(m: Migration): string {
  return checksumOf(canonical({ id: m.id, parents: m.parents, operations: m.operations }));
}

/** JSON with object keys sorted and functions replaced by a marker: one text per meaning. */
function canonical(value: unknown): string {
  if (typeof value === "function") return JSON.stringify("[function]");
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? "null" : canonical(v))).join(",")}]`;
  if (value instanceof RegExp) return JSON.stringify(String(value));
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * Loads every migration file of `dir`. TypeScript is compiled on the fly by tsx (as schema files
 * are), so a project needs no build step. Checks what can be checked without a database: each file
 * default-exports a migration(), ids are unique and every parent exists.
 */
export async function loadMigrations(dir: string): Promise<LoadedMigration[]> {
  const files = migrationFiles(dir);
  const { register } = await import("tsx/esm/api");
  // One fresh namespace per call: the files share one module cache (plinth/migrate is evaluated
  // once, not once per file), and a later call sees edited files instead of cached ones.
  const scope = register({ namespace: `plinth-migrations-${++loads}-${process.pid}` });
  try {
    return await loadFiles(files, scope.import, resolve(dir));
  } finally {
    await scope.unregister();
  }
}

let loads = 0;

async function loadFiles(
  files: string[],
  load: (specifier: string, parent: string) => Promise<unknown>,
  dir: string,
): Promise<LoadedMigration[]> {
  const loaded: LoadedMigration[] = [];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    let mod: Record<string, unknown>;
    try {
      mod = (await load(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
    } catch (error) {
      throw new MigrationError(`could not load migration ${file}: ${oneLine(error)}`);
    }
    // In a CommonJS project TypeScript's `export default` arrives one level deeper (exports.default).
    const exported = isMigration(mod.default)
      ? mod.default
      : (mod.default as Record<string, unknown>)?.default;
    if (!isMigration(exported)) {
      throw new MigrationError(
        `${file} has no migration default export; write \`export default migration({ id, description, parents, operations })\` ` +
          'with migration from "plinth/migrate"',
      );
    }
    loaded.push({
      migration: exported,
      file,
      checksum: operationsChecksum(exported),
      fileChecksum: checksumOf(text),
    });
  }
  checkIds(loaded, dir);
  return loaded;
}

/** Ids are unique and name existing parents: both would otherwise corrupt the graph silently. */
function checkIds(loaded: LoadedMigration[], dir: string): void {
  const byId = new Map<string, LoadedMigration>();
  for (const l of loaded) {
    const other = byId.get(l.migration.id);
    if (other) {
      throw new MigrationError(
        `migration id "${l.migration.id}" is used by both ${basename(other.file)} and ${basename(l.file)}; ` +
          "give one of them a new id",
      );
    }
    byId.set(l.migration.id, l);
  }
  for (const l of loaded) {
    for (const parent of l.migration.parents) {
      if (!byId.has(parent)) {
        throw new MigrationError(
          `${basename(l.file)}: parent "${parent}" of migration "${l.migration.id}" is not in ${dir}; ` +
            "fix its parents list (or restore the missing file)",
        );
      }
    }
  }
}

/** A loader error on one line: esbuild reports a syntax error over several, with a code frame. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s*[│|]/.test(l) && !/^[│|^\s]+$/.test(l))
    .join(" ")
    .replace(/\s+/g, " ")
    .slice(0, 500);
}
