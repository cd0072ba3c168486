import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { PlinthConfig } from "../config/index.js";
import { CliError } from "./errors.js";
import { importModule, shown } from "./import-module.js";

/** The names `plinth` looks for in the current folder, in this order. */
export const CONFIG_FILES = [
  "plinth.config.ts",
  "plinth.config.mts",
  "plinth.config.cts",
  "plinth.config.js",
  "plinth.config.mjs",
  "plinth.config.cjs",
];

/** A config file as read: its values, with paths made absolute against the file's folder. */
export interface LoadedConfig {
  file: string;
  database?: string;
  schema?: string;
  migrations?: string;
  seed?: string;
  connection: NonNullable<PlinthConfig["connection"]>;
  review: NonNullable<PlinthConfig["review"]>;
}

const KEYS: Record<string, readonly string[]> = {
  "": ["database", "schema", "migrations", "seed", "connection", "review"],
  connection: ["attempts", "retryDelayMs", "connectTimeoutMs", "statementTimeoutMs"],
  review: ["postgres", "mysql", "pglite", "ignoreLint", "drift", "rules", "ignore", "baseline", "failOn"],
};

/** `--config <file>`, else the first of CONFIG_FILES in the current folder, else none. */
export function findConfig(explicit?: string): string | undefined {
  if (explicit) {
    const file = resolve(explicit);
    if (!existsSync(file)) throw new CliError(`config file not found: ${shown(file)} (from --config)`);
    return file;
  }
  return CONFIG_FILES.map((name) => resolve(name)).find(existsSync);
}

/** Loads and checks a config file; a misspelt key is an error, not a setting silently ignored. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  const mod = await importModule(file, "config file");
  let value = mod.default as unknown;
  // TypeScript's `export default` compiled to CommonJS arrives one level deeper (no config has a
  // key named default).
  if (isObject(value) && isObject(value.default)) value = value.default;
  if (!isObject(value)) {
    throw new CliError(
      `${shown(file)} has no config as its default export; write \`export default defineConfig({ … })\` ` +
        '(defineConfig from "plinth")',
    );
  }
  check(file, value, "");
  for (const section of ["connection", "review"]) {
    if (value[section] !== undefined) {
      if (!isObject(value[section])) throw new CliError(`${shown(file)}: ${section} must be an object`);
      check(file, value[section], section);
    }
  }
  const config = value as PlinthConfig;
  const base = dirname(file);
  const path = (key: "schema" | "migrations" | "seed") => {
    const v = config[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" || v === "") throw new CliError(`${shown(file)}: ${key} must be a path`);
    return resolve(base, v);
  };
  if (config.database !== undefined && typeof config.database !== "string") {
    throw new CliError(`${shown(file)}: database must be a URL string`);
  }
  return {
    file,
    database: config.database || undefined,
    schema: path("schema"),
    migrations: path("migrations"),
    seed: path("seed"),
    connection: config.connection ?? {},
    review: config.review ?? {},
  };
}

function check(file: string, value: Record<string, unknown>, section: string): void {
  const known = KEYS[section]!;
  const unknown = Object.keys(value).filter((k) => !known.includes(k));
  if (unknown.length > 0) {
    const where = section ? `${section}.` : "";
    throw new CliError(
      `${shown(file)}: unknown setting ${unknown.map((k) => `${where}${k}`).join(", ")}; ` +
        `known: ${known.map((k) => `${where}${k}`).join(", ")}`,
    );
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
