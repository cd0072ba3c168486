import type { ChangeOf, ColumnModel, TableModel } from "../../schema/index.js";
import type { EditContext, SchemaEditor } from "../editor.js";
import {
  addImplicitChecks,
  columnIn,
  dropImplicitChecks,
  physicallyEqual,
  steps,
  tableIn,
} from "../editor.js";
import { foreignKeyClause, renderPredicate } from "../render.js";
import type { DdlStep } from "../types.js";
import { mysqlDdl as d, liveColumnName, liveColumns } from "./ddl.js";

const q = d.quote;

/**
 * MySQL commits every DDL statement by itself, so the runner records progress per statement; here
 * each change is kept to statements that are individually safe to resume after.
 */
export const mysqlEditor: SchemaEditor = {
  createTable: (o) => steps(...d.createTable(o.table, new Set())),
  dropTable: (o) => steps(`DROP TABLE ${q(o.table.name)}`),

  renameTable(o, { before }) {
    // CHECK constraints cannot be renamed: re-create the type CHECKs under the new table's names.
    const old = tableIn(before, o.from);
    const renamed = { ...old, name: o.to };
    return steps(
      `RENAME TABLE ${q(o.from)} TO ${q(o.to)}`,
      ...old.columns.flatMap((c) =>
        d.implicitChecks(old, c).map((k) => `ALTER TABLE ${q(o.to)} DROP CONSTRAINT ${q(k.name)}`),
      ),
      ...old.columns.flatMap((c) => addImplicitChecks(renamed, c, d)),
    );
  },

  alterTable: (o) =>
    o.from.doc === o.to.doc ? [] : steps(`ALTER TABLE ${q(o.table)} COMMENT = ${d.literal(o.to.doc ?? "")}`),

  addColumn(o, { before }) {
    const t = tableIn(before, o.table);
    return steps(
      `ALTER TABLE ${q(t.name)} ADD COLUMN ${d.columnDefinition(t, o.column)}`,
      ...addImplicitChecks(t, o.column, d),
    );
  },

  dropColumn(o, { before }) {
    const t = tableIn(before, o.table);
    return steps(
      ...dropImplicitChecks(t, o.column, d),
      `ALTER TABLE ${q(t.name)} DROP COLUMN ${q(o.column.name)}`,
    );
  },

  renameColumn(o, { before }) {
    // CHECKs name their column; move them with it rather than rely on each server's rewrite rules.
    const t = tableIn(before, o.table);
    const c = columnIn(t, o.from);
    const renamed = { ...c, name: o.to };
    return steps(
      ...dropImplicitChecks(t, c, d),
      `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`,
      ...addImplicitChecks(t, renamed, d),
    );
  },

  alterColumn: (o, { before }) => steps(...alterColumn(tableIn(before, o.table), o.from, o.to)),

  addIndex(o, { before }) {
    // A partial unique index first needs its stand-in columns (see liveColumns).
    const t = tableIn(before, o.table);
    const live = liveColumns(t, o.index).map((c) => `ALTER TABLE ${q(o.table)} ADD COLUMN ${c}`);
    return steps(...live, d.indexStatement(t, o.index));
  },

  dropIndex(o, { before }) {
    const t = tableIn(before, o.table);
    const live =
      o.index.where && o.index.unique ? o.index.columns.map((c) => liveColumnName(t, o.index.name, c)) : [];
    return steps(
      d.dropIndexStatement(t, o.index.name),
      ...live.map((c) => `ALTER TABLE ${q(o.table)} DROP COLUMN ${q(c)}`),
    );
  },

  addFullText: (o, { before }) =>
    steps(...d.fullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),
  dropFullText: (o, { before }) =>
    steps(...d.dropFullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),

  addUnique: (o) =>
    steps(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.unique.name)} UNIQUE (${o.unique.columns.map(q).join(", ")})`,
    ),
  dropUnique: (o) => steps(`ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.unique.name)}`),
  addCheck: (o) =>
    steps(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.check.name)} CHECK (${renderPredicate(o.check.predicate, d)})`,
    ),
  dropCheck: (o) => steps(`ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.check.name)}`),

  addForeignKey(o, { before }) {
    // Its own index, as in CREATE TABLE (see foreignKeyIndexes in ./ddl.ts).
    const t = { ...tableIn(before, o.table), foreignKeys: [o.foreignKey] };
    const columns = o.foreignKey.columns.map(q).join(", ");
    return steps(
      `ALTER TABLE ${q(o.table)} ADD KEY ${q(o.foreignKey.name)} (${columns}), ADD ${foreignKeyClause(t, o.foreignKey.name, d)}`,
    );
  },

  // The key's own index stays behind when the key goes; drop it too. `onlyIf` keeps this safe on
  // tables whose key MySQL indexed implicitly, or not at all.
  dropForeignKey: (o) => [
    { sql: `ALTER TABLE ${q(o.table)} DROP FOREIGN KEY ${q(o.foreignKey.name)}` },
    {
      sql: `ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.foreignKey.name)}`,
      onlyIf:
        "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() " +
        `AND TABLE_NAME = ${d.literal(o.table)} AND INDEX_NAME = ${d.literal(o.foreignKey.name)}`,
    },
  ],

  renameConstraint: (o, context) => renameConstraint(o, context),

  // Only PostgreSQL has NOT VALID constraints; elsewhere they were checked when added.
  validateConstraint: () => [],

  raw: (sql) => steps(sql),
};

/**
 * MySQL names every primary key PRIMARY and can rename indexes in place; CHECKs and foreign keys
 * cannot be renamed, so they are dropped and re-added under the new name.
 */
function renameConstraint(o: ChangeOf<"renameConstraint">, context: EditContext): DdlStep[] {
  const t = tableIn(context.before, o.table);
  switch (o.kind) {
    case "primaryKey":
      return [];
    case "index":
    case "unique":
      return steps(`ALTER TABLE ${q(o.table)} RENAME INDEX ${q(o.from)} TO ${q(o.to)}`);
    case "check": {
      const check = t.checks.find((c) => c.name === o.from)!;
      return [
        ...mysqlEditor.dropCheck({ op: "dropCheck", table: o.table, check }, context),
        ...mysqlEditor.addCheck({ op: "addCheck", table: o.table, check: { ...check, name: o.to } }, context),
      ];
    }
    case "foreignKey": {
      const foreignKey = t.foreignKeys.find((f) => f.name === o.from)!;
      return [
        ...mysqlEditor.dropForeignKey({ op: "dropForeignKey", table: o.table, foreignKey }, context),
        ...mysqlEditor.addForeignKey(
          { op: "addForeignKey", table: o.table, foreignKey: { ...foreignKey, name: o.to } },
          context,
        ),
      ];
    }
  }
}

function alterColumn(t: TableModel, from: ColumnModel, to: ColumnModel): string[] {
  // A change only plinth sees (docs aside: they live in the definition here) needs no statement.
  if (physicallyEqual(from, to) && (from.doc ?? null) === (to.doc ?? null)) return [];
  const oldChecks = d.implicitChecks(t, from);
  const newChecks = d.implicitChecks(t, to);
  const checksChange = JSON.stringify(oldChecks) !== JSON.stringify(newChecks);
  return [
    ...(checksChange ? dropImplicitChecks(t, from, d) : []),
    `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${d.columnDefinition(t, to)}`,
    ...(checksChange ? addImplicitChecks(t, to, d) : []),
  ];
}
