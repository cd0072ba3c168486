import type { Command } from "commander";

/**
 * The flags commands share, defined once so every command takes the schema, the database and the
 * migrations folder the same way. Defaults come from the environment and plinth.config.ts (see
 * project.ts), so none are set here.
 */
export function schemaOptions(c: Command): Command {
  return c
    .option(
      "-s, --schema <file>",
      "the schema module, TypeScript or JavaScript (default: the config's schema)",
    )
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth instead, e.g. dns-filter");
}

export function databaseOptions(c: Command): Command {
  return c
    .option(
      "--db <url>",
      "database URL (default: DATABASE_URL, then the config's database; for a blueprint sqlite:./data/<name>.db)",
    )
    .option("--attempts <n>", "connection attempts, for failures waiting can fix (default 5)")
    .option("--retry-delay <ms>", "milliseconds between connection attempts (default 5000)")
    .option("--connect-timeout <ms>", "how long opening a connection may take (default 10000; 0: no limit)")
    .option(
      "--statement-timeout <ms>",
      "PostgreSQL: how long one statement may run (default 60000; 0: no limit)",
    );
}

export function migrationsOption(c: Command): Command {
  return c.option("--migrations <dir>", "migrations folder (default: the config's, or ./migrations)");
}

export function jsonOption(c: Command): Command {
  return c.option("--json", "print the result as JSON on stdout (progress stays on stderr)");
}

/** Prints `json` with --json, else the lines `text` gives. */
export function print(o: { json?: boolean }, json: unknown, text: () => string | string[]): void {
  if (o.json) {
    console.log(JSON.stringify(json, null, 2));
    return;
  }
  const out = text();
  const lines = Array.isArray(out) ? out : [out];
  if (lines.length > 0) console.log(lines.join("\n"));
}
