import { existsSync } from "node:fs";
import { Command } from "commander";
import pc from "picocolors";
import { AUDIT_TABLE, installAuditTrail } from "../audit/index.js";
import type { Db } from "../data/index.js";
import { parseDatabaseUrl } from "../dialect/url.js";
import type { MigrationResult } from "../migrate/index.js";
import { autodetect, describeOperation, loadMigrations } from "../migrate/index.js";
import type { Schema } from "../schema/index.js";
import { blueprintSchemaFile, CliError, loadSchema } from "./load.js";
import { failureText } from "./migrate-command.js";
import { connectFor, migrationsDir, migratorFor, redactUrl } from "./migrate-context.js";
import { runSeed, seedFile } from "./seed.js";

interface UpOptions {
  blueprint?: string;
  schema?: string;
  db?: string;
  migrations?: string;
  seed?: string;
  force?: boolean;
  attempts: string;
  retryDelay: string;
  json?: boolean;
}

/**
 * `plinth up`: wait for the database, then bring it to the declared schema. With a migrations
 * folder (the blueprint's, --migrations, or ./migrations) that means applying every pending
 * migration; without one, creating every missing table. Then the seed runs, if there is one. Both
 * are idempotent, so a second run changes nothing.
 */
export function upCommand(): Command {
  return new Command("up")
    .description("wait for the database, apply pending migrations (or create missing tables), then seed")
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth, e.g. dns-filter")
    .option("-s, --schema <file>", "your schema module (TypeScript or JavaScript)")
    .option("--db <url>", "database URL (default for a blueprint: sqlite:./data/<name>.db)")
    .option(
      "--migrations <dir>",
      "migrations folder (default: the blueprint's, or ./migrations when it exists)",
    )
    .option("--seed <file>", "module exporting an idempotent seed(db) (default: the blueprint's seed.ts)")
    .option("--force", "accept applied migrations whose files were edited since")
    .option("--attempts <n>", "connection attempts before giving up", "5")
    .option("--retry-delay <ms>", "milliseconds between connection attempts", "5000")
    .option("--json", "print the result as JSON")
    .action(async (options: UpOptions) => {
      if (Boolean(options.blueprint) === Boolean(options.schema)) {
        throw new CliError("give exactly one of --blueprint <name> or --schema <file>");
      }
      const file = options.blueprint ? blueprintSchemaFile(options.blueprint) : options.schema!;
      const url = options.db ?? (options.blueprint ? `sqlite:./data/${options.blueprint}.db` : undefined);
      if (!url) throw new CliError("--db <url> is required with --schema");
      parseDatabaseUrl(url); // a bad --db is reported before the schema and migrations are loaded
      const declared = await loadSchema(file);
      const dir = migrationsDir(options);
      if (options.migrations && !existsSync(dir)) {
        throw new CliError(`no migrations folder at ${dir}; create one with \`plinth migrate make\``);
      }
      const migrations = existsSync(dir) ? await loadMigrations(dir) : null;
      const seed = seedFile(options);
      const db = await connectFor({ ...options, db: url }, declared, { createDevelopmentKeys: true });
      try {
        const output: Record<string, unknown> = { database: redactUrl(url), engine: db.engine };
        if (migrations) {
          const ok = await migrate(db, migrations, declared, options, output);
          if (!ok) return;
        } else {
          const result = await db.createSchema();
          Object.assign(output, result);
          if (!options.json) {
            for (const t of result.created) console.log(`${pc.green("created")}  ${t}`);
            for (const t of result.existing) console.log(`${pc.dim("exists ")}  ${t}`);
            console.log(
              `${result.created.length} table${result.created.length === 1 ? "" : "s"} created, ` +
                `${result.existing.length} already present (${db.engine})`,
            );
          }
        }
        // The audit table is only trustworthy once the database itself refuses to rewrite it.
        if (db.schema.table(AUDIT_TABLE)) {
          await installAuditTrail(db);
          output.appendOnly = [AUDIT_TABLE];
          if (!options.json) console.log(`${pc.green("guarded")}  ${AUDIT_TABLE} is append-only`);
        }
        if (seed) {
          const changed = await runSeed(seed, db);
          output.seed = changed;
          if (!options.json) {
            for (const line of changed) console.log(`${pc.green("seeded ")}  ${line}`);
            if (changed.length === 0) console.log("seed: nothing to add");
          }
        }
        if (options.json) console.log(JSON.stringify(output, null, 2));
      } finally {
        await db.close();
      }
    });
}

/** Applies pending migrations; false when one failed (reported, exit code 1). */
async function migrate(
  db: Db<Schema>,
  migrations: Awaited<ReturnType<typeof loadMigrations>>,
  declared: Schema,
  options: UpOptions,
  output: Record<string, unknown>,
): Promise<boolean> {
  const migrator = migratorFor(db, migrations, options);
  const result: MigrationResult = await migrator.up(undefined, { force: options.force });
  const current = await migrator.current();
  // The declaration may have moved on without a migration: say so rather than silently differ.
  const all = migrator.graph.order().map((m) => m.id);
  let undescribed: string[] = [];
  try {
    undescribed = autodetect(migrator.graph.stateAt(all), declared.model).operations.map(describeOperation);
  } catch (error) {
    undescribed = [error instanceof Error ? error.message : String(error)];
  }
  Object.assign(output, {
    migrations: { ...result, current },
    ...(undescribed.length > 0 ? { undescribed } : {}),
  });
  if (result.error) {
    if (options.json) console.log(JSON.stringify(output, null, 2));
    else console.error(failureText(result.error));
    process.exitCode = 1;
    return false;
  }
  if (!options.json) {
    const n = result.applied.length;
    console.log(
      n === 0
        ? `nothing to migrate: the database is at ${current.join(", ")} (${db.engine})`
        : `${n} migration${n === 1 ? "" : "s"} applied; the database is at ${current.join(", ")} (${db.engine})`,
    );
    if (undescribed.length > 0) {
      console.error(
        pc.yellow(
          `the declaration has changes no migration describes (${undescribed.join("; ")}); run \`plinth migrate make\``,
        ),
      );
    }
  }
  return true;
}
