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
  /** sha256 (hex) of the file text with CRLF turned into LF, so a checkout's line endings don't count as edits. */
  checksum: string;
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
    if (!isMigration(mod.default)) {
      throw new MigrationError(
        `${file} has no migration default export; write \`export default migration({ id, description, parents, operations })\` ` +
          'with migration from "plinth/migrate"',
      );
    }
    loaded.push({ migration: mod.default, file, checksum: checksumOf(text) });
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
