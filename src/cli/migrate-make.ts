import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { createInterface } from "node:readline/promises";
import type { Detected, LoadedMigration, Migration, Renames } from "../migrate/index.js";
import { autodetect, loadMigrations, type MigrationGraph, renderMigrationFile } from "../migrate/index.js";
import type { SchemaModel } from "../schema/index.js";
import { CliError } from "./load.js";

export interface MadeMigration {
  /** The file written, or null when there was nothing to write. */
  file: string | null;
  id: string | null;
  operations: string[];
  notes: string[];
}

/** The migrations of a folder that may not exist yet: `make` creates it. */
export async function loadOrCreate(dir: string): Promise<LoadedMigration[]> {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    return [];
  }
  return loadMigrations(dir);
}

/**
 * `--rename account.nick=nickname` renames a column (table named as in the declaration),
 * `--rename team=squad` a table.
 */
export function parseRenames(specs: string[]): Renames {
  const renames: Required<Renames> = { tables: {}, columns: {} };
  for (const spec of specs) {
    const m = /^([^=\s]+)=([^=\s.]+)$/.exec(spec);
    if (!m) throw new CliError(`--rename ${spec}: write table.old_column=new_column or old_table=new_table`);
    const [, from, to] = m as unknown as [string, string, string];
    if (from.includes(".")) renames.columns[from] = to;
    else renames.tables[from] = to;
  }
  return renames;
}

/** The single head new work builds on; several heads must be merged first. */
export function singleHead(graph: MigrationGraph): string | undefined {
  const heads = graph.heads;
  if (heads.length > 1) {
    throw new CliError(
      `the migrations have ${heads.length} heads (${heads.join(", ")}); run \`plinth migrate merge\` first`,
    );
  }
  return heads[0];
}

/**
 * Compares the migrations' end state with the declaration. What the autodetector refuses (a bad
 * --rename, a changed primary key) is a MigrationError, which the CLI prints as one line.
 */
export function detect(from: SchemaModel, to: SchemaModel, renames: Renames): Detected {
  return autodetect(from, to, renames);
}

/** Renames the autodetector suspects, as `--rename` specs: "a.b=c" or "a=b". */
export function suggestedRenames(notes: string[]): string[] {
  return notes.flatMap((n) => /--rename (\S+=\S+)/.exec(n)?.[1] ?? []);
}

/** Asks on the terminal whether each suspected rename is one; answers default to no. */
export async function confirmRenames(suggestions: string[]): Promise<string[]> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const accepted: string[] = [];
    for (const s of suggestions) {
      const [from, to] = s.split("=");
      const answer = await rl.question(`Is ${from} renamed to ${to}? Renaming keeps its data. [y/N] `);
      if (/^y(es)?$/i.test(answer.trim())) accepted.push(s);
    }
    return accepted;
  } finally {
    rl.close();
  }
}

/** The next file number: one more than the highest numbered file, four digits. */
export function nextNumber(migrations: LoadedMigration[]): string {
  // Branches reuse numbers (two 0003_ files), so count by the highest number, not by files.
  const highest = Math.max(0, ...migrations.map((l) => Number(/^(\d+)/.exec(basename(l.file))?.[1] ?? 0)));
  const next = (highest > 0 ? highest : migrations.length) + 1;
  return String(next).padStart(4, "0");
}

export function slug(description: string): string {
  const s = description
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "") // accents off: "ä" becomes "a", not "a_"
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 50)
    .replace(/_+$/, "");
  return s || "migration";
}

/** Writes `m` as `<dir>/<id>.ts`; never overwrites. */
export function writeMigration(dir: string, m: Migration, notes: string[]): string {
  const file = join(dir, `${m.id}.ts`);
  if (existsSync(file))
    throw new CliError(`${relative(process.cwd(), file)} already exists; choose another description`);
  writeFileSync(file, renderMigrationFile(m, notes));
  return file;
}
