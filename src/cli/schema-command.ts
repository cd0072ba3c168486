import { Command, Option } from "commander";
import { dialectOf, renderSchema } from "../dialect/index.js";
import { erDiagram } from "../review/index.js";
import type { Dialect } from "../schema/index.js";
import { DIALECTS, snapshotJson } from "../schema/index.js";
import { blueprintSchemaFile, CliError, loadSchema } from "./load.js";
import { parseRenames } from "./migrate-make.js";
import { DIFF_EXIT, diffExitCode, diffSources, loadSource, printDiff } from "./schema-diff.js";

export function schemaCommand(): Command {
  const schema = new Command("schema").description("Inspect a schema declaration");

  schema
    .command("sql")
    .description("print the DDL that creates the schema on one engine")
    .addOption(new Option("-d, --dialect <dialect>", "target engine").choices(DIALECTS).makeOptionMandatory())
    .argument("<schema-file>", "TypeScript or JavaScript module exporting a schema()")
    .action(async (file: string, options: { dialect: Dialect }) => {
      const loaded = await loadSchema(file);
      const statements = renderSchema(loaded.model, dialectOf(options.dialect));
      process.stdout.write(`${statements.map((s) => `${s};`).join("\n\n")}\n`);
    });

  schema
    .command("snapshot")
    .description("print the canonical, dialect-neutral JSON snapshot of the schema")
    .argument("<schema-file>", "TypeScript or JavaScript module exporting a schema()")
    .action(async (file: string) => {
      process.stdout.write(snapshotJson(await loadSchema(file)));
    });

  schema
    .command("er")
    .description("print a Mermaid erDiagram of the schema: tables, columns, keys, relationships")
    .argument("[schema-file]", "TypeScript or JavaScript module exporting a schema()")
    .option("-b, --blueprint <name>", "a blueprint shipped with plinth, e.g. dns-filter")
    .option("--no-comments", "leave out the quoted column comments (nullability, enum values, docs)")
    .option("--fence", "wrap the diagram in a ```mermaid code fence, ready for Markdown")
    .option("-t, --table <name...>", "only these tables and the relationships among them")
    .action(async (file: string | undefined, options: ErOptions) => {
      if (Boolean(file) === Boolean(options.blueprint)) {
        throw new CliError("give exactly one of a schema file or --blueprint <name>");
      }
      const loaded = await loadSchema(options.blueprint ? blueprintSchemaFile(options.blueprint) : file!);
      const diagram = erDiagram(loaded, { comments: options.comments, tables: options.table });
      process.stdout.write(options.fence ? `\`\`\`mermaid\n${diagram}\`\`\`\n` : diagram);
    });

  schema
    .command("diff")
    .description(
      "compare the declaration with a live database, or any two sources; exit code 0 equal, 1 drift, 2 error, 3 equal but some objects not compared",
    )
    .argument("[schema-file]", "the declaration to compare with --db")
    .option("--db <url>", "the live database to compare with the declaration")
    .option("--from <source>", "database URL or schema file: the current side")
    .option("--to <source>", "database URL or schema file: the wanted side")
    .option("--sql", "also print the migration (up and down) that turns --from into --to")
    .option(
      "--rename <from=to>",
      "a rename, not a drop and add: table.old_column=new_column or old_table=new_table",
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option("--allow-data-loss", "print --sql even when it drops tables or columns or narrows a type")
    .addOption(new Option("-d, --dialect <dialect>", "engine to render SQL for").choices(DIALECTS))
    .option("--json", "print the result as JSON")
    .action(async (file: string | undefined, options: DiffOptions) => {
      // Any failure is exit code 2, apart from drift (1): a script can tell "differs" from "broke".
      try {
        const [fromSpec, toSpec] = options.db ? [options.db, file] : [options.from, options.to];
        if (!fromSpec || !toSpec) {
          throw new CliError("give a schema file with --db <url>, or both --from <source> and --to <source>");
        }
        const from = await loadSource(fromSpec);
        const to = await loadSource(toSpec);
        const result = diffSources(from, to, {
          dialect: options.dialect,
          sql: options.sql,
          renames: parseRenames(options.rename),
          allowDataLoss: options.allowDataLoss,
        });
        if (options.json) console.log(JSON.stringify({ from: from.label, to: to.label, ...result }, null, 2));
        else printDiff(from, to, result);
        process.exitCode = diffExitCode(result);
      } catch (error) {
        process.exitCode = DIFF_EXIT.error;
        throw error;
      }
    });

  return schema;
}

interface ErOptions {
  blueprint?: string;
  comments: boolean;
  fence?: boolean;
  table?: string[];
}

interface DiffOptions {
  db?: string;
  from?: string;
  to?: string;
  sql?: boolean;
  rename: string[];
  allowDataLoss?: boolean;
  dialect?: Dialect;
  json?: boolean;
}
