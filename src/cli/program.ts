import { readFileSync } from "node:fs";
import { Command } from "commander";
import { docsCommand } from "./docs-command.js";
import { initCommand } from "./init-command.js";
import { keysCommand } from "./keys-command.js";
import { migrateCommand } from "./migrate-command.js";
import { doctorCommand, serveCommand } from "./ops-command.js";
import { prepareProject } from "./project.js";
import { partitionsCommand, pruneCommand } from "./prune-command.js";
import { reviewCommand } from "./review-command.js";
import { schemaCommand } from "./schema-command.js";
import { upCommand } from "./up-command.js";

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

/**
 * The `plinth` command tree, built without running it: main.ts parses the command line with it, and
 * tests walk it (every command that prints a result takes --json, test/cli/json-output.test.ts).
 */
export function buildProgram(): Command {
  return (
    new Command()
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
      .addCommand(docsCommand())
      .addCommand(keysCommand())
      .addCommand(doctorCommand())
      .addCommand(serveCommand())
      .addCommand(pruneCommand())
      .addCommand(partitionsCommand())
  );
}
