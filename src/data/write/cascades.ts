import type { Kysely } from "kysely";
import type { ForeignKeyModel, SchemaModel, TableModel } from "../../schema/index.js";
import type { RowChange, WriteHooks } from "../hooks.js";

type AnyRow = Record<string, unknown>;

/** A foreign key whose ON DELETE rule changes rows of `child` when a row of its target goes. */
export interface Cascade {
  child: TableModel;
  fk: ForeignKeyModel;
  action: "cascade" | "set null";
  /** Cascades out of `child`, followed when its rows are deleted by this one. */
  next: Cascade[];
}

/**
 * The ON DELETE CASCADE / SET NULL rules a delete from `table` sets off, as far as they reach a table
 * the hooks observe: the database applies them without telling anyone, so a delete that would
 * remove or change observed rows must read them first and report them after.
 */
export function cascadesOf(model: SchemaModel, table: string, hooks: WriteHooks | undefined): Cascade[] {
  if (!hooks) return [];
  const observes = (t: string) => hooks.observes?.(t) ?? true;
  const cascades = (parent: string, path: Set<string>): Cascade[] =>
    model.tables.flatMap((child) =>
      child.foreignKeys
        .filter((fk) => fk.refTable === parent && (fk.onDelete === "cascade" || fk.onDelete === "set null"))
        .flatMap((fk): Cascade[] => {
          const action = fk.onDelete as Cascade["action"];
          // A cycle of cascades ends where it started: those rows are being deleted already.
          const next =
            action === "cascade" && !path.has(child.name)
              ? cascades(child.name, new Set([...path, child.name]))
              : [];
          return observes(child.name) || next.length > 0 ? [{ child, fk, action, next }] : [];
        }),
    );
  return cascades(table, new Set([table]));
}

/** Rows read before the delete, and what to report once it has run. */
export interface CascadeRecord {
  changes(q: Kysely<any>): Promise<RowChange[]>;
}

/**
 * Reads (locked, inside the delete's transaction) every row the rules will delete or set to null,
 * given the rows about to be deleted (`parents`, under TypeScript keys).
 */
export async function readCascades(
  q: Kysely<any>,
  parent: TableModel,
  parents: AnyRow[],
  edges: Cascade[],
  options: { locks: boolean; maxParameters: number; observes: (table: string) => boolean },
): Promise<CascadeRecord> {
  const deleted: { table: TableModel; row: AnyRow }[] = [];
  const nulled: { table: TableModel; row: AnyRow }[] = [];
  const walk = async (from: TableModel, rows: AnyRow[], out: Cascade[]) => {
    for (const edge of out) {
      const children = await referencing(q, from, rows, edge, options);
      if (children.length === 0) continue;
      if (edge.action === "set null") {
        if (options.observes(edge.child.name))
          for (const row of children) nulled.push({ table: edge.child, row });
        continue;
      }
      if (options.observes(edge.child.name))
        for (const row of children) deleted.push({ table: edge.child, row });
      await walk(edge.child, children, edge.next);
    }
  };
  await walk(parent, parents, edges);
  return {
    async changes(after) {
      const out: RowChange[] = deleted.map(({ table, row }) => rowChange(table, "delete", row));
      for (const { table, row } of nulled) {
        // Read again: the engine may have changed more than the key (a touched updated_at).
        const now = await selectByKey(after, table, row, false);
        out.push(rowChange(table, "update", row, now ?? row));
      }
      return out;
    },
  };
}

/** Rows of the edge's child whose foreign key points at any of `rows` (of `parent`). */
async function referencing(
  q: Kysely<any>,
  parent: TableModel,
  rows: AnyRow[],
  edge: Cascade,
  options: { locks: boolean; maxParameters: number },
): Promise<AnyRow[]> {
  const keyOf = (t: TableModel, name: string) => t.columns.find((c) => c.name === name)!.key;
  const targets = rows.map((r) => edge.fk.refColumns.map((c) => r[keyOf(parent, c)]));
  const live = targets.filter((values) => values.every((v) => v !== null && v !== undefined));
  const columns = edge.fk.columns.map((c) => keyOf(edge.child, c));
  const perQuery = Math.max(1, Math.floor((options.maxParameters - 100) / columns.length));
  const found: AnyRow[] = [];
  for (let i = 0; i < live.length; i += perQuery) {
    const chunk = live.slice(i, i + perQuery);
    let s: any = q.selectFrom(edge.child.name).selectAll();
    s =
      columns.length === 1
        ? s.where(
            columns[0]!,
            "in",
            chunk.map((values) => values[0]),
          )
        : s.where((eb: any) =>
            eb.or(chunk.map((values) => eb.and(columns.map((c, k) => eb(c, "=", values[k]))))),
          );
    if (options.locks) s = s.forUpdate();
    found.push(...((await s.execute()) as AnyRow[]));
  }
  return found;
}

async function selectByKey(
  q: Kysely<any>,
  table: TableModel,
  row: AnyRow,
  lock: boolean,
): Promise<AnyRow | undefined> {
  const keys = table.primaryKey.columns.map((name) => table.columns.find((c) => c.name === name)!.key);
  let s: any = q.selectFrom(table.name).selectAll();
  for (const k of keys) s = s.where(k, "=", row[k]);
  if (lock) s = s.forUpdate();
  return s.executeTakeFirst();
}

/** A change of one row (read under TypeScript keys) as hooks see it: database column names, the key as text. */
export function rowChange(
  model: TableModel,
  action: RowChange["action"],
  before?: AnyRow,
  after?: AnyRow,
): RowChange {
  const row = (action === "delete" ? before : (after ?? before))!;
  const keyOf = (name: string) => model.columns.find((c) => c.name === name)!.key;
  const change: RowChange = {
    table: model.name,
    rowId: model.primaryKey.columns.map((name) => String(row[keyOf(name)])).join(","),
    action,
  };
  const named = (r: AnyRow) => Object.fromEntries(model.columns.map((c) => [c.name, r[c.key]]));
  if (before) change.before = named(before);
  if (after) change.after = named(after);
  return change;
}
