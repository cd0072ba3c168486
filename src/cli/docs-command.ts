import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";
import { Command, Option } from "commander";
import { docsHtml, docsMarkdown, schemaDocs } from "../review/index.js";
import { loadSchema } from "./load.js";
import { jsonOption, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import { logger, schemaFileOf } from "./project.js";

interface DocsOptions extends ProjectOptions {
  format: "md" | "html";
  out?: string;
  title?: string;
}

/**
 * `plinth docs`: the schema's documentation (tables, columns, types, constraints, doc strings, ER
 * diagram) as Markdown or one self-contained HTML file. The same declaration gives the same bytes,
 * so the file can be committed and regenerated in CI to check it is current.
 */
export function docsCommand(): Command {
  const c = new Command("docs").description(
    "write the schema's documentation: tables, columns, types, constraints, doc strings and the ER diagram",
  );
  schemaOptions(c);
  return jsonOption(c)
    .addOption(
      new Option("--format <format>", "md or html (one self-contained file)")
        .choices(["md", "html"])
        .default("md"),
    )
    .option("--out <path>", "write it there instead of stdout")
    .option("--title <text>", "the document's title (default: the blueprint's or package's name)")
    .action((o: DocsOptions) => docs(o));
}

async function docs(o: DocsOptions): Promise<void> {
  const file = await schemaFileOf(o);
  const schema = await loadSchema(file);
  const title = o.title ?? `${o.blueprint ?? projectName() ?? basename(dirname(file))} schema`;
  const data = schemaDocs(schema, title);
  const text = o.format === "html" ? docsHtml(data, schema.model) : docsMarkdown(data);
  if (o.out) {
    writeFileSync(o.out, text);
    logger(o)(`wrote the schema documentation to ${o.out}`);
  }
  // --json: the documentation as data (what the files are made from), and where it was written.
  if (o.json) console.log(JSON.stringify({ format: o.format, file: o.out ?? null, ...data }, null, 2));
  else if (!o.out) process.stdout.write(text);
}

/** The name in the working directory's package.json, if there is one. */
function projectName(): string | undefined {
  if (!existsSync("package.json")) return undefined;
  try {
    const name = (JSON.parse(readFileSync("package.json", "utf8")) as { name?: unknown }).name;
    return typeof name === "string" && name !== "" ? name : undefined;
  } catch {
    return undefined;
  }
}
