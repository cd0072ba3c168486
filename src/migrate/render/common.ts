import type { SqlDialect } from "../../dialect/index.js";
import type { ColumnModel, SchemaModel, TableModel } from "../../schema/index.js";
import { StateError } from "../state.js";

export function tableIn(state: SchemaModel, name: string): TableModel {
  const t = state.tables.find((x) => x.name === name);
  if (!t) throw new StateError(`table ${name} does not exist at this point in the history`);
  return t;
}

export function columnIn(table: TableModel, name: string): ColumnModel {
  const c = table.columns.find((x) => x.name === name);
  if (!c) throw new StateError(`column ${table.name}.${name} does not exist at this point in the history`);
  return c;
}

/** ADD CONSTRAINT for each CHECK the engine needs for a column's type (enum domains and the like). */
export function addImplicitChecks(t: TableModel, c: ColumnModel, d: SqlDialect): string[] {
  return d
    .implicitChecks(t, c)
    .map((k) => `ALTER TABLE ${d.quote(t.name)} ADD CONSTRAINT ${d.quote(k.name)} CHECK (${k.sql})`);
}

/** Whether two columns differ in anything the database stores (not docs or TypeScript-only fields). */
export function physicallyEqual(a: ColumnModel, b: ColumnModel): boolean {
  return (
    JSON.stringify(a.type) === JSON.stringify(b.type) &&
    a.nullable === b.nullable &&
    JSON.stringify(a.default ?? null) === JSON.stringify(b.default ?? null) &&
    (a.generated ?? null) === (b.generated ?? null) &&
    Boolean(a.autoUpdate) === Boolean(b.autoUpdate)
  );
}
