import { Command, Option } from "commander";
import { dialectOf, renderSchema } from "../dialect/index.js";
import { erDiagram, erRelationships } from "../review/index.js";
import type { Dialect, Schema } from "../schema/index.js";
import { DIALECTS, snapshot, snapshotJson } from "../schema/index.js";
import { CliError } from "./errors.js";
import { loadSchema } from "./load.js";
import { parseRenames } from "./migrate-make.js";
import { jsonOption, print, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import { databaseOf, schemaFileOf } from "./project.js";
import { DIFF_EXIT, diffExitCode, diffSources, loadSource, printDiff } from "./schema-diff.js";

/**
 * `plinth schema …`: what the declaration says, and how a database compares with it. The schema is
 * taken as by every command (--schema, --blueprint, or the config's); a file given as the argument
 * is the same as --schema.
 */
export function schemaCommand(): Command {
  const schema = new Command("schema").description(
    "inspect a schema declaration and compare it with a database",
  );

  withSchema(schema.command("sql"))
    .description("print the DDL that creates the schema on one engine")
    .addOption(new Option("-d, --dialect <dialect>", "target engine").choices(DIALECTS).makeOptionMandatory())
    .action(async (file: string | undefined, o: SchemaOptions & { dialect: Dialect }) => {
      const loaded = await declared(file, o);
      const statements = renderSchema(loaded.model, dialectOf(o.dialect));
      if (o.json) console.log(JSON.stringify({ dialect: o.dialect, statements }, null, 2));
      else process.stdout.write(`${statements.map((s) => `${s};`).join("\n\n")}\n`);
    });

  withSchema(schema.command("snapshot"))
    .description("print the canonical, dialect-neutral JSON snapshot of the schema")
    .action(async (file: string | undefined, o: SchemaOptions) => {
      const loaded = await declared(file, o);
      // The snapshot is JSON already: --json prints it as an object like every other command's result.
      if (o.json) console.log(JSON.stringify(snapshot(loaded), null, 2));
      else process.stdout.write(snapshotJson(loaded));
    });

  withSchema(schema.command("er"))
    .description("print a Mermaid erDiagram of the schema: tables, columns, keys, relationships")
    .option("--no-comments", "leave out the quoted column comments (nullability, enum values, docs)")
    .option("--fence", "wrap the diagram in a ```mermaid code fence, ready for Markdown")
    .option("-t, --table <name...>", "only these tables and the relationships among them")
    .action(async (file: string | undefined, o: ErOptions) => {
      const loaded = await declared(file, o);
      const diagram = erDiagram(loaded, { comments: o.comments, tables: o.table });
      const tables = loaded.model.tables.filter((t) => !o.table || o.table.includes(t.name));
      print(o, { diagram, relationships: erRelationships(tables) }, () =>
        (o.fence ? `\`\`\`mermaid\n${diagram}\`\`\`` : diagram).replace(/\n$/, ""),
      );
    });

  withSchema(schema.command("diff"))
    .description(
      "compare the declaration with the database (default: the configured ones), or any two sources; exit code 0 equal, 1 drift, 2 error, 3 equal but some objects not compared",
    )
    .option(
      "--db <url>",
      "the live database to compare with the declaration (default: DATABASE_URL, the config's)",
    )
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
    .action(async (file: string | undefined, o: DiffOptions) => {
      // Any failure is exit code 2, apart from drift (1): a script can tell "differs" from "broke".
      try {
        if (Boolean(o.from) !== Boolean(o.to))
          throw new CliError("give both --from <source> and --to <source>");
        const [fromSpec, toSpec] =
          o.from && o.to
            ? [o.from, o.to]
            : [(await databaseOf(o)).url, await schemaFileOf(withFile(file, o))];
        // Comparing reads the database: a mistyped path must not create an empty one to compare with.
        const from = await loadSource(fromSpec, { mustExist: true });
        const to = await loadSource(toSpec, { mustExist: true });
        const result = diffSources(from, to, {
          dialect: o.dialect,
          sql: o.sql,
          renames: parseRenames(o.rename),
          allowDataLoss: o.allowDataLoss,
        });
        if (o.json) console.log(JSON.stringify({ from: from.label, to: to.label, ...result }, null, 2));
        else printDiff(from, to, result);
        process.exitCode = diffExitCode(result);
      } catch (error) {
        process.exitCode = DIFF_EXIT.error;
        throw error;
      }
    });

  return schema;
}

type SchemaOptions = ProjectOptions;

interface ErOptions extends SchemaOptions {
  comments: boolean;
  fence?: boolean;
  table?: string[];
}

interface DiffOptions extends SchemaOptions {
  from?: string;
  to?: string;
  sql?: boolean;
  rename: string[];
  allowDataLoss?: boolean;
  dialect?: Dialect;
}

/** The schema flags, --json, and the schema file as an optional argument (the same as --schema). */
function withSchema(c: Command): Command {
  c.argument("[schema-file]", "the schema module (the same as --schema)");
  schemaOptions(c);
  return jsonOption(c);
}

function withFile(file: string | undefined, o: SchemaOptions): SchemaOptions {
  if (file && o.schema) throw new CliError(`give the schema once: "${file}" or --schema ${o.schema}`);
  return file ? { ...o, schema: file } : o;
}

async function declared(file: string | undefined, o: SchemaOptions): Promise<Schema> {
  return loadSchema(await schemaFileOf(withFile(file, o)));
}
