import { existsSync, readdirSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Schema } from "../schema/index.js";
import { isSchema } from "../schema/index.js";
import { CliError } from "./errors.js";
import { exportedValues, importModule, shown } from "./import-module.js";

export { CliError } from "./errors.js";

/** The blueprints shipped inside the plinth package. */
export const BLUEPRINTS_DIR = fileURLToPath(new URL("../../blueprints/", import.meta.url));

export function blueprintNames(): string[] {
  if (!existsSync(BLUEPRINTS_DIR)) return [];
  return readdirSync(BLUEPRINTS_DIR, { withFileTypes: true })
    .filter((e) => e.isDirectory() && existsSync(resolve(BLUEPRINTS_DIR, e.name, "schema.ts")))
    .map((e) => e.name)
    .sort();
}

export function blueprintSchemaFile(name: string): string {
  const file = resolve(BLUEPRINTS_DIR, name, "schema.ts");
  if (!existsSync(file)) {
    throw new CliError(
      `unknown blueprint "${name}"; available: ${blueprintNames().join(", ") || "(none)"} ` +
        "(`plinth up --blueprint <name>`)",
    );
  }
  return file;
}

/**
 * Loads a schema module written in TypeScript or JavaScript, ESM or CommonJS. The module's default
 * export, or else its first exported schema(), is used.
 */
export async function loadSchema(file: string): Promise<Schema> {
  const mod = await importModule(file, "schema file");
  const found = exportedValues(mod).find(isSchema);
  if (!found) {
    throw new CliError(
      `${shown(resolve(file))} exports no schema(); end it with \`export default schema({ …tables })\` ` +
        '(schema from "plinth/schema")',
    );
  }
  return found;
}
