import { Command } from "commander";
import pc from "picocolors";
import { AUDIT_TABLE, installAuditTrail } from "../audit/index.js";
import type { Db } from "../data/index.js";
import { comparable, describeDifferences, introspect } from "../dialect/index.js";
import type { LoadedMigration, MigrationResult } from "../migrate/index.js";
import { autodetect, describeOperation } from "../migrate/index.js";
import type { Schema } from "../schema/index.js";
import { CliError } from "./errors.js";
import { failureText } from "./migrate-command.js";
import { databaseOptions, jsonOption, migrationsOption, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import {
  connectFor,
  databaseOf,
  logger,
  migrationsIfAny,
  migrationsOf,
  migratorFor,
  redactUrl,
  schemaOf,
  seedOf,
} from "./project.js";
import { runSeed } from "./seed.js";

interface UpOptions extends ProjectOptions {
  force?: boolean;
  baseline?: boolean;
}

/**
 * `plinth up`: wait for the database, then bring it to the declared schema. With a migrations
 * folder that means applying every pending migration; without one, creating every missing table and
 * saying where existing ones differ (up never alters them). Then the audit table is made
 * append-only and the seed runs through the audit trail. A second run changes nothing.
 */
export function upCommand(): Command {
  const c = new Command("up").description(
    "wait for the database, apply pending migrations (or create missing tables), guard the audit table, then seed",
  );
  schemaOptions(c);
  databaseOptions(c);
  migrationsOption(c);
  jsonOption(c)
    .option(
      "--seed <file>",
      "module exporting an idempotent seed(db) (default: the config's seed, or a blueprint's)",
    )
    .option(
      "--baseline",
      "a database with tables but no migration history: adopt it first (plinth migrate baseline)",
    )
    .option("--force", "accept applied migrations whose operations were edited since (see plinth migrate up)")
    .action((o: UpOptions) => up(o));
  return c;
}

async function up(o: UpOptions): Promise<void> {
  const { url } = await databaseOf(o); // a bad URL is reported before anything is loaded
  const declared = await schemaOf(o);
  const migrations = await migrationsIfAny(o);
  if (migrations?.length === 0) {
    throw new CliError(
      `${await migrationsOf(o)} holds no migrations yet: make the first with \`plinth migrate make initial\``,
    );
  }
  const seed = await seedOf(o);
  const log = logger(o);
  const { db } = await connectFor(o, declared, { createDevelopmentKeys: true, direct: true });
  try {
    const output: Record<string, unknown> = { database: redactUrl(url), engine: db.engine };
    if (migrations) {
      if (!(await migrate(db, migrations, declared, o, output))) return;
    } else {
      await createMissing(db, declared, o, output);
    }
    // The audit table is only trustworthy once the database itself refuses to rewrite it.
    if (db.schema.table(AUDIT_TABLE)) {
      await installAuditTrail(db);
      output.appendOnly = [AUDIT_TABLE];
      if (!o.json) console.log(`${pc.green("guarded")}  ${AUDIT_TABLE} is append-only`);
    }
    if (seed) {
      log(pc.dim(`seeding from ${seed} …`));
      const changed = await runSeed(seed, db);
      output.seed = changed;
      if (!o.json) {
        for (const line of changed) console.log(`${pc.green("seeded ")}  ${line}`);
        if (changed.length === 0) console.log("seed: nothing to add");
      }
    }
    if (o.json) console.log(JSON.stringify(output, null, 2));
  } finally {
    await db.close();
  }
}

/**
 * No migrations: create the tables that are missing, then compare the database with the declaration.
 * Existing tables are never altered, so a declaration that moved on is reported, not applied.
 */
async function createMissing(
  db: Db<Schema>,
  declared: Schema,
  o: UpOptions,
  output: Record<string, unknown>,
): Promise<void> {
  const result = await db.createSchema();
  Object.assign(output, result);
  const live = comparable(await introspect(db.kysely as never, db.dialect), db.dialect);
  const drift = describeDifferences(comparable(declared.model, db.dialect), live);
  if (drift.length > 0) output.drift = drift;
  if (o.json) return;
  for (const t of result.created) console.log(`${pc.green("created")}  ${t}`);
  for (const t of result.existing) console.log(`${pc.dim("exists ")}  ${t}`);
  console.log(
    `${result.created.length} table${result.created.length === 1 ? "" : "s"} created, ` +
      `${result.existing.length} already present (${db.engine})`,
  );
  if (drift.length > 0) {
    console.error(pc.yellow(`drift: the database differs from the declaration in ${drift.length} place(s):`));
    for (const d of drift) console.error(pc.yellow(`  ${d}`));
    console.error(
      pc.yellow(
        "plinth up without migrations only creates missing tables and never alters existing ones. To change them, " +
          "move to migrations: `plinth migrate make initial` from the schema the database has, `plinth migrate " +
          "baseline` to adopt it, then `plinth migrate make` for the change (docs/getting-started.md)",
      ),
    );
  }
}

/** Applies pending migrations; false when one failed (reported, exit code 1). */
async function migrate(
  db: Db<Schema>,
  migrations: LoadedMigration[],
  declared: Schema,
  o: UpOptions,
  output: Record<string, unknown>,
): Promise<boolean> {
  const migrator = migratorFor(db, migrations, o);
  if ((await migrator.history()).length === 0) {
    // Tables but no history: made by `plinth up` before there were migrations, or by hand. Running
    // the first migration would only fail on "table already exists"; adopt the database instead.
    const existing = await tablesTheMigrationsCreate(db, migrator.graph);
    if (existing.length > 0) {
      if (!o.baseline) {
        throw new CliError(
          `the database has tables (${existing.slice(0, 5).join(", ")}${existing.length > 5 ? ", …" : ""}) but no ` +
            "migration history: adopt it with `plinth migrate baseline` (or `plinth up --baseline`), which checks " +
            "that it matches the migrations and records them as applied",
        );
      }
      const adopted = await migrator.baseline();
      output.baseline = adopted;
      if (!o.json)
        console.log(
          `${pc.green("baselined")}  ${adopted.baselined.join(", ")} (the database already had them)`,
        );
    }
  }
  const result: MigrationResult = await migrator.up(undefined, { force: o.force });
  const current = await migrator.current();
  // The declaration may have moved on without a migration: say so rather than silently differ.
  const all = migrator.graph.order().map((m) => m.id);
  let undescribed: string[] = [];
  try {
    undescribed = autodetect(migrator.graph.stateAt(all), declared.model).operations.map(describeOperation);
  } catch (error) {
    undescribed = [error instanceof Error ? error.message : String(error)];
  }
  Object.assign(output, {
    migrations: { ...result, current },
    ...(undescribed.length > 0 ? { undescribed } : {}),
  });
  if (result.error) {
    if (o.json) console.log(JSON.stringify(output, null, 2));
    else console.error(failureText(result.error));
    process.exitCode = 1;
    return false;
  }
  if (!o.json) {
    const n = result.applied.length;
    console.log(
      n === 0
        ? `nothing to migrate: the database is at ${current.join(", ")} (${db.engine})`
        : `${n} migration${n === 1 ? "" : "s"} applied; the database is at ${current.join(", ")} (${db.engine})`,
    );
    if (undescribed.length > 0) {
      console.error(
        pc.yellow(
          `the declaration has changes no migration describes (${undescribed.join("; ")}); run \`plinth migrate make\``,
        ),
      );
    }
  }
  return true;
}

/** Tables some migration creates that the database has already. */
async function tablesTheMigrationsCreate(
  db: Db<Schema>,
  graph: { order(): { operations: readonly { op: string; table?: unknown }[] }[] },
): Promise<string[]> {
  const created = new Set(
    graph
      .order()
      .flatMap((m) => m.operations)
      .flatMap((op) => (op.op === "createTable" ? [(op.table as { name: string }).name] : [])),
  );
  const live = await db.adapter.listTables(db.kysely as never);
  return [...created].filter((t) => live.has(t)).sort();
}
