import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command } from "commander";
import pc from "picocolors";
import { parseDatabaseUrl } from "../dialect/url.js";
import { EMPTY_STATE } from "../migrate/index.js";
import { CONFIG_FILES } from "./config.js";
import { CliError } from "./errors.js";
import { shown } from "./import-module.js";
import { loadSchema } from "./load.js";
import { detect, writeMigration } from "./migrate-make.js";
import { jsonOption, print } from "./options.js";

interface InitOptions {
  force?: boolean;
  json?: boolean;
  database?: string;
}

/** The npm scripts init adds, unless the package has scripts of these names already. */
export const INIT_SCRIPTS: Record<string, string> = {
  "db:up": "plinth up",
  "db:make": "plinth migrate make",
  "db:status": "plinth migrate status",
  "db:review": "plinth review",
};

const DEFAULT_DATABASE = "sqlite:./data/app.db";

/**
 * `plinth init`: a project's starting point, as `prisma init` or `drizzle-kit` users expect one:
 * plinth.config.ts, a starter schema with one audited, soft-deleted, versioned table, its first
 * migration, a seed, DATABASE_URL in .env and npm scripts. Never overwrites a file without --force.
 */
export function initCommand(): Command {
  return jsonOption(
    new Command("init")
      .description(
        "write plinth.config.ts, db/schema.ts, db/seed.ts, db/migrations/ with a first migration, .env and npm scripts",
      )
      .option(
        "--database <url>",
        `the database URL for .env (default: DATABASE_URL, else ${DEFAULT_DATABASE})`,
      )
      .option("--force", "overwrite files that exist (never migrations already in db/migrations)"),
  ).action((o: InitOptions) => init(o));
}

async function init(o: InitOptions): Promise<void> {
  const database = o.database ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE;
  parseDatabaseUrl(database); // refuse a URL that cannot work before writing anything
  const files: Record<string, string> = {
    "plinth.config.ts": CONFIG,
    "db/schema.ts": SCHEMA,
    "db/seed.ts": SEED,
  };
  const existing = [
    ...Object.keys(files).filter((f) => existsSync(f)),
    ...CONFIG_FILES.filter((f) => f !== "plinth.config.ts" && existsSync(f)),
  ];
  if (existing.length > 0 && !o.force) {
    throw new CliError(
      `${existing.join(", ")} ${existing.length === 1 ? "exists" : "exist"} already; nothing was written ` +
        "(`plinth init --force` overwrites them)",
    );
  }
  const written: string[] = [];
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(resolve(file)), { recursive: true });
    writeFileSync(file, text);
    written.push(file);
  }

  // The first migration, made from the starter schema as `plinth migrate make initial` would.
  const migrations = resolve("db/migrations");
  mkdirSync(migrations, { recursive: true });
  const notes: string[] = [];
  if (readdirSync(migrations).some((f) => /\.(ts|mts|js|mjs)$/.test(f))) {
    notes.push("db/migrations holds migrations already: no first migration written");
  } else {
    const declared = await loadSchema("db/schema.ts");
    const detected = detect(EMPTY_STATE, declared.model, {});
    const file = writeMigration(
      migrations,
      { id: "0001_initial", description: "initial", parents: [], operations: detected.operations },
      detected.notes,
    );
    written.push(shown(file));
  }

  const env = ensureLine(".env", "DATABASE_URL", `DATABASE_URL=${database}`);
  if (env) written.push(".env");
  const ignored = [".env", "/data/"].filter((line) => ensureLine(".gitignore", line, line, { exact: true }));
  if (ignored.length > 0) written.push(".gitignore");
  const scripts = addScripts(o.force);
  if (!scripts.package) notes.push("no package.json here: run `npm init -y` first to get the npm scripts");

  print(o, { written, scripts: scripts.added, notes, database, next: ["npx plinth up"] }, () => [
    ...written.map((f) => `${pc.green("wrote")}  ${f}`),
    ...Object.entries(scripts.added).map(([name, command]) => `${pc.green("script")} ${name}: ${command}`),
    ...notes.map((n) => `${pc.yellow("note:")} ${n}`),
    `database: ${database} (DATABASE_URL in .env; the environment and --db take precedence)`,
    `next: ${pc.bold("npx plinth up")} creates the database, applies db/migrations and runs the seed`,
  ]);
}

/**
 * Appends `line` to `file` (creating it) unless a line for `key` is there already: an existing
 * DATABASE_URL or ignore rule is the user's, never replaced.
 */
function ensureLine(file: string, key: string, line: string, { exact = false } = {}): boolean {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const lines = text.split(/\r?\n/).map((l) => l.trim());
  const present = exact
    ? lines.includes(key)
    : lines.some((l) => new RegExp(`^(export\\s+)?${key}\\s*=`).test(l));
  if (present) return false;
  writeFileSync(file, `${text}${text && !text.endsWith("\n") ? "\n" : ""}${line}\n`);
  return true;
}

/** Adds the npm scripts a package has no script of that name for (--force replaces them). */
function addScripts(force = false): { package: boolean; added: Record<string, string> } {
  const file = join(process.cwd(), "package.json");
  if (!existsSync(file)) return { package: false, added: {} };
  const text = readFileSync(file, "utf8");
  let pkg: { scripts?: Record<string, string> };
  try {
    pkg = JSON.parse(text);
  } catch {
    throw new CliError("package.json is not valid JSON; fix it, or remove it and run `npm init -y`");
  }
  pkg.scripts ??= {};
  const added: Record<string, string> = {};
  for (const [name, command] of Object.entries(INIT_SCRIPTS)) {
    if (pkg.scripts[name] !== undefined && !force) continue;
    pkg.scripts[name] = command;
    added[name] = command;
  }
  if (Object.keys(added).length > 0) {
    const indent = /^\s+/m.exec(text.split("\n")[1] ?? "")?.[0] ?? "  ";
    writeFileSync(file, `${JSON.stringify(pkg, null, indent)}\n`);
  }
  return { package: true, added };
}

const CONFIG = `import { defineConfig } from "plinth";

/**
 * What every \`plinth\` command works on. A flag wins over the environment, which wins over this
 * file: --db, then DATABASE_URL (from the environment or .env), then database below.
 */
export default defineConfig({
  database: "${DEFAULT_DATABASE}",
  schema: "./db/schema.ts",
  migrations: "./db/migrations",
  seed: "./db/seed.ts",
  // plinth review proves the migrations on SQLite and PGlite (in process); name servers to prove them
  // there too, e.g. postgres: "postgres://postgres@127.0.0.1:5432/postgres". ignoreLint takes rule ids.
  review: { pglite: true, ignoreLint: [] },
});
`;

const SCHEMA = `import { auditLog } from "plinth";
import { col, schema, softDelete, table, timestamps, version } from "plinth/schema";

/**
 * A note: audited (every create, update and delete made through plinth leaves a row in
 * plinth_audit_log), soft-deleted (delete sets deleted_at; reads leave such rows out) and versioned
 * (every update increments version; an update may require the version it read).
 */
export const note = table(
  "note",
  {
    id: col.id(),
    title: col.varchar(200),
    body: col.text().nullable(),
    ...timestamps(),
    ...softDelete(),
    ...version(),
  },
  { doc: "A note someone wrote.", audit: true },
);

export default schema({ note, auditLog: auditLog() });
`;

const SEED = `import type { Db } from "plinth";
import type appSchema from "./schema.js";

/**
 * Run by \`plinth up\` after the migrations, every time: it adds only what is missing. Its writes go
 * through the audit trail like any other, under the actor "plinth:seed".
 */
export async function seed(db: Db<typeof appSchema>): Promise<string[]> {
  const notes = db.repo("note");
  if (await notes.exists({ title: "Welcome" })) return [];
  await notes.create({ title: "Welcome", body: "Written by db/seed.ts." });
  return ["note Welcome"];
}
`;
