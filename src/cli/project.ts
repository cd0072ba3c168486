import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import pc from "picocolors";
import { connect } from "../audit/connect.js";
import type { ConnectOptions, Db } from "../data/index.js";
import { parseDatabaseUrl, redact } from "../dialect/url.js";
import { DatabaseUrlError } from "../errors.js";
import type { LoadedMigration, ProgressEvent } from "../migrate/index.js";
import { loadMigrations, Migrator } from "../migrate/index.js";
import type { Schema } from "../schema/index.js";
import { schema } from "../schema/index.js";
import type { LoadedConfig } from "./config.js";
import { findConfig, loadConfig } from "./config.js";
import { developmentKeys } from "./dev-keys.js";
import { loadEnvFile } from "./env-file.js";
import { CliError } from "./errors.js";
import { shown } from "./import-module.js";
import { BLUEPRINTS_DIR, blueprintSchemaFile, loadSchema } from "./load.js";

/**
 * What a command works on, from its flags, the environment and plinth.config.ts, in that order of
 * precedence. Every command resolves the schema, the database, the migrations folder and the seed
 * here, so they all take them the same way.
 */
export interface ProjectOptions {
  schema?: string;
  blueprint?: string;
  db?: string;
  migrations?: string;
  seed?: string;
  json?: boolean;
  attempts?: string;
  retryDelay?: string;
  connectTimeout?: string;
  statementTimeout?: string;
}

let configFlag: string | undefined;
let config: Promise<LoadedConfig | undefined> | undefined;

/**
 * Called once before a command runs: `.env` is read into the environment (variables already set
 * win), then the config file is found (`--config`, or plinth.config.* in the current folder).
 */
export function prepareProject(options: { config?: string }): void {
  loadEnvFile();
  configFlag = options.config;
  config = undefined;
}

/** The config file, loaded once; undefined when there is none. */
export function projectConfig(): Promise<LoadedConfig | undefined> {
  config ??= (async () => {
    const file = findConfig(configFlag);
    return file ? loadConfig(file) : undefined;
  })();
  return config;
}

/** The first line a user sees in a folder plinth knows nothing about. */
function noProject(what: string): string {
  return `no plinth.config.ts in ${process.cwd()}: run \`npx plinth init\` to start a project here, or ${what}`;
}

/** The schema module: --schema, --blueprint, or the config's schema. */
export async function schemaFileOf(o: ProjectOptions): Promise<string>;
/** The same, or undefined when none is given or configured (for commands where it is optional). */
export async function schemaFileOf(
  o: ProjectOptions,
  options: { optional: true },
): Promise<string | undefined>;
export async function schemaFileOf(
  o: ProjectOptions,
  { optional = false }: { optional?: boolean } = {},
): Promise<string | undefined> {
  if (o.schema && o.blueprint)
    throw new CliError("give one of --schema <file> or --blueprint <name>, not both");
  if (o.schema) return resolve(o.schema);
  if (o.blueprint) return blueprintSchemaFile(o.blueprint);
  const c = await projectConfig();
  if (c?.schema) return c.schema;
  if (optional) return undefined;
  throw new CliError(
    c
      ? `${shown(c.file)} names no schema; add schema: "./db/schema.ts" to it, or pass --schema <file>`
      : noProject("pass --schema <file> (or --blueprint <name>)"),
  );
}

/** The declared schema, loaded. */
export async function schemaOf(o: ProjectOptions): Promise<Schema> {
  return loadSchema(await schemaFileOf(o));
}

export interface DatabaseChoice {
  url: string;
  /** Where the URL came from, for messages: --db, DATABASE_URL, the config file, a blueprint. */
  source: string;
}

/**
 * The database URL: --db, a blueprint's own SQLite file, DATABASE_URL, or the config's database.
 * A URL plinth cannot use is refused here, naming where it came from, before anything is loaded.
 */
export async function databaseOf(o: ProjectOptions): Promise<DatabaseChoice> {
  const c = await projectConfig();
  const choice: DatabaseChoice | undefined = o.db
    ? { url: o.db, source: "--db" }
    : o.blueprint
      ? { url: `sqlite:./data/${o.blueprint}.db`, source: `blueprint ${o.blueprint}` }
      : process.env.DATABASE_URL
        ? { url: process.env.DATABASE_URL, source: "DATABASE_URL" }
        : c?.database
          ? { url: c.database, source: shown(c.file) }
          : undefined;
  if (!choice) {
    const ways =
      "pass --db <url> (sqlite:./data/app.db, postgres://…, mysql://…) or set DATABASE_URL (in the environment or .env)";
    throw new CliError(
      c ? `no database to work on: ${ways}, or add database to ${shown(c.file)}` : noProject(ways),
    );
  }
  try {
    parseDatabaseUrl(choice.url);
  } catch (error) {
    if (error instanceof DatabaseUrlError) {
      throw new DatabaseUrlError(`${error.message} (from ${choice.source})`, { cause: error });
    }
    throw error;
  }
  return choice;
}

/** --migrations, else the blueprint's folder, else the config's, else ./migrations. */
export async function migrationsOf(o: ProjectOptions): Promise<string> {
  if (o.migrations) return resolve(o.migrations);
  if (o.blueprint) {
    blueprintSchemaFile(o.blueprint); // names the available blueprints when this one does not exist
    return join(BLUEPRINTS_DIR, o.blueprint, "migrations");
  }
  return (await projectConfig())?.migrations ?? resolve("migrations");
}

/** The migrations of the folder, or null when the folder does not exist. */
export async function migrationsIfAny(o: ProjectOptions): Promise<LoadedMigration[] | null> {
  const dir = await migrationsOf(o);
  if (!existsSync(dir)) {
    if (o.migrations)
      throw new CliError(`no migrations folder at ${shown(dir)}; create one with \`plinth migrate make\``);
    return null;
  }
  return loadMigrations(dir);
}

/** The seed module: --seed, else the blueprint's seed.ts when it has one, else the config's seed. */
export async function seedOf(o: ProjectOptions): Promise<string | undefined> {
  if (o.seed) {
    const file = resolve(o.seed);
    if (!existsSync(file)) throw new CliError(`seed file not found: ${shown(file)} (from --seed)`);
    return file;
  }
  if (o.blueprint) {
    const file = join(BLUEPRINTS_DIR, o.blueprint, "seed.ts");
    return existsSync(file) ? file : undefined;
  }
  const c = await projectConfig();
  if (!c?.seed) return undefined;
  if (!existsSync(c.seed)) {
    throw new CliError(
      `seed file not found: ${shown(c.seed)} (from ${shown(c.file)}); create it or remove the setting`,
    );
  }
  return c.seed;
}

export function redactUrl(url: string): string {
  return redact(url);
}

/** Lines for humans go to stderr and only without --json, so stdout stays parseable. */
export function logger(o: { json?: boolean }): (line: string) => void {
  return (line) => {
    if (!o.json) console.error(line);
  };
}

/** A whole number of at least `min` from a flag, or the config's, or the default. */
function number(flag: string | undefined, name: string, configured: number | undefined, fallback: number) {
  if (flag === undefined) return configured ?? fallback;
  const n = Number(flag);
  if (flag.trim() === "" || !Number.isInteger(n) || n < 0) {
    throw new CliError(`${name} must be a whole number (0 or more), not "${flag}"`);
  }
  return n;
}

/** Retries and timeouts: flags, else the config's connection settings, else plinth's defaults. */
export async function connectionOf(o: ProjectOptions): Promise<ConnectOptions> {
  const c = (await projectConfig())?.connection ?? {};
  const attempts = number(o.attempts, "--attempts", c.attempts, 5);
  const delayMs = number(o.retryDelay, "--retry-delay", c.retryDelayMs, 5000);
  const connectTimeoutMs =
    o.connectTimeout !== undefined || c.connectTimeoutMs !== undefined
      ? number(o.connectTimeout, "--connect-timeout", c.connectTimeoutMs, 0)
      : undefined;
  const statementTimeoutMs =
    o.statementTimeout !== undefined || c.statementTimeoutMs !== undefined
      ? number(o.statementTimeout, "--statement-timeout", c.statementTimeoutMs, 0)
      : undefined;
  const log = logger(o);
  return {
    retry: {
      attempts: Math.max(1, attempts),
      delayMs,
      onRetry: (attempt, error) =>
        log(
          pc.yellow(
            `  attempt ${attempt} failed (${error instanceof Error ? error.message : error}); retrying`,
          ),
        ),
    },
    ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    ...(statementTimeoutMs !== undefined ? { statementTimeoutMs } : {}),
  };
}

export interface ConnectForOptions {
  /** Make development encryption keys beside a SQLite file when none are configured (`plinth up`). */
  createDevelopmentKeys?: boolean;
  /** Commands that only read: never create a SQLite file or PGlite folder. */
  mustExist?: boolean;
  /** Told of every statement (plinth serve's metrics). */
  observer?: ConnectOptions["observer"];
  /**
   * The command migrates: PLINTH_DIRECT_URL, when set, replaces the database URL (not --db), so a
   * service that reaches its database through a transaction-mode pooler migrates over a direct
   * connection.
   */
  direct?: boolean;
}

/**
 * Connects to the command's database with the command's settings. The audit trail the schema
 * declares is wired (connect from the audit layer), so every write a command makes is recorded.
 */
export async function connectFor(
  o: ProjectOptions,
  declared: Schema = schema({}),
  { createDevelopmentKeys = false, mustExist = false, observer, direct = false }: ConnectForOptions = {},
): Promise<{ db: Db<Schema>; url: string }> {
  const log = logger(o);
  // --db still wins: it names the database to work on, whatever the environment says.
  const directUrl = direct && !o.db ? process.env.PLINTH_DIRECT_URL : undefined;
  const { url } = directUrl ? { url: directUrl } : await databaseOf(o);
  if (directUrl) log(pc.dim("migrating over PLINTH_DIRECT_URL"));
  const settings = await connectionOf(o);
  log(pc.dim(`connecting to ${redactUrl(url)} …`));
  const encryptionKeys = developmentKeys(url, declared.model, (line) => log(pc.yellow(line)), {
    create: createDevelopmentKeys,
  });
  const db = await connect(url, declared, {
    ...settings,
    ...(encryptionKeys ? { encryptionKeys } : {}),
    ...(mustExist ? { mustExist } : {}),
    ...(observer ? { observer } : {}),
  });
  return { db, url };
}

/** A Migrator that prints one line per migration as it runs (to stderr, without --json). */
export function migratorFor(db: Db<Schema>, migrations: LoadedMigration[], o: { json?: boolean }): Migrator {
  const log = logger(o);
  return new Migrator({
    db,
    migrations,
    lock: {
      onWait: () => log(pc.yellow("another runner holds the migration lock on this database; waiting …")),
    },
    onProgress: (e: ProgressEvent) => {
      const verb = e.direction === "up" ? "applying" : "rolling back";
      if (e.phase === "start") log(pc.dim(`${verb} ${e.id} …`));
      else if (e.phase === "done" && !o.json) {
        console.log(
          `${e.direction === "up" ? pc.green("applied ") : pc.yellow("reverted")}  ${e.id} (${e.durationMs} ms)`,
        );
      } else if (e.phase === "skipped") log(pc.dim(`skipped  ${e.id} (done meanwhile by another runner)`));
    },
  });
}
