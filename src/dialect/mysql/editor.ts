import type { ChangeOf, ColumnModel, TableModel } from "../../schema/index.js";
import type { EditContext, SchemaEditor } from "../editor.js";
import { columnIn, physicallyEqual, tableIn, unsupported } from "../editor.js";
import { foreignKeyClause, renderPredicate } from "../render.js";
import type { DdlStep } from "../types.js";
import { coveredForeignKey, mysqlDdl as d, foreignKeyIndexLine, liveColumnName, liveColumns } from "./ddl.js";
import { mysqlColumnIndexName } from "./full-text.js";

const q = d.quote;
const lit = d.literal;

/** Catalog queries that return a row when a table, column, index or constraint exists. */
const has = {
  table: (t: string) =>
    `SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${lit(t)}`,
  column: (t: string, c: string) =>
    `SELECT 1 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${lit(t)} AND COLUMN_NAME = ${lit(c)}`,
  index: (t: string, i: string) =>
    `SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ${lit(t)} AND INDEX_NAME = ${lit(i)}`,
  constraint: (t: string, k: string) =>
    `SELECT 1 FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = ${lit(t)} AND CONSTRAINT_NAME = ${lit(k)}`,
};
const absent = (query: string) => `SELECT 1 FROM DUAL WHERE NOT EXISTS (${query})`;

/** A statement and the catalog query that tells a resumed run it already took effect. */
const step = (sql: string, done: string): DdlStep => ({ sql, resume: { done } });

/**
 * MySQL commits every DDL statement by itself, so the runner records progress per statement, and a
 * run that stops between a statement and its counter leaves the statement done but unrecorded. So
 * every statement here says how to tell it is done (`resume.done`): the run that resumes records it
 * instead of failing on "duplicate column" or "unknown table".
 */
export const mysqlEditor: SchemaEditor = {
  createTable: (o) => createTable(o.table),
  dropTable: (o) => [step(`DROP TABLE ${q(o.table.name)}`, absent(has.table(o.table.name)))],

  renameTable(o, { before }) {
    // CHECK constraints cannot be renamed: re-create the type CHECKs under the new table's names.
    const old = tableIn(before, o.from);
    const renamed = { ...old, name: o.to };
    return [
      step(`RENAME TABLE ${q(o.from)} TO ${q(o.to)}`, absent(has.table(o.from))),
      ...old.columns.flatMap((c) => dropChecks({ ...old, name: o.to }, c, d.implicitChecks(old, c))),
      ...old.columns.flatMap((c) => addChecks(renamed, c)),
    ];
  },

  // Setting a comment twice is harmless.
  alterTable: (o) =>
    o.from.doc === o.to.doc ? [] : [{ sql: `ALTER TABLE ${q(o.table)} COMMENT = ${lit(o.to.doc ?? "")}` }],

  addColumn(o, { before }) {
    const t = tableIn(before, o.table);
    const c = o.column;
    // MySQL fills a NOT NULL column without a default with '' or 0 in the rows already there, where
    // the other engines refuse. Added nullable, then made NOT NULL, it refuses as they do (strict
    // mode will not turn the NULLs into anything).
    const needsValue = !c.nullable && !c.default && !c.generated && !c.computed;
    const add = needsValue ? { ...c, nullable: true } : c;
    return [
      step(`ALTER TABLE ${q(t.name)} ADD COLUMN ${d.columnDefinition(t, add)}`, has.column(t.name, c.name)),
      ...(needsValue ? [{ sql: `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${d.columnDefinition(t, c)}` }] : []),
      ...addChecks(t, o.column),
    ];
  },

  dropColumn(o, { before }) {
    const t = tableIn(before, o.table);
    return [
      ...dropChecks(t, o.column),
      step(
        `ALTER TABLE ${q(t.name)} DROP COLUMN ${q(o.column.name)}`,
        absent(has.column(t.name, o.column.name)),
      ),
    ];
  },

  renameColumn(o, { before }) {
    // CHECKs name their column; move them with it rather than rely on each server's rewrite rules.
    const t = tableIn(before, o.table);
    const c = columnIn(t, o.from);
    const renamed = { ...c, name: o.to };
    return [
      ...dropChecks(t, c),
      step(
        `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`,
        absent(has.column(t.name, o.from)),
      ),
      ...addChecks(t, renamed),
    ];
  },

  alterColumn: (o, { before }) => alterColumn(tableIn(before, o.table), o.from, o.to),

  addIndex(o, { before }) {
    // A partial unique index first needs its stand-in columns (see liveColumns).
    const t = tableIn(before, o.table);
    const live = liveColumns(t, o.index).map((definition, i) =>
      step(
        `ALTER TABLE ${q(o.table)} ADD COLUMN ${definition}`,
        has.column(o.table, liveColumnName(t, o.index.name, o.index.columns[i]!)),
      ),
    );
    return [...live, step(d.indexStatement(t, o.index), has.index(o.table, o.index.name))];
  },

  dropIndex(o, { before }) {
    const t = tableIn(before, o.table);
    const live =
      o.index.where && o.index.unique ? o.index.columns.map((c) => liveColumnName(t, o.index.name, c)) : [];
    return [
      ...keepForeignKeysIndexed(t, o.index.name),
      step(d.dropIndexStatement(t, o.index.name), absent(has.index(o.table, o.index.name))),
      ...live.map((c) =>
        step(`ALTER TABLE ${q(o.table)} DROP COLUMN ${q(c)}`, absent(has.column(o.table, c))),
      ),
    ];
  },

  addFullText: (o, { before }) => fullTextSteps({ ...tableIn(before, o.table), fullText: o.fullText }, "add"),
  dropFullText: (o, { before }) =>
    fullTextSteps({ ...tableIn(before, o.table), fullText: o.fullText }, "drop"),

  addUnique: (o) => [
    step(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.unique.name)} UNIQUE (${o.unique.columns.map(q).join(", ")})`,
      has.index(o.table, o.unique.name),
    ),
  ],
  dropUnique: (o, { before }) => [
    ...keepForeignKeysIndexed(tableIn(before, o.table), o.unique.name),
    step(
      `ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.unique.name)}`,
      absent(has.index(o.table, o.unique.name)),
    ),
  ],
  addCheck: (o) => [
    step(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.check.name)} CHECK (${renderPredicate(o.check.predicate, d)})`,
      has.constraint(o.table, o.check.name),
    ),
  ],
  dropCheck: (o) => [
    step(
      `ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.check.name)}`,
      absent(has.constraint(o.table, o.check.name)),
    ),
  ],

  addForeignKey(o, { before }) {
    // Its own index where no key or index serves it, as in CREATE TABLE (see foreignKeyIndexes).
    const t = { ...tableIn(before, o.table), foreignKeys: [o.foreignKey] };
    const key = coveredForeignKey(t, o.foreignKey.columns)
      ? ""
      : `ADD ${foreignKeyIndexLine(o.foreignKey)}, `;
    return [
      step(
        `ALTER TABLE ${q(o.table)} ${key}ADD ${foreignKeyClause(t, o.foreignKey.name, d)}`,
        has.constraint(o.table, o.foreignKey.name),
      ),
    ];
  },

  // The key's own index stays behind when the key goes; drop it too. `onlyIf` keeps this safe on
  // tables whose key MySQL indexed implicitly, or not at all.
  dropForeignKey: (o) => [
    step(
      `ALTER TABLE ${q(o.table)} DROP FOREIGN KEY ${q(o.foreignKey.name)}`,
      absent(has.constraint(o.table, o.foreignKey.name)),
    ),
    {
      sql: `ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.foreignKey.name)}`,
      onlyIf: has.index(o.table, o.foreignKey.name),
    },
  ],

  renameConstraint: (o, context) => renameConstraint(o, context),

  // Only PostgreSQL has NOT VALID constraints; elsewhere they were checked when added.
  validateConstraint: () => [],

  // MariaDB has sequences and both have partitioning, but plinth renders neither on MySQL yet.
  createType: unsupported("MySQL in plinth", "database-defined types"),
  dropType: unsupported("MySQL in plinth", "database-defined types"),
  createSequence: unsupported("MySQL in plinth", "sequences"),
  dropSequence: unsupported("MySQL in plinth", "sequences"),
  addPartition: unsupported("MySQL in plinth", "partitioned tables"),
  dropPartition: unsupported("MySQL in plinth", "partitioned tables"),

  raw: (sql) => [{ sql }],
};

/**
 * MySQL refuses to drop the index a foreign key uses. Before `index` goes, each key it served and
 * nothing else serves gets an index of its own (the one CREATE TABLE would have given it).
 */
function keepForeignKeysIndexed(t: TableModel, index: string): DdlStep[] {
  return t.foreignKeys
    .filter((fk) => !coveredForeignKey(t, fk.columns, index))
    .map((fk) => ({
      sql: `ALTER TABLE ${q(t.name)} ADD ${foreignKeyIndexLine(fk)}`,
      onlyIf: absent(has.index(t.name, fk.name)),
    }));
}

/** CREATE TABLE, then each index and full-text index it carries, each a statement of its own. */
function createTable(t: TableModel): DdlStep[] {
  // The first statement is the CREATE TABLE itself (stand-in columns and key indexes included).
  const [create] = d.createTable(t, new Set());
  return [
    step(create!, has.table(t.name)),
    ...t.indexes.map((ix) => step(d.indexStatement(t, ix), has.index(t.name, ix.name))),
    ...(t.fullText ? fullTextSteps(t, "add") : []),
  ];
}

/** The full-text index and its per-column parts, one index per statement (InnoDB's rule). */
function fullTextSteps(t: TableModel, how: "add" | "drop"): DdlStep[] {
  const statements = how === "add" ? d.fullTextStatements(t) : d.dropFullTextStatements(t);
  const names = fullTextIndexNames(t);
  return statements.map((sql, i) =>
    step(sql, how === "add" ? has.index(t.name, names[i]!) : absent(has.index(t.name, names[i]!))),
  );
}

/** The names of the indexes fullTextStatements creates, in the same order. */
function fullTextIndexNames(t: TableModel): string[] {
  const ft = t.fullText!;
  const columns = ft.columns.map((c) => c.column);
  return [ft.name, ...(columns.length > 1 ? columns.map((c) => mysqlColumnIndexName(ft, c)) : [])];
}

function addChecks(t: TableModel, c: ColumnModel): DdlStep[] {
  return d
    .implicitChecks(t, c)
    .map((k) =>
      step(
        `ALTER TABLE ${q(t.name)} ADD CONSTRAINT ${q(k.name)} CHECK (${k.sql})`,
        has.constraint(t.name, k.name),
      ),
    );
}

/** Drops the type CHECKs `checks` (by default those of `c` on `t`) from table `t`. */
function dropChecks(t: TableModel, c: ColumnModel, checks = d.implicitChecks(t, c)): DdlStep[] {
  return checks.map((k) =>
    step(`ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(k.name)}`, absent(has.constraint(t.name, k.name))),
  );
}

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
      return [
        step(`ALTER TABLE ${q(o.table)} RENAME INDEX ${q(o.from)} TO ${q(o.to)}`, has.index(o.table, o.to)),
      ];
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

function alterColumn(t: TableModel, from: ColumnModel, to: ColumnModel): DdlStep[] {
  // A change only plinth sees (docs aside: they live in the definition here) needs no statement.
  if (physicallyEqual(from, to) && (from.doc ?? null) === (to.doc ?? null)) return [];
  const oldChecks = d.implicitChecks(t, from);
  const newChecks = d.implicitChecks(t, to);
  const checksChange = JSON.stringify(oldChecks) !== JSON.stringify(newChecks);
  return [
    ...(checksChange ? dropChecks(t, from) : []),
    // MODIFY to the same definition twice is harmless.
    { sql: `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${d.columnDefinition(t, to)}` },
    ...(checksChange ? addChecks(t, to) : []),
  ];
}
