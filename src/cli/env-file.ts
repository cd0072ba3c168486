import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseEnv } from "node:util";
import { CliError } from "./errors.js";

/**
 * Reads `.env` from the current folder into process.env, as dotenv does: a variable the environment
 * already has keeps its value, so a deployment's real settings always win over the file. Returns the
 * names it set.
 */
export function loadEnvFile(file = resolve(".env"), env: NodeJS.ProcessEnv = process.env): string[] {
  if (!existsSync(file)) return [];
  let parsed: Record<string, string>;
  try {
    parsed = parseEnv(readFileSync(file, "utf8")) as Record<string, string>;
  } catch (error) {
    throw new CliError(`${file} could not be read: ${error instanceof Error ? error.message : error}`);
  }
  const set: string[] = [];
  for (const [name, value] of Object.entries(parsed)) {
    if (env[name] !== undefined) continue;
    env[name] = value;
    set.push(name);
  }
  return set;
}
