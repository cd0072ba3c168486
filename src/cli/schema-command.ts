import { Command, Option } from "commander";
import { dialectOf, renderSchema } from "../dialect/index.js";
import type { Dialect } from "../schema/index.js";
import { snapshotJson } from "../schema/index.js";
import { loadSchema } from "./load.js";

export function schemaCommand(): Command {
  const schema = new Command("schema").description("Inspect a schema declaration");

  schema
    .command("sql")
    .description("print the DDL that creates the schema on one engine")
    .addOption(
      new Option("-d, --dialect <dialect>", "target engine")
        .choices(["sqlite", "postgres", "mysql"])
        .makeOptionMandatory(),
    )
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

  return schema;
}
