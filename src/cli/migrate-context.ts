import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import pc from "picocolors";
import type { Db } from "../data/index.js";
import { connect } from "../data/index.js";
import { parseDatabaseUrl } from "../dialect/url.js";
import type { LoadedMigration, ProgressEvent } from "../migrate/index.js";
import { loadMigrations, Migrator } from "../migrate/index.js";
import type { Schema } from "../schema/index.js";
import { schema } from "../schema/index.js";
import { developmentKeys } from "./dev-keys.js";
import { BLUEPRINTS_DIR, blueprintSchemaFile, CliError } from "./load.js";

/** Options every `plinth migrate` command understands. */
export interface MigrateOptions {
  blueprint?: string;
  schema?: string;
  migrations?: string;
  db?: string;
  json?: boolean;
  force?: boolean;
  attempts?: string;
  retryDelay?: string;
}

/** `--migrations`, else the blueprint's own folder, else ./migrations. */
export function migrationsDir(o: MigrateOptions): string {
  if (o.migrations) return resolve(o.migrations);
  if (o.blueprint) {
    blueprintSchemaFile(o.blueprint); // names the available blueprints when this one does not exist
    return join(BLUEPRINTS_DIR, o.blueprint, "migrations");
  }
  return resolve("migrations");
}

/**
 * `--db`, else a blueprint's embedded SQLite file. A URL plinth cannot read is refused here, before
 * anything is loaded or printed, so the mistake is the only line the user sees.
 */
export function databaseUrl(o: MigrateOptions): string {
  if (o.db) {
    parseDatabaseUrl(o.db);
    return o.db;
  }
  if (o.blueprint) return `sqlite:./data/${o.blueprint}.db`;
  throw new CliError(
    "--db <url> is required (sqlite:./app.db, postgres://…, mysql://…), or use --blueprint <name>",
  );
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** Lines for humans go to stderr and only without --json, so stdout stays parseable. */
export function logger(o: { json?: boolean }): (line: string) => void {
  return (line) => {
    if (!o.json) console.error(line);
  };
}

export async function connectFor(
  o: MigrateOptions,
  declared: Schema = schema({}),
  { createDevelopmentKeys = false } = {},
): Promise<Db<Schema>> {
  const url = databaseUrl(o);
  const log = logger(o);
  log(pc.dim(`connecting to ${redactUrl(url)} …`));
  const encryptionKeys = developmentKeys(url, declared.model, (line) => log(pc.yellow(line)), {
    create: createDevelopmentKeys,
  });
  return connect(url, declared, {
    ...(encryptionKeys ? { encryptionKeys } : {}),
    retry: {
      attempts: Number(o.attempts ?? 5),
      delayMs: Number(o.retryDelay ?? 5000),
      onRetry: (attempt, error) =>
        log(
          pc.yellow(
            `  attempt ${attempt} failed (${error instanceof Error ? error.message : error}); retrying`,
          ),
        ),
    },
  });
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

export async function loadFolder(o: MigrateOptions): Promise<LoadedMigration[]> {
  return loadMigrations(migrationsDir(o));
}

export function folderExists(dir: string): boolean {
  return existsSync(dir);
}
