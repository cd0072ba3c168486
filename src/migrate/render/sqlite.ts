import { sqlite as d } from "../../dialect/index.js";
import type { ColumnModel, SchemaModel, TableModel } from "../../schema/index.js";
import type { Operation } from "../operations.js";
import { applyOperation } from "../state.js";
import { tableIn } from "./common.js";

const q = d.quote;

/**
 * SQLite alters little in place: renames, ADD COLUMN with a constant default, and indexes. Every
 * other change rebuilds the table with SQLite's documented procedure (create the new shape, copy the
 * rows, drop, rename, recreate indexes and triggers); the runner turns foreign keys off around the
 * migration and runs PRAGMA foreign_key_check before committing, so no row is lost or orphaned.
 */
export function renderSqlite(o: Operation, before: SchemaModel): string[] {
  switch (o.op) {
    case "createTable":
      return d.createTable(o.table, new Set());
    case "dropTable":
      // The FTS5 table is a table of its own: it goes with the table it indexes.
      return [...dropFullText(o.table), `DROP TABLE ${q(o.table.name)}`];
    case "renameTable": {
      // RENAME keeps other tables' foreign keys pointing here; the rebuild that follows renews the
      // type CHECK and trigger names, which contain the table name. An FTS5 table names its content
      // table in its options, which RENAME does not rewrite: it is dropped and made anew.
      const old = tableIn(before, o.from);
      const renamed = { ...old, name: o.to };
      const derived = renamed.columns.some((c) => c.autoUpdate || d.implicitChecks(renamed, c).length > 0);
      return [
        ...dropFullText(old),
        `ALTER TABLE ${q(o.from)} RENAME TO ${q(o.to)}`,
        ...(derived ? rebuild(renamed, renamed) : renamed.fullText ? d.fullTextStatements(renamed) : []),
      ];
    }
    case "addFullText":
      return d.fullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText });
    case "dropFullText":
      return d.dropFullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText });
    case "alterTable":
      return [];
    case "renameColumn": {
      // SQLite rewrites indexes, CHECKs, triggers and foreign keys that name the column, but not the
      // names of plinth's type CHECKs, which contain the column name: rebuild when there are any.
      const t = tableIn(before, o.table);
      const column = t.columns.find((c) => c.name === o.from);
      // An external-content FTS5 table reads its columns by name, so it is rebuilt too.
      const searched = t.fullText?.columns.some((c) => c.column === o.from);
      if (column && (searched || d.implicitChecks(t, column).length > 0)) {
        return rebuild(t, tableIn(applyOperation(before, o), o.table), { [o.to]: o.from });
      }
      return [`ALTER TABLE ${q(o.table)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`];
    }
    case "addIndex":
      return [d.indexStatement(tableIn(before, o.table), o.index)];
    case "dropIndex":
      return [d.dropIndexStatement(tableIn(before, o.table), o.index.name)];
    case "addColumn": {
      const t = tableIn(before, o.table);
      if (canAddInPlace(o.column)) return [addColumnInPlace(t, o.column)];
      return rebuild(t, tableIn(applyOperation(before, o), o.table));
    }
    case "renameConstraint": {
      const t = tableIn(before, o.table);
      if (o.kind === "index") {
        const index = t.indexes.find((i) => i.name === o.from)!;
        return [d.dropIndexStatement(t, o.from), d.indexStatement(t, { ...index, name: o.to })];
      }
      // An identity key is SQLite's rowid and its constraint name is never written down.
      if (o.kind === "primaryKey" && t.columns.some((c) => c.generated === "identity")) return [];
      return rebuild(t, tableIn(applyOperation(before, o), o.table));
    }
    case "alterColumn":
    case "dropColumn":
    case "addUnique":
    case "dropUnique":
    case "addCheck":
    case "dropCheck":
    case "addForeignKey":
    case "dropForeignKey":
      return rebuild(tableIn(before, o.table), tableIn(applyOperation(before, o), o.table));
    case "validateConstraint":
      // Only PostgreSQL has NOT VALID constraints; elsewhere they were checked when added.
      return [];
    case "sql":
    case "data":
      throw new Error(`${o.op} steps are rendered by the caller`);
  }
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

/** The twelve-step rebuild of https://www.sqlite.org/lang_altertable.html, in the statements it takes. */
export function rebuild(
  before: TableModel,
  after: TableModel,
  renamed: Record<string, string> = {},
): string[] {
  const temp = `_plinth_new_${after.name}`;
  const [create, ...rest] = d.createTable(after, new Set());
  // Each new column takes the old column of the same name, or the one it was renamed from.
  const source = (name: string) => renamed[name] ?? name;
  const kept = after.columns.filter((c) => before.columns.some((b) => b.name === source(c.name)));
  const into = kept.map((c) => q(c.name)).join(", ");
  const from = kept.map((c) => q(source(c.name))).join(", ");
  return [
    create!.replace(`CREATE TABLE ${q(after.name)} (`, `CREATE TABLE ${q(temp)} (`),
    `INSERT INTO ${q(temp)} (${into}) SELECT ${from} FROM ${q(before.name)}`,
    // Copied rows may get new rowids: the FTS5 index is dropped here and rebuilt from the new table.
    ...dropFullText(before),
    `DROP TABLE ${q(before.name)}`,
    `ALTER TABLE ${q(temp)} RENAME TO ${q(after.name)}`,
    ...rest,
  ];
}

function dropFullText(t: TableModel): string[] {
  return t.fullText ? d.dropFullTextStatements(t) : [];
}
