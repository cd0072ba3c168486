import type { ColumnModel, SchemaModel, TableModel, UnmanagedObject } from "../../schema/index.js";
import type { EditContext, SchemaEditor } from "../editor.js";
import { steps, tableIn, unsupported } from "../editor.js";
import { sqliteDdl as d } from "./ddl.js";

const q = d.quote;

/**
 * SQLite alters little in place: renames, ADD COLUMN with a constant default, and indexes. Every
 * other change rebuilds the table with SQLite's documented procedure (create the new shape, copy the
 * rows, drop, rename, recreate indexes and triggers); the runner turns foreign keys off around the
 * migration and runs PRAGMA foreign_key_check before committing, so no row is lost or orphaned.
 */
export const sqliteEditor: SchemaEditor = {
  createTable: (o) => steps(...d.createTable(o.table, new Set())),
  // The FTS5 table is a table of its own: it goes with the table it indexes.
  dropTable: (o) => steps(...dropFullText(o.table), `DROP TABLE ${q(o.table.name)}`),

  renameTable(o, { before }) {
    // RENAME keeps other tables' foreign keys pointing here; the rebuild that follows renews the
    // type CHECK and trigger names, which contain the table name. An FTS5 table names its content
    // table in its options, which RENAME does not rewrite: it is dropped and made anew.
    const old = tableIn(before, o.from);
    const renamed = { ...old, name: o.to };
    const derived = renamed.columns.some((c) => c.autoUpdate || d.implicitChecks(renamed, c).length > 0);
    return steps(
      ...dropFullText(old),
      `ALTER TABLE ${q(o.from)} RENAME TO ${q(o.to)}`,
      ...(derived
        ? rebuild(renamed, renamed, {}, before)
        : renamed.fullText
          ? d.fullTextStatements(renamed)
          : []),
    );
  },

  addFullText: (o, { before }) =>
    steps(...d.fullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),
  dropFullText: (o, { before }) =>
    steps(...d.dropFullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),

  // SQLite keeps no comments or table metadata.
  alterTable: () => [],

  renameColumn(o, { before, after }) {
    // SQLite rewrites indexes, CHECKs, triggers and foreign keys that name the column, but not the
    // names of plinth's type CHECKs, which contain the column name: rebuild when there are any.
    const t = tableIn(before, o.table);
    const column = t.columns.find((c) => c.name === o.from);
    // An external-content FTS5 table reads its columns by name, so it is rebuilt too.
    const searched = t.fullText?.columns.some((c) => c.column === o.from);
    if (column && (searched || d.implicitChecks(t, column).length > 0))
      return steps(...rebuild(t, tableIn(after, o.table), { [o.to]: o.from }, before));
    return steps(`ALTER TABLE ${q(o.table)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`);
  },

  addIndex: (o, { before }) => steps(d.indexStatement(tableIn(before, o.table), o.index)),
  dropIndex: (o, { before }) => steps(d.dropIndexStatement(tableIn(before, o.table), o.index.name)),

  addColumn(o, { before, after }) {
    const t = tableIn(before, o.table);
    if (canAddInPlace(o.column)) return steps(addColumnInPlace(t, o.column));
    return steps(...rebuild(t, tableIn(after, o.table), {}, before));
  },

  renameConstraint(o, { before, after }) {
    const t = tableIn(before, o.table);
    if (o.kind === "index") {
      const index = t.indexes.find((i) => i.name === o.from)!;
      return steps(d.dropIndexStatement(t, o.from), d.indexStatement(t, { ...index, name: o.to }));
    }
    // An identity key is SQLite's rowid and its constraint name is never written down.
    if (o.kind === "primaryKey" && t.columns.some((c) => c.generated === "identity")) return [];
    return steps(...rebuild(t, tableIn(after, o.table), {}, before));
  },

  alterColumn: (o, context) => rebuildFor(o.table, context),
  dropColumn: (o, context) => rebuildFor(o.table, context),
  addUnique: (o, context) => rebuildFor(o.table, context),
  dropUnique: (o, context) => rebuildFor(o.table, context),
  addCheck: (o, context) => rebuildFor(o.table, context),
  dropCheck: (o, context) => rebuildFor(o.table, context),
  addForeignKey: (o, context) => rebuildFor(o.table, context),
  dropForeignKey: (o, context) => rebuildFor(o.table, context),

  // Only PostgreSQL has NOT VALID constraints; elsewhere they were checked when added.
  validateConstraint: () => [],

  createType: unsupported("SQLite", "database-defined types"),
  dropType: unsupported("SQLite", "database-defined types"),
  createSequence: unsupported("SQLite", "sequences"),
  dropSequence: unsupported("SQLite", "sequences"),
  addPartition: unsupported("SQLite", "partitioned tables"),
  dropPartition: unsupported("SQLite", "partitioned tables"),

  raw: (sql) => steps(sql),
};

function rebuildFor(table: string, { before, after }: EditContext) {
  return steps(...rebuild(tableIn(before, table), tableIn(after, table), {}, before));
}

/** ALTER TABLE ADD COLUMN refuses expression defaults, keys, and NOT NULL without a default. */
function canAddInPlace(c: ColumnModel): boolean {
  if (c.generated || c.autoUpdate || c.default?.kind === "now") return false;
  return (
    c.nullable || (c.default !== undefined && !(c.default.kind === "literal" && c.default.value === null))
  );
}

function addColumnInPlace(t: TableModel, c: ColumnModel): string {
  // Type CHECKs become column constraints here; they keep the same names as in CREATE TABLE.
  const checks = d
    .implicitChecks(t, c)
    .map((k) => ` CONSTRAINT ${q(k.name)} CHECK (${k.sql})`)
    .join("");
  return `ALTER TABLE ${q(t.name)} ADD COLUMN ${d.columnDefinition(t, c)}${checks}`;
}

/**
 * The twelve-step rebuild of https://www.sqlite.org/lang_altertable.html, in the statements it takes.
 * Views over the table (known when the schema was read from a live database) are dropped before and
 * made again after, as are the table's own triggers (DROP TABLE takes them along); otherwise the
 * rename that ends the rebuild fails on a view that names a table that is, for a moment, gone.
 */
export function rebuild(
  before: TableModel,
  after: TableModel,
  renamed: Record<string, string> = {},
  schema?: SchemaModel,
): string[] {
  const temp = `_plinth_new_${after.name}`;
  // The new shape is created under a temporary name (its constraints keep their own names), and
  // what belongs to the table (indexes, triggers) is made once it has taken the table's name.
  const [create] = d.createTable(after, new Set(), { as: temp });
  const [, ...belongings] = d.createTable(after, new Set());
  // Each new column takes the old column of the same name, or the one it was renamed from.
  const source = (name: string) => renamed[name] ?? name;
  const kept = after.columns.filter((c) => before.columns.some((b) => b.name === source(c.name)));
  const into = kept.map((c) => q(c.name)).join(", ");
  const from = kept.map((c) => q(source(c.name))).join(", ");
  const { views, triggers } = dependents(schema, before.name);
  return [
    ...views.map((v) => `DROP VIEW ${q(v.name)}`),
    create!,
    `INSERT INTO ${q(temp)} (${into}) SELECT ${from} FROM ${q(before.name)}`,
    // Copied rows may get new rowids: the FTS5 index is dropped here and rebuilt from the new table.
    ...dropFullText(before),
    `DROP TABLE ${q(before.name)}`,
    `ALTER TABLE ${q(temp)} RENAME TO ${q(after.name)}`,
    ...belongings,
    ...views.map((v) => v.definition!),
    ...triggers.map((t) => t.definition!),
  ];
}

/** The views that name `table` and the triggers on it, of those a live database was read with. */
function dependents(
  schema: SchemaModel | undefined,
  table: string,
): { views: UnmanagedObject[]; triggers: UnmanagedObject[] } {
  const known = (schema?.unmanaged ?? []).filter((o) => o.definition);
  const names = new RegExp(
    `(^|[^\\w$])["\`\\[]?${table.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["\`\\]]?($|[^\\w$])`,
    "i",
  );
  return {
    views: known.filter((o) => o.kind === "view" && names.test(o.definition!)),
    triggers: known.filter((o) => o.kind === "trigger" && o.table === table),
  };
}

function dropFullText(t: TableModel): string[] {
  return t.fullText ? d.dropFullTextStatements(t) : [];
}
