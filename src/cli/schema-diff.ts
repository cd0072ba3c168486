import { resolve } from "node:path";
import type { Kysely } from "kysely";
import pc from "picocolors";
import { connect } from "../data/index.js";
import { comparable, describeDifferences, introspect } from "../dialect/index.js";
import { parseDatabaseUrl } from "../dialect/url.js";
import type { Migration, Operation, Renames } from "../migrate/index.js";
import { autodetect, describeOperation, migration, planDown, planToSql, planUp } from "../migrate/index.js";
import type { Dialect, SchemaModel, TableModel } from "../schema/index.js";
import { schema as emptySchema } from "../schema/index.js";
import { CliError } from "./errors.js";
import { shown } from "./import-module.js";
import { loadSchema } from "./load.js";

/** One side of a comparison: a live database (read by introspection) or a schema module. */
export interface Source {
  label: string;
  model: SchemaModel;
  /** Set for databases: the engine whose view the comparison takes. */
  dialect?: Dialect;
}

const looksLikeUrl = (s: string) => /^(sqlite|pglite):|^[a-z]+:\/\//.test(s);

export async function loadSource(spec: string, options: { mustExist?: boolean } = {}): Promise<Source> {
  if (!looksLikeUrl(spec)) return { label: shown(resolve(spec)), model: (await loadSchema(spec)).model };
  const target = parseDatabaseUrl(spec);
  const db = await connect(spec, emptySchema({}), { retry: { attempts: 1 }, mustExist: options.mustExist });
  try {
    return {
      label: target.display,
      model: await introspect(db.kysely as Kysely<any>, db.dialect),
      dialect: db.dialect,
    };
  } finally {
    await db.close();
  }
}

export interface DiffResult {
  dialect: Dialect;
  differences: string[];
  /** Objects either side holds that plinth does not model, so the comparison did not look at them. */
  notCompared: string[];
  /** What the autodetector noticed: drops and adds that look like renames. */
  notes: string[];
  /** The operations of the migration that lose data (drops, narrowing type changes). */
  dataLoss: string[];
  up?: string;
  down?: string;
}

/** `schema diff` exit codes: documented in the README and the command's help. */
export const DIFF_EXIT = { equal: 0, drift: 1, error: 2, notCompared: 3 } as const;

/**
 * Compares two sources. What a database cannot report (TypeScript keys, check expressions as
 * written, docs on SQLite...) is left out of the comparison, as `comparable` defines it; with
 * `sql`, the migration from `from` to `to` is rendered for the chosen engine.
 */
export function diffSources(
  from: Source,
  to: Source,
  options: { dialect?: Dialect; sql?: boolean; renames?: Renames; allowDataLoss?: boolean },
): DiffResult {
  const dialect = options.dialect ?? from.dialect ?? to.dialect;
  if (!dialect) throw new CliError("comparing two schema files needs --dialect <sqlite|postgres|mysql>");
  const differences = describeDifferences(comparable(to.model, dialect), comparable(from.model, dialect));
  const notCompared = [...unmanaged(from), ...unmanaged(to)];
  const target = alignUnreportable(from.model, to.model, dialect);
  const detected = autodetect(from.model, target, options.renames ?? {});
  const dataLoss = detected.operations.filter(losesData).map(describeOperation);
  const result: DiffResult = { dialect, differences, notCompared, notes: detected.notes, dataLoss };
  if (!options.sql) return result;
  if (dataLoss.length > 0 && !options.allowDataLoss) {
    throw new CliError(
      `the SQL would lose data (${dataLoss.join("; ")}); check for renames (--rename), then pass --allow-data-loss to print it anyway`,
    );
  }
  const m: Migration = migration({
    id: "diff",
    description: `${from.label} → ${to.label}`,
    parents: [],
    operations: detected.operations,
  });
  return {
    ...result,
    up: planToSql(planUp(m, from.model, dialect), { transaction: dialect }),
    down: planToSql(planDown(m, from.model, dialect), { transaction: dialect }),
  };
}

/** The exit code of a finished comparison. */
export function diffExitCode(result: DiffResult): number {
  if (result.differences.length > 0) return DIFF_EXIT.drift;
  return result.notCompared.length > 0 ? DIFF_EXIT.notCompared : DIFF_EXIT.equal;
}

function unmanaged(source: Source): string[] {
  return (source.model.unmanaged ?? []).map(
    (o) => `${source.label}: ${o.kind} ${o.table && o.table !== o.name ? `${o.table}.` : ""}${o.name}`,
  );
}

/** Operations whose data does not come back: what is dropped, and types that may not hold every value. */
function losesData(o: Operation): boolean {
  switch (o.op) {
    case "dropTable":
    case "dropColumn":
    case "dropPartition":
      return true;
    case "alterColumn":
      return JSON.stringify(o.from.type) !== JSON.stringify(o.to.type);
    default:
      return false;
  }
}

/**
 * Wherever the comparison treats two things as equal (a column that differs only in what the engine
 * cannot store, a CHECK or index of the same name), make `to` carry `from`'s version, so the SQL
 * changes exactly what the comparison reported and nothing else.
 */
function alignUnreportable(from: SchemaModel, to: SchemaModel, dialect: Dialect): SchemaModel {
  const seen = comparable(from, dialect);
  const wanted = comparable(to, dialect);
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  const pick = <T extends { name: string }>(mine: T[], theirs: T[], mineSeen: T[], theirsWanted: T[]): T[] =>
    mine.map((item) => {
      const old = theirs.find((o) => o.name === item.name);
      const equal = same(
        mineSeen.find((x) => x.name === item.name),
        theirsWanted.find((x) => x.name === item.name),
      );
      return old && equal ? old : item;
    });
  return {
    tables: to.tables.map((t): TableModel => {
      const old = from.tables.find((x) => x.name === t.name);
      const oldSeen = seen.tables.find((x) => x.name === t.name);
      const newSeen = wanted.tables.find((x) => x.name === t.name);
      if (!old || !oldSeen || !newSeen) return t;
      return {
        ...t,
        ...(same(oldSeen.doc, newSeen.doc) ? { doc: old.doc } : {}),
        meta: old.meta,
        columns: pick(t.columns, old.columns, newSeen.columns, oldSeen.columns),
        primaryKey: same(oldSeen.primaryKey, newSeen.primaryKey) ? old.primaryKey : t.primaryKey,
        uniques: pick(t.uniques, old.uniques, newSeen.uniques, oldSeen.uniques),
        checks: pick(t.checks, old.checks, newSeen.checks, oldSeen.checks),
        foreignKeys: pick(t.foreignKeys, old.foreignKeys, newSeen.foreignKeys, oldSeen.foreignKeys),
        indexes: pick(t.indexes, old.indexes, newSeen.indexes, oldSeen.indexes),
      };
    }),
  };
}

export function printDiff(from: Source, to: Source, result: DiffResult): void {
  if (result.differences.length === 0 && result.notCompared.length > 0) {
    console.log(
      pc.yellow(
        `no drift in what was compared: ${from.label} matches ${to.label} (as ${result.dialect} sees it)`,
      ),
    );
  } else if (result.differences.length === 0) {
    console.log(pc.green(`no drift: ${from.label} matches ${to.label} (as ${result.dialect} sees it)`));
  } else {
    console.log(
      `${result.differences.length} difference${result.differences.length === 1 ? "" : "s"} (${from.label} → ${to.label}, as ${result.dialect} sees it):`,
    );
    for (const d of result.differences) console.log(`  ${d}`);
  }
  if (result.notCompared.length > 0) {
    console.log(
      `\nnot compared (plinth does not manage ${result.notCompared.length === 1 ? "it" : "them"}):`,
    );
    for (const line of result.notCompared) console.log(`  ${line}`);
  }
  for (const note of result.notes) console.log(pc.yellow(`note: ${note}`));
  if (result.up !== undefined) console.log(`\n-- up\n${result.up}\n-- down\n${result.down}`);
}
