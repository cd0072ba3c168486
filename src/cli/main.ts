import { readFileSync } from "node:fs";
import { Command } from "commander";
import pc from "picocolors";
import { ConnectionError, PlinthError } from "../errors.js";
import { SchemaError } from "../schema/index.js";
import { keysCommand } from "./keys-command.js";
import { CliError } from "./load.js";
import { migrateCommand } from "./migrate-command.js";
import { schemaCommand } from "./schema-command.js";
import { upCommand } from "./up-command.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("plinth")
  .description("One schema declaration, the whole relational data layer: SQLite, PostgreSQL and MySQL.")
  .version(pkg.version, "-v, --version")
  .showHelpAfterError()
  .addCommand(schemaCommand())
  .addCommand(upCommand())
  .addCommand(migrateCommand())
  .addCommand(keysCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Errors a user can cause get one clear line; anything else keeps its stack for a bug report.
  if (error instanceof CliError || error instanceof SchemaError || error instanceof PlinthError) {
    const label = error instanceof ConnectionError ? "cannot connect" : "error";
    console.error(`${pc.red(`plinth: ${label}:`)} ${error.message}`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
