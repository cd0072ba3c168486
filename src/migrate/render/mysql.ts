import { mysql as d } from "../../dialect/index.js";
import { liveColumnName, liveColumns } from "../../dialect/mysql/ddl.js";
import { foreignKeyClause, renderPredicate } from "../../dialect/render.js";
import type { ColumnModel, SchemaModel, TableModel } from "../../schema/index.js";
import type { Operation, Step } from "../operations.js";
import { addImplicitChecks, columnIn, physicallyEqual, tableIn } from "./common.js";

const q = d.quote;

/**
 * MySQL commits every DDL statement by itself, so the runner records progress per statement; here
 * each change is kept to statements that are individually safe to resume after.
 */
export function renderMysql(o: Operation, before: SchemaModel): Step[] {
  const sql = (...statements: string[]): Step[] => statements.map((s) => ({ sql: s }));
  switch (o.op) {
    case "createTable":
      return sql(...d.createTable(o.table, new Set()));
    case "dropTable":
      return sql(`DROP TABLE ${q(o.table.name)}`);
    case "renameTable": {
      // CHECK constraints cannot be renamed: re-create the type CHECKs under the new table's names.
      const old = tableIn(before, o.from);
      const renamed = { ...old, name: o.to };
      return sql(
        `RENAME TABLE ${q(o.from)} TO ${q(o.to)}`,
        ...old.columns.flatMap((c) =>
          d.implicitChecks(old, c).map((k) => `ALTER TABLE ${q(o.to)} DROP CONSTRAINT ${q(k.name)}`),
        ),
        ...old.columns.flatMap((c) => addImplicitChecks(renamed, c, d)),
      );
    }
    case "alterTable":
      return o.from.doc === o.to.doc
        ? []
        : sql(`ALTER TABLE ${q(o.table)} COMMENT = ${d.literal(o.to.doc ?? "")}`);
    case "addColumn": {
      const t = tableIn(before, o.table);
      return sql(
        `ALTER TABLE ${q(t.name)} ADD COLUMN ${d.columnDefinition(t, o.column)}`,
        ...addImplicitChecks(t, o.column, d),
      );
    }
    case "dropColumn": {
      const t = tableIn(before, o.table);
      return sql(
        ...dropImplicitChecks(t, o.column),
        `ALTER TABLE ${q(t.name)} DROP COLUMN ${q(o.column.name)}`,
      );
    }
    case "renameColumn": {
      // CHECKs name their column; move them with it rather than rely on each server's rewrite rules.
      const t = tableIn(before, o.table);
      const c = columnIn(t, o.from);
      const renamed = { ...c, name: o.to };
      return sql(
        ...dropImplicitChecks(t, c),
        `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`,
        ...addImplicitChecks(t, renamed, d),
      );
    }
    case "alterColumn":
      return sql(...alterColumn(tableIn(before, o.table), o.from, o.to));
    case "addIndex": {
      // A partial unique index first needs its stand-in columns (see liveColumns).
      const t = tableIn(before, o.table);
      const live = liveColumns(t, o.index).map((c) => `ALTER TABLE ${q(o.table)} ADD COLUMN ${c}`);
      return sql(...live, d.indexStatement(t, o.index));
    }
    case "dropIndex": {
      const t = tableIn(before, o.table);
      const live =
        o.index.where && o.index.unique ? o.index.columns.map((c) => liveColumnName(t, o.index.name, c)) : [];
      return sql(
        d.dropIndexStatement(t, o.index.name),
        ...live.map((c) => `ALTER TABLE ${q(o.table)} DROP COLUMN ${q(c)}`),
      );
    }
    case "addFullText":
      return sql(...d.fullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText }));
    case "dropFullText":
      return sql(...d.dropFullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText }));
    case "addUnique":
      return sql(
        `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.unique.name)} UNIQUE (${o.unique.columns.map(q).join(", ")})`,
      );
    case "dropUnique":
      return sql(`ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.unique.name)}`);
    case "addCheck":
      return sql(
        `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.check.name)} CHECK (${renderPredicate(o.check.predicate, d)})`,
      );
    case "dropCheck":
      return sql(`ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.check.name)}`);
    case "addForeignKey": {
      // Its own index, as in CREATE TABLE (see foreignKeyIndexes in src/dialect/mysql/ddl.ts).
      const t = { ...tableIn(before, o.table), foreignKeys: [o.foreignKey] };
      const columns = o.foreignKey.columns.map(q).join(", ");
      return sql(
        `ALTER TABLE ${q(o.table)} ADD KEY ${q(o.foreignKey.name)} (${columns}), ADD ${foreignKeyClause(t, o.foreignKey.name, d)}`,
      );
    }
    case "dropForeignKey":
      // The key's own index stays behind when the key goes; drop it too. `onlyIf` keeps this safe
      // on tables whose key MySQL indexed implicitly, or not at all.
      return [
        { sql: `ALTER TABLE ${q(o.table)} DROP FOREIGN KEY ${q(o.foreignKey.name)}` },
        {
          sql: `ALTER TABLE ${q(o.table)} DROP INDEX ${q(o.foreignKey.name)}`,
          onlyIf:
            "SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() " +
            `AND TABLE_NAME = ${d.literal(o.table)} AND INDEX_NAME = ${d.literal(o.foreignKey.name)}`,
        },
      ];
    case "renameConstraint":
      return renameConstraint(o, before);
    case "validateConstraint":
      // Only PostgreSQL has NOT VALID constraints; elsewhere they were checked when added.
      return [];
    case "sql":
    case "data":
      throw new Error(`${o.op} steps are rendered by the caller`);
  }
}

/**
 * MySQL names every primary key PRIMARY and can rename indexes in place; CHECKs and foreign keys
 * cannot be renamed, so they are dropped and re-added under the new name.
 */
function renameConstraint(o: Extract<Operation, { op: "renameConstraint" }>, before: SchemaModel): Step[] {
  const t = tableIn(before, o.table);
  switch (o.kind) {
    case "primaryKey":
      return [];
    case "index":
    case "unique":
      return [{ sql: `ALTER TABLE ${q(o.table)} RENAME INDEX ${q(o.from)} TO ${q(o.to)}` }];
    case "check": {
      const check = t.checks.find((c) => c.name === o.from)!;
      return [
        ...renderMysql({ op: "dropCheck", table: o.table, check }, before),
        ...renderMysql({ op: "addCheck", table: o.table, check: { ...check, name: o.to } }, before),
      ];
    }
    case "foreignKey": {
      const foreignKey = t.foreignKeys.find((f) => f.name === o.from)!;
      return [
        ...renderMysql({ op: "dropForeignKey", table: o.table, foreignKey }, before),
        ...renderMysql(
          { op: "addForeignKey", table: o.table, foreignKey: { ...foreignKey, name: o.to } },
          before,
        ),
      ];
    }
  }
}

function dropImplicitChecks(t: TableModel, c: ColumnModel): string[] {
  return d.implicitChecks(t, c).map((k) => `ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(k.name)}`);
}

function alterColumn(t: TableModel, from: ColumnModel, to: ColumnModel): string[] {
  // A change only plinth sees (docs aside: they live in the definition here) needs no statement.
  if (physicallyEqual(from, to) && (from.doc ?? null) === (to.doc ?? null)) return [];
  const oldChecks = d.implicitChecks(t, from);
  const newChecks = d.implicitChecks(t, to);
  const checksChange = JSON.stringify(oldChecks) !== JSON.stringify(newChecks);
  return [
    ...(checksChange ? dropImplicitChecks(t, from) : []),
    `ALTER TABLE ${q(t.name)} MODIFY COLUMN ${d.columnDefinition(t, to)}`,
    ...(checksChange ? addImplicitChecks(t, to, d) : []),
  ];
}
