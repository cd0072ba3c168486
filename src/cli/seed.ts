import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Db } from "../data/index.js";
import type { Schema } from "../schema/index.js";
import { BLUEPRINTS_DIR, CliError } from "./load.js";

/**
 * Seed data: a module exporting `seed(db)`, run by `plinth up` after the migrations. It must be
 * idempotent (insert what is missing, never duplicate) because `up` runs it every time; it may return
 * an array with a line per thing it changed, which `up` prints.
 */
export type SeedFunction = (db: Db<any>) => Promise<unknown>;

/** `--seed <file>`, else the blueprint's seed.ts when it has one. */
export function seedFile(options: { seed?: string; blueprint?: string }): string | undefined {
  if (options.seed) {
    const file = resolve(options.seed);
    if (!existsSync(file)) throw new CliError(`seed file not found: ${file}`);
    return file;
  }
  if (!options.blueprint) return undefined;
  const file = join(BLUEPRINTS_DIR, options.blueprint, "seed.ts");
  return existsSync(file) ? file : undefined;
}

export async function runSeed(file: string, db: Db<Schema>): Promise<string[]> {
  const { tsImport } = await import("tsx/esm/api");
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(
      `could not load ${file}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`,
    );
  }
  const seed = mod.seed ?? (mod.default as Record<string, unknown> | undefined)?.seed ?? mod.default;
  if (typeof seed !== "function")
    throw new CliError(`${file} exports no seed(db) function; export one named seed`);
  const changed = await (seed as SeedFunction)(db);
  return Array.isArray(changed) ? changed.map(String) : [];
}
