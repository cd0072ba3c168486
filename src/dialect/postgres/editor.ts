import type { ColumnModel, TableModel, TypeModel } from "../../schema/index.js";
import { SchemaError } from "../../schema/index.js";
import type { SchemaEditor } from "../editor.js";
import { addImplicitChecks, columnIn, steps, tableIn } from "../editor.js";
import { foreignKeyClause, renderPredicate, touchTriggerName } from "../render.js";
import { postgresDdl as d } from "./ddl.js";

const q = d.quote;

/** PostgreSQL can ALTER almost everything in place, and all of it inside one transaction. */
export const postgresEditor: SchemaEditor = {
  createTable: (o) => steps(...d.createTable(o.table, new Set())),
  dropTable: (o) => steps(`DROP TABLE ${q(o.table.name)}`),

  renameTable(o, { before }) {
    // Type CHECKs and touch triggers are named after their table: rename them along.
    const old = tableIn(before, o.from);
    const renamed = { ...old, name: o.to };
    return steps(
      `ALTER TABLE ${q(o.from)} RENAME TO ${q(o.to)}`,
      ...old.columns.flatMap((c) =>
        d.implicitChecks(old, c).map((k, i) => {
          const next = d.implicitChecks(renamed, c)[i]!.name;
          return `ALTER TABLE ${q(o.to)} RENAME CONSTRAINT ${q(k.name)} TO ${q(next)}`;
        }),
      ),
      ...old.columns
        .filter((c) => c.autoUpdate)
        .map(
          (c) =>
            `ALTER TRIGGER ${q(touchTriggerName(old, c))} ON ${q(o.to)} RENAME TO ${q(touchTriggerName(renamed, c))}`,
        ),
    );
  },

  alterTable: (o) =>
    o.from.doc === o.to.doc
      ? []
      : steps(`COMMENT ON TABLE ${q(o.table)} IS ${o.to.doc === undefined ? "NULL" : d.literal(o.to.doc)}`),

  addColumn(o, { before }) {
    const t = tableIn(before, o.table);
    return steps(
      `ALTER TABLE ${q(t.name)} ADD COLUMN ${d.columnDefinition(t, o.column)}`,
      ...addImplicitChecks(t, o.column, d),
      ...(o.column.doc ? d.commentStatements(t, o.column) : []),
      ...(o.column.autoUpdate ? d.touchStatements(t, o.column) : []),
    );
  },

  dropColumn(o, { before }) {
    const t = tableIn(before, o.table);
    return steps(
      ...(o.column.autoUpdate ? d.dropTouchStatements(t, o.column) : []),
      `ALTER TABLE ${q(t.name)} DROP COLUMN ${q(o.column.name)}`,
    );
  },

  renameColumn(o, { before }) {
    const t = tableIn(before, o.table);
    const c = columnIn(t, o.from);
    const renamed = { ...c, name: o.to };
    // The touch trigger names its column: re-create it under the new name.
    return steps(
      ...(c.autoUpdate ? d.dropTouchStatements(t, c) : []),
      `ALTER TABLE ${q(t.name)} RENAME COLUMN ${q(o.from)} TO ${q(o.to)}`,
      // Type CHECKs are named after their column; keep the names in step with it.
      ...d.implicitChecks(t, c).map((k, i) => {
        const next = d.implicitChecks(t, renamed)[i]!.name;
        return `ALTER TABLE ${q(t.name)} RENAME CONSTRAINT ${q(k.name)} TO ${q(next)}`;
      }),
      ...(c.autoUpdate ? d.touchStatements(t, renamed) : []),
    );
  },

  alterColumn: (o, { before }) => steps(...alterColumn(tableIn(before, o.table), o.from, o.to)),

  // PostgreSQL refuses CONCURRENTLY inside a transaction block, so such a statement commits by
  // itself; a build killed half-way leaves an INVALID index behind, which a resumed run drops first.
  addIndex(o, { before }) {
    const sql = d.indexStatement(tableIn(before, o.table), o.index, { concurrently: o.concurrently });
    if (!o.concurrently) return steps(sql);
    const name = d.literal(q(o.index.name));
    return [
      {
        sql,
        outsideTransaction: true,
        resume: {
          done: `SELECT 1 FROM pg_index WHERE indexrelid = to_regclass(${name}) AND indisvalid`,
          cleanup: `DROP INDEX CONCURRENTLY IF EXISTS ${q(o.index.name)}`,
        },
      },
    ];
  },
  dropIndex(o, { before }) {
    if (!o.concurrently) return steps(d.dropIndexStatement(tableIn(before, o.table), o.index.name));
    return [
      {
        sql: d.dropIndexStatement(tableIn(before, o.table), o.index.name, { concurrently: true }),
        outsideTransaction: true,
        resume: { done: `SELECT 1 WHERE to_regclass(${d.literal(q(o.index.name))}) IS NULL` },
      },
    ];
  },

  validateConstraint: (o) => steps(`ALTER TABLE ${q(o.table)} VALIDATE CONSTRAINT ${q(o.name)}`),
  addFullText: (o, { before }) =>
    steps(...d.fullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),
  dropFullText: (o, { before }) =>
    steps(...d.dropFullTextStatements({ ...tableIn(before, o.table), fullText: o.fullText })),

  addUnique: (o) =>
    steps(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.unique.name)} UNIQUE (${o.unique.columns.map(q).join(", ")})`,
    ),
  addCheck: (o) =>
    steps(
      `ALTER TABLE ${q(o.table)} ADD CONSTRAINT ${q(o.check.name)} CHECK (${renderPredicate(o.check.predicate, d)})${o.notValid ? " NOT VALID" : ""}`,
    ),
  addForeignKey(o, { before }) {
    const t = { ...tableIn(before, o.table), foreignKeys: [o.foreignKey] };
    return steps(
      `ALTER TABLE ${q(o.table)} ADD ${foreignKeyClause(t, o.foreignKey.name, d)}${o.notValid ? " NOT VALID" : ""}`,
    );
  },
  dropUnique: (o) => steps(`ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.unique.name)}`),
  dropCheck: (o) => steps(`ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.check.name)}`),
  dropForeignKey: (o) => steps(`ALTER TABLE ${q(o.table)} DROP CONSTRAINT ${q(o.foreignKey.name)}`),
  renameConstraint: (o) =>
    steps(
      o.kind === "index"
        ? `ALTER INDEX ${q(o.from)} RENAME TO ${q(o.to)}`
        : `ALTER TABLE ${q(o.table)} RENAME CONSTRAINT ${q(o.from)} TO ${q(o.to)}`,
    ),

  createType: (o) => steps(nativeDefinition(o.type)),
  dropType: (o) =>
    steps(`DROP ${/^CREATE\s+DOMAIN/i.test(o.type.definition) ? "DOMAIN" : "TYPE"} ${q(o.type.name)}`),
  createSequence: (o) =>
    steps(
      `CREATE SEQUENCE ${q(o.sequence.name)} START WITH ${o.sequence.start} INCREMENT BY ${o.sequence.increment}`,
    ),
  dropSequence: (o) => steps(`DROP SEQUENCE ${q(o.sequence.name)}`),
  addPartition: (o) =>
    steps(`CREATE TABLE ${q(o.partition.name)} PARTITION OF ${q(o.table)} ${o.partition.bound}`),
  // Detached first: dropping an attached partition locks the whole partitioned table.
  dropPartition: (o) =>
    steps(
      `ALTER TABLE ${q(o.table)} DETACH PARTITION ${q(o.partition.name)}`,
      `DROP TABLE ${q(o.partition.name)}`,
    ),

  // A raw CONCURRENTLY statement has the same restriction as the rendered ones.
  raw: (sql) => [/\bCONCURRENTLY\b/i.test(sql) ? { sql, outsideTransaction: true } : { sql }],
};

function alterColumn(t: TableModel, from: ColumnModel, to: ColumnModel): string[] {
  const alter = (clause: string) => `ALTER TABLE ${q(t.name)} ALTER COLUMN ${q(to.name)} ${clause}`;
  const out: string[] = [];
  const oldChecks = d.implicitChecks(t, from);
  const newChecks = d.implicitChecks(t, to);
  const checksChange = JSON.stringify(oldChecks) !== JSON.stringify(newChecks);
  if (checksChange)
    for (const k of oldChecks) out.push(`ALTER TABLE ${q(t.name)} DROP CONSTRAINT ${q(k.name)}`);
  if (from.generated === "identity" && to.generated !== "identity") out.push(alter("DROP IDENTITY"));
  const typeFrom = d.columnType(from);
  const typeTo = d.columnType(to);
  // The full-text index is an expression over the column: it goes while the type changes.
  const indexed = typeFrom !== typeTo && t.fullText?.columns.some((c) => c.column === from.name);
  if (typeFrom !== typeTo) {
    if (indexed) out.push(...d.dropFullTextStatements(t));
    if (from.default) out.push(alter("DROP DEFAULT"));
    // An explicit cast to varchar(n) cuts longer values silently; the assignment cast PostgreSQL
    // uses without USING refuses them, and every type has one to text.
    const textual = to.type.kind === "varchar" || to.type.kind === "text";
    out.push(alter(textual ? `TYPE ${typeTo}` : `TYPE ${typeTo} USING ${q(to.name)}::${typeTo}`));
    if (indexed) out.push(...d.fullTextStatements(t));
  }
  if (from.nullable !== to.nullable) out.push(alter(to.nullable ? "DROP NOT NULL" : "SET NOT NULL"));
  const defaultChanged = JSON.stringify(from.default ?? null) !== JSON.stringify(to.default ?? null);
  if (defaultChanged || (typeFrom !== typeTo && to.default)) {
    const clause = d.defaultExpression(to);
    out.push(alter(clause ? `SET DEFAULT ${clause}` : "DROP DEFAULT"));
  }
  if (to.generated === "identity" && from.generated !== "identity")
    out.push(alter("ADD GENERATED BY DEFAULT AS IDENTITY"));
  if (checksChange) out.push(...addImplicitChecks(t, to, d));
  if ((from.doc ?? null) !== (to.doc ?? null)) out.push(...d.commentStatements(t, to));
  if (from.autoUpdate && !to.autoUpdate) out.push(...d.dropTouchStatements(t, from));
  if (!from.autoUpdate && to.autoUpdate) out.push(...d.touchStatements(t, to));
  return out;
}

function nativeDefinition(type: TypeModel): string {
  if (type.dialect !== "postgres")
    throw new SchemaError(`type ${type.name} is defined for ${type.dialect}, not PostgreSQL`);
  return type.definition;
}
