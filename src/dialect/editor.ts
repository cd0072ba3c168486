import { PlinthError } from "../errors.js";
import type { ChangeOf, ColumnModel, SchemaChangeKind, SchemaModel, TableModel } from "../schema/index.js";
import { SchemaError } from "../schema/index.js";
import type { DdlDialect, DdlStep } from "./types.js";

/** The schema around one change: as the change finds it, and as it leaves it. */
export interface EditContext {
  before: SchemaModel;
  after: SchemaModel;
}

/**
 * One renderer per kind of schema change. The mapped type is the point: a change kind added to
 * SchemaChange that an engine's editor does not render is a compile error in that editor.
 */
export type ChangeRenderers = {
  readonly [K in SchemaChangeKind]: (change: ChangeOf<K>, context: EditContext) => DdlStep[];
};

/**
 * An engine's schema editor (Django's term): how each schema change becomes statements on that
 * engine. Options such as `concurrently` travel in the change and are rendered by the engine,
 * never patched into finished SQL.
 */
export interface SchemaEditor extends ChangeRenderers {
  /** A raw statement from a migration, as this engine must run it. */
  raw(sql: string): DdlStep[];
}

/** A renderer for a change this engine has no way to make (sequences on SQLite, say). */
export function unsupported(engine: string, what: string): () => never {
  return () => {
    throw new SchemaError(`${engine} has no ${what}`);
  };
}

/** Statements as steps that need nothing special. */
export function steps(...statements: string[]): DdlStep[] {
  return statements.map((sql) => ({ sql }));
}

/** The table as the schema holds it; the migration layer has already checked it exists. */
export function tableIn(state: SchemaModel, name: string): TableModel {
  const t = state.tables.find((x) => x.name === name);
  if (!t) throw new PlinthError(`table ${name} does not exist at this point in the history`);
  return t;
}

export function columnIn(table: TableModel, name: string): ColumnModel {
  const c = table.columns.find((x) => x.name === name);
  if (!c) throw new PlinthError(`column ${table.name}.${name} does not exist at this point in the history`);
  return c;
}

/** ADD CONSTRAINT for each CHECK the engine needs for a column's type (enum domains and the like). */
export function addImplicitChecks(t: TableModel, c: ColumnModel, d: DdlDialect): string[] {
  return d
    .implicitChecks(t, c)
    .map((k) => `ALTER TABLE ${d.quote(t.name)} ADD CONSTRAINT ${d.quote(k.name)} CHECK (${k.sql})`);
}

export function dropImplicitChecks(t: TableModel, c: ColumnModel, d: DdlDialect): string[] {
  return d
    .implicitChecks(t, c)
    .map((k) => `ALTER TABLE ${d.quote(t.name)} DROP CONSTRAINT ${d.quote(k.name)}`);
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
