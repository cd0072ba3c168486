import { Command } from "commander";
import pc from "picocolors";
import { connect } from "../data/index.js";
import { blueprintSchemaFile, CliError, loadSchema } from "./load.js";

interface UpOptions {
  blueprint?: string;
  schema?: string;
  db?: string;
  attempts: string;
  retryDelay: string;
  json?: boolean;
}

/**
 * `plinth up`: wait for the database, then bring it to the declared schema. Today that means
 * creating every missing table; existing tables are left alone, so running it twice changes nothing.
 */
export function upCommand(): Command {
  return new Command("up")
    .description("wait for the database and create every declared table that is missing")
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth, e.g. dns-filter")
    .option("-s, --schema <file>", "your schema module (TypeScript or JavaScript)")
    .option("--db <url>", "database URL (default for a blueprint: sqlite:./data/<name>.db)")
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
      const schema = await loadSchema(file);
      const log = (line: string) => {
        if (!options.json) console.error(line);
      };
      log(pc.dim(`connecting to ${url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@")} …`));
      const db = await connect(url, schema, {
        retry: {
          attempts: Number(options.attempts),
          delayMs: Number(options.retryDelay),
          onRetry: (attempt, error) =>
            log(
              pc.yellow(
                `  attempt ${attempt} failed (${error instanceof Error ? error.message : error}); retrying`,
              ),
            ),
        },
      });
      try {
        const result = await db.createSchema();
        if (options.json) {
          console.log(JSON.stringify({ database: url, engine: db.engine, ...result }, null, 2));
          return;
        }
        for (const t of result.created) console.log(`${pc.green("created")}  ${t}`);
        for (const t of result.existing) console.log(`${pc.dim("exists ")}  ${t}`);
        console.log(
          `${result.created.length} table${result.created.length === 1 ? "" : "s"} created, ` +
            `${result.existing.length} already present (${db.engine})`,
        );
      } finally {
        await db.close();
      }
    });
}
