import { relative } from "node:path";
import { withAuditContext } from "../audit/index.js";
import type { Db } from "../data/index.js";
import type { Schema } from "../schema/index.js";
import { CliError } from "./errors.js";
import { exportedValues, importModule, shown } from "./import-module.js";

/**
 * Seed data: a module exporting `seed(db)`, run by `plinth up` after the migrations. It must be
 * idempotent (insert what is missing, never duplicate) because `up` runs it every time; it may return
 * an array with a line per thing it changed, which `up` prints.
 */
export type SeedFunction = (db: Db<any>) => Promise<unknown>;

/** Who the audit trail names for rows a seed writes. */
export function seedActor(file: string) {
  return { id: "plinth:seed", name: `plinth up (seed ${relative(process.cwd(), file) || file})` };
}

/**
 * Runs the seed on the CLI's own connection, inside an audit context naming the seed: its writes to
 * audited tables go through the audit trail `connect` wired, like every other write.
 */
export async function runSeed(file: string, db: Db<Schema>): Promise<string[]> {
  const mod = await importModule(file, "seed file");
  const seed =
    mod.seed ??
    exportedValues(mod).find(
      (v): v is { seed: unknown } => typeof v === "object" && v !== null && "seed" in v,
    )?.seed ??
    exportedValues(mod).find((v) => typeof v === "function");
  if (typeof seed !== "function") {
    throw new CliError(
      `${shown(file)} exports no seed(db) function; add \`export async function seed(db) { … }\``,
    );
  }
  const changed = await withAuditContext({ actor: seedActor(file) }, () => (seed as SeedFunction)(db));
  return Array.isArray(changed) ? changed.map(String) : [];
}
