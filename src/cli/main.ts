import { readFileSync } from "node:fs";
import { Command } from "commander";
import pc from "picocolors";
import { ConnectionError, PlinthError } from "../errors.js";
import { initCommand } from "./init-command.js";
import { keysCommand } from "./keys-command.js";
import { migrateCommand } from "./migrate-command.js";
import { prepareProject } from "./project.js";
import { reviewCommand } from "./review-command.js";
import { schemaCommand } from "./schema-command.js";
import { upCommand } from "./up-command.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("plinth")
  .description("One schema declaration, the whole relational data layer: SQLite, PostgreSQL and MySQL.")
  .version(pkg.version, "-v, --version")
  .option("-c, --config <file>", "the config file (default: plinth.config.ts, .js, .mjs or .cjs here)")
  .addHelpText(
    "after",
    "\nEvery command reads .env and plinth.config.ts from the current folder. Flags win over the\n" +
      "environment (DATABASE_URL), which wins over the config file. `plinth init` writes one.",
  )
  .showHelpAfterError()
  // Before any command: .env into the environment, and which config file to read.
  .hook("preAction", (_program, command) => prepareProject(command.optsWithGlobals()))
  .addCommand(initCommand())
  .addCommand(upCommand())
  .addCommand(migrateCommand())
  .addCommand(schemaCommand())
  .addCommand(reviewCommand())
  .addCommand(keysCommand());

try {
  await program.parseAsync(process.argv);
} catch (error) {
  // Every error a user can cause is a PlinthError and its message is the whole story: one line.
  // Anything else is a mistake in plinth (or in a seed module it ran), so the stack is what helps.
  if (error instanceof PlinthError) {
    const label = error instanceof ConnectionError ? "cannot connect" : "error";
    console.error(`${pc.red(`plinth: ${label}:`)} ${error.message}`);
  } else {
    console.error(
      pc.red(
        "plinth: internal error: this is a bug in plinth (or in the seed module it ran); please report it with the stack below",
      ),
    );
    console.error(error);
  }
  // A command may have chosen its own failure code (schema diff: 2, so 1 can mean "drift").
  if (!process.exitCode) process.exitCode = 1;
}
