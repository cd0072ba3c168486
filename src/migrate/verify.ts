import type { Kysely } from "kysely";
import { sql } from "kysely";
import { connect } from "../data/index.js";
import { comparable, describeDifferences, introspect } from "../dialect/index.js";
import type { Dialect, SchemaModel } from "../schema/index.js";
import { schema as emptySchema } from "../schema/index.js";
import { autodetect } from "./autodetector.js";
import { MigrationError } from "./errors.js";
import { MigrationGraph } from "./graph.js";
import type { LintFinding } from "./lint/index.js";
import { lintMigration } from "./lint/index.js";
import type { LoadedMigration } from "./loader.js";
import type { Migration } from "./migration.js";
import { describeOperation } from "./operations.js";
import { Migrator } from "./runner.js";
import { fillSampleRows, snapshotRows } from "./sample-rows.js";

export interface VerifyTarget {
  /** A label for reports: sqlite, pglite, postgres, mysql. */
  name: string;
  /** An empty scratch database; verify leaves it as it found it when every check passes. */
  url: string;
}

export interface VerifyCheck {
  migration: string;
  /** "rows kept": after up and down, the rows the migration found are all back, value for value. */
  stage: "up" | "down" | "up again" | "rows kept";
  differences: string[];
}

export interface EngineReport {
  name: string;
  dialect?: Dialect;
  checks: VerifyCheck[];
  /**
   * Tables verify could not fill with sample rows from the declaration alone (a native type, a raw
   * CHECK the sample values break): migrations were proven on them empty.
   */
  emptyTables: string[];
  /** A migration that failed to run, or a connection problem: the engine stopped there. */
  error?: string;
}

export interface VerifyReport {
  ok: boolean;
  /** History problems: missing descriptions or parents, unmerged heads. */
  structure: string[];
  /** The migrations' end state against the declaration, when one is given. */
  declaration: string[];
  lint: LintFinding[];
  engines: EngineReport[];
}

export interface VerifyOptions {
  migrations: readonly LoadedMigration[];
  targets: readonly VerifyTarget[];
  /** The declared schema the migrations must end at. */
  declared?: SchemaModel;
  onProgress?: (line: string) => void;
}

/**
 * Proves a migration history on real databases: on each scratch database, every migration goes up
 * (the live schema must equal the state it claims), down (the previous state must come back) and up
 * again. It also checks the history's structure, lints every migration, and compares the final
 * state with the declaration.
 */
export async function verifyMigrations(options: VerifyOptions): Promise<VerifyReport> {
  const graph = new MigrationGraph(options.migrations.map((l) => l.migration));
  const ordered = graph.order();
  const structure = structureProblems(graph);
  // Branches that change the same thing cannot be replayed together: report it, do not crash.
  let lint: LintFinding[] = [];
  let declaration: string[] = [];
  try {
    lint = ordered.flatMap((m) => lintMigration(m, graph.stateAt(graph.ancestorsOf(m.id))));
    const finalState = graph.stateAt(ordered.map((m) => m.id));
    if (options.declared) {
      declaration = autodetect(finalState, options.declared).operations.map(
        (o) =>
          `the declaration differs from the migrations' end state: ${describeOperation(o)} (run plinth migrate make)`,
      );
    }
  } catch (error) {
    structure.push(error instanceof Error ? error.message : String(error));
  }
  const engines: EngineReport[] = [];
  for (const target of options.targets) engines.push(await verifyOn(target, options, graph));
  const ok =
    structure.length === 0 &&
    declaration.length === 0 &&
    engines.every((e) => !e.error && e.checks.every((c) => c.differences.length === 0));
  return { ok, structure, declaration, lint, engines };
}

async function verifyOn(
  target: VerifyTarget,
  options: VerifyOptions,
  graph: MigrationGraph,
): Promise<EngineReport> {
  const report: EngineReport = { name: target.name, checks: [], emptyTables: [] };
  const say = (line: string) => options.onProgress?.(`[${target.name}] ${line}`);
  let db: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    db = await connect(target.url, emptySchema({}), { retry: { attempts: 1 } });
    report.dialect = db.dialect;
    const migrator = new Migrator({ db, migrations: options.migrations });
    const compare = async (migration: string, stage: VerifyCheck["stage"], expected: SchemaModel) => {
      const live = comparable(await introspect(db!.kysely, db!.dialect), db!.dialect);
      const differences = describeDifferences(comparable(expected, db!.dialect), live);
      report.checks.push({ migration, stage, differences });
      say(
        `${migration} ${stage}: ${differences.length === 0 ? "matches" : `${differences.length} difference(s)`}`,
      );
    };
    const run = async (what: Promise<{ error?: { message: string; statement: string } }>, label: string) => {
      const result = await what;
      if (result.error)
        throw new MigrationError(`${label}: ${result.error.message} (${result.error.statement})`);
    };
    // Runs over the engine's own values, not the codec's: the rows are what a database holds.
    const raw = db.kysely.withoutPlugins();
    const end = graph.stateAt(graph.order().map((m) => m.id));
    for (const m of graph.order()) {
      const before = graph.stateAt(graph.ancestorsOf(m.id));
      const after = graph.stateAt([...graph.ancestorsOf(m.id), m.id]);
      const sample = await fillSampleRows(raw, before, end);
      for (const t of sample.skipped) if (!report.emptyTables.includes(t)) report.emptyTables.push(t);
      if (sample.filled.length > 0) say(`${m.id}: sample rows in ${sample.filled.join(", ")}`);
      const holding = (await tablesHoldingRows(raw, before)).join(", ");
      const overRows = holding ? ` over sample rows in ${holding}` : "";
      const rowsBefore = await snapshotRows(raw, before);
      await run(migrator.up(m.id), `${m.id} up${overRows}`);
      await compare(m.id, "up", after);
      await run(migrator.down(1), `${m.id} down${overRows}`);
      await compare(m.id, "down", before);
      const lost = rowsLost(rowsBefore, await snapshotRows(raw, before), droppedBy(m));
      report.checks.push({ migration: m.id, stage: "rows kept", differences: lost });
      say(
        `${m.id} rows kept: ${lost.length === 0 ? "every row is back" : `${lost.length} table(s) changed`}`,
      );
      await run(migrator.up(m.id), `${m.id} up again`);
      await compare(m.id, "up again", after);
    }
    // Leave the scratch database empty, which also proves the whole history rolls back.
    await run(migrator.down(Number.POSITIVE_INFINITY), "rolling back the whole history");
    await compare("(all)", "down", { tables: [] });
  } catch (error) {
    report.error = error instanceof Error ? error.message : String(error);
    say(`stopped: ${report.error}`);
  } finally {
    await db?.close();
  }
  return report;
}

async function tablesHoldingRows(db: Kysely<any>, state: SchemaModel): Promise<string[]> {
  const out: string[] = [];
  for (const t of state.tables) {
    if ((await db.selectFrom(t.name).select(sql.lit(1).as("x")).limit(1).execute()).length > 0)
      out.push(t.name);
  }
  return out;
}

/** Tables and columns the migration's up drops: their values are lost by design, not by its down. */
function droppedBy(m: Migration): { tables: Set<string>; columns: Set<string> } {
  const tables = new Set<string>();
  const columns = new Set<string>();
  for (const o of m.operations) {
    if (o.op === "dropTable") tables.add(o.table.name);
    else if (o.op === "dropColumn") columns.add(`${o.table}.${o.column.name}`);
  }
  return { tables, columns };
}

/** The tables whose rows did not come back unchanged, each with what changed. */
function rowsLost(
  before: Map<string, Record<string, unknown>[]>,
  after: Map<string, Record<string, unknown>[]>,
  dropped: { tables: Set<string>; columns: Set<string> },
): string[] {
  const lost: string[] = [];
  for (const [table, rows] of before) {
    if (dropped.tables.has(table)) continue;
    const kept = (row: Record<string, unknown>) =>
      JSON.stringify(Object.entries(row).filter(([c]) => !dropped.columns.has(`${table}.${c}`)));
    const now = after.get(table) ?? [];
    if (now.length !== rows.length) {
      lost.push(`${table}: ${rows.length} row(s) before up, ${now.length} after down`);
      continue;
    }
    const changed = rows.findIndex((r, i) => kept(r) !== kept(now[i]!));
    if (changed >= 0) {
      const columns = Object.keys(rows[changed]!).filter(
        (c) =>
          !dropped.columns.has(`${table}.${c}`) &&
          JSON.stringify(rows[changed]![c]) !== JSON.stringify(now[changed]![c]),
      );
      lost.push(`${table}: values of ${columns.join(", ") || "a row"} changed by up and down`);
    }
  }
  return lost;
}

function structureProblems(graph: MigrationGraph): string[] {
  const problems: string[] = [];
  for (const m of graph.order()) {
    if (!m.description?.trim()) problems.push(`${m.id} has no description`);
  }
  if (graph.roots.length > 1) {
    problems.push(
      `several migrations have no parent (${graph.roots.join(", ")}): only the first may be a root`,
    );
  }
  if (graph.heads.length > 1)
    problems.push(`unmerged heads ${graph.heads.join(", ")}: run plinth migrate merge`);
  return problems;
}
