import type { SchemaModel, TableModel } from "../schema/index.js";
import type { SqlDialect } from "./types.js";

export interface TablePlan {
  table: TableModel;
  /** CREATE TABLE with its indexes, comments and triggers. */
  statements: string[];
}

export interface SchemaPlan {
  prelude: string[];
  /** Tables in dependency order: a table comes after every table its foreign keys reference. */
  tables: TablePlan[];
  /** Foreign keys that close a cycle, added once every table exists. */
  deferredForeignKeys: string[];
}

/**
 * Orders tables so each is created after the tables it references. Foreign keys inside a cycle cannot
 * be inline on engines that check targets at CREATE time, so they are deferred to ALTER TABLE; SQLite
 * checks targets only when rows are written, so there nothing is ever deferred.
 */
export function planSchema(model: SchemaModel, d: SqlDialect): SchemaPlan {
  const byName = new Map(model.tables.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const ordered: TableModel[] = [];
  const deferred = new Set<string>();

  const visit = (t: TableModel) => {
    if (done.has(t.name)) return;
    visiting.add(t.name);
    for (const fk of t.foreignKeys) {
      const target = byName.get(fk.refTable);
      if (!target || target.name === t.name || done.has(target.name)) continue;
      if (visiting.has(target.name)) {
        if (d.capabilities.foreignKeyTargetsAtCreate) deferred.add(fk.name);
        continue;
      }
      visit(target);
    }
    visiting.delete(t.name);
    done.add(t.name);
    ordered.push(t);
  };
  for (const t of model.tables) visit(t);

  return {
    prelude: d.prelude(model),
    tables: ordered.map((table) => ({ table, statements: d.createTable(table, deferred) })),
    deferredForeignKeys: ordered.flatMap((t) =>
      t.foreignKeys.filter((fk) => deferred.has(fk.name)).map((fk) => d.addForeignKey(t, fk.name)),
    ),
  };
}

/** Every statement that creates the schema from nothing, in order. */
export function renderSchema(model: SchemaModel, d: SqlDialect): string[] {
  const plan = planSchema(model, d);
  return [...plan.prelude, ...plan.tables.flatMap((t) => t.statements), ...plan.deferredForeignKeys];
}
