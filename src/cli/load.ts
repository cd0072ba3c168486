import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { PlinthError } from "../errors.js";
import type { Schema } from "../schema/index.js";
import { isSchema } from "../schema/index.js";

/** The blueprints shipped inside the plinth package. */
export const BLUEPRINTS_DIR = fileURLToPath(new URL("../../blueprints/", import.meta.url));

export function blueprintNames(): string[] {
  if (!existsSync(BLUEPRINTS_DIR)) return [];
  return readdirSync(BLUEPRINTS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(resolve(BLUEPRINTS_DIR, e.name, "schema.ts")))
    .map((e) => e.name)
    .sort();
}

export function blueprintSchemaFile(name: string): string {
  const file = resolve(BLUEPRINTS_DIR, name, "schema.ts");
  if (!existsSync(file)) {
    throw new CliError(`unknown blueprint "${name}"; available: ${blueprintNames().join(", ") || "(none)"}`);
  }
  return file;
}

/**
 * Loads a schema module written in TypeScript or JavaScript. tsx compiles TypeScript on the fly, so
 * a project needs no build step to point plinth at its schema. The module's default export, or else
 * its first exported schema(), is used.
 */
export async function loadSchema(file: string): Promise<Schema> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`schema file not found: ${path}`);
  const { tsImport } = await import("tsx/esm/api");
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`could not load ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const candidates = [mod.default, ...Object.values(mod)];
  const found = candidates.find(isSchema);
  if (!found) throw new CliError(`${path} exports no schema(); export one (default export preferred)`);
  return found;
}

/** An error whose message is the whole story: printed without a stack trace. */
export class CliError extends PlinthError {
  static override readonly code: string = "PLINTH_CLI_ERROR";
  override name = "CliError";
}
