import type { Kysely } from "kysely";
import { sql } from "kysely";
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  FullTextWeight,
  SchemaModel,
  UnmanagedObject,
} from "../../schema/index.js";
import {
  columnKey,
  emptyTable,
  groupBy,
  implicitCheckName,
  literalDefault,
  referentialAction,
  rows,
  sorted,
  stringLiterals,
  typedDefault,
} from "../introspect-shared.js";
import { MYSQL_FULLTEXT_COMMENT, MYSQL_FULLTEXT_PART_COMMENT } from "./full-text.js";

interface ColumnRow {
  tbl: string;
  name: string;
  type: string;
  base: string;
  len: number | null;
  prec: number | null;
  scale: number | null;
  nullable: string;
  dflt: string | null;
  extra: string;
  doc: string;
  generation: string | null;
}

/**
 * Reads DATABASE() from information_schema. MariaDB and MySQL 8 differ in two places that matter:
 * MariaDB quotes string defaults in COLUMN_DEFAULT (MySQL does not), and MariaDB's JSON is LONGTEXT
 * with an automatic CHECK (json_valid) named after the column.
 */
export async function introspectMysql(db: Kysely<any>): Promise<SchemaModel> {
  const [{ version }] = (await rows(db, sql<{ version: string }>`SELECT VERSION() AS version`)) as [
    { version: string },
  ];
  const mariadb = /mariadb/i.test(version);
  const tables = await rows(
    db,
    sql<{ name: string; doc: string }>`
      SELECT TABLE_NAME AS name, TABLE_COMMENT AS doc FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'`,
  );
  const columns = groupBy(
    await rows(
      db,
      sql<ColumnRow>`
        SELECT TABLE_NAME AS tbl, COLUMN_NAME AS name, COLUMN_TYPE AS type, DATA_TYPE AS base,
          CHARACTER_MAXIMUM_LENGTH AS len, NUMERIC_PRECISION AS prec, NUMERIC_SCALE AS scale,
          IS_NULLABLE AS nullable, COLUMN_DEFAULT AS dflt, EXTRA AS extra, COLUMN_COMMENT AS doc,
          GENERATION_EXPRESSION AS generation
        FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() ORDER BY ORDINAL_POSITION`,
    ),
    (c) => c.tbl,
  );
  // MariaDB names CHECKs per table (CHECK_CONSTRAINTS has TABLE_NAME); MySQL names them per schema.
  const checks = groupBy(
    await rows(
      db,
      mariadb
        ? sql<{ tbl: string; name: string; clause: string }>`
            SELECT TABLE_NAME AS tbl, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause
            FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE()`
        : sql<{ tbl: string; name: string; clause: string }>`
            SELECT tc.TABLE_NAME AS tbl, cc.CONSTRAINT_NAME AS name, cc.CHECK_CLAUSE AS clause
            FROM information_schema.CHECK_CONSTRAINTS cc
              JOIN information_schema.TABLE_CONSTRAINTS tc
                ON tc.CONSTRAINT_SCHEMA = cc.CONSTRAINT_SCHEMA AND tc.CONSTRAINT_NAME = cc.CONSTRAINT_NAME
                AND tc.CONSTRAINT_TYPE = 'CHECK'
            WHERE cc.CONSTRAINT_SCHEMA = DATABASE()`,
    ),
    (c) => c.tbl,
  );
  const uniqueNames = new Set(
    (
      await rows(
        db,
        sql<{ name: string }>`
          SELECT CONCAT(TABLE_NAME, '.', CONSTRAINT_NAME) AS name FROM information_schema.TABLE_CONSTRAINTS
          WHERE TABLE_SCHEMA = DATABASE() AND CONSTRAINT_TYPE = 'UNIQUE'`,
      )
    ).map((r) => r.name),
  );
  const indexColumns = groupBy(
    await rows(
      db,
      sql<{
        tbl: string;
        name: string;
        nonunique: number;
        col: string | null;
        kind: string;
        note: string;
        part: number | null;
        collation: string | null;
      }>`
        SELECT TABLE_NAME AS tbl, INDEX_NAME AS name, NON_UNIQUE AS nonunique, COLUMN_NAME AS col,
          INDEX_TYPE AS kind, INDEX_COMMENT AS note, SUB_PART AS part, COLLATION AS collation
        FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
        ORDER BY INDEX_NAME, SEQ_IN_INDEX`,
    ),
    (i) => i.tbl,
  );
  const fkColumns = groupBy(
    await rows(
      db,
      sql<{
        tbl: string;
        name: string;
        col: string;
        reftbl: string;
        refcol: string;
        del: string;
        upd: string;
      }>`
        SELECT k.TABLE_NAME AS tbl, k.CONSTRAINT_NAME AS name, k.COLUMN_NAME AS col,
          k.REFERENCED_TABLE_NAME AS reftbl, k.REFERENCED_COLUMN_NAME AS refcol,
          r.DELETE_RULE AS del, r.UPDATE_RULE AS upd
        FROM information_schema.KEY_COLUMN_USAGE k
          JOIN information_schema.REFERENTIAL_CONSTRAINTS r
            ON r.CONSTRAINT_SCHEMA = k.CONSTRAINT_SCHEMA AND r.TABLE_NAME = k.TABLE_NAME
            AND r.CONSTRAINT_NAME = k.CONSTRAINT_NAME
        WHERE k.TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME IS NOT NULL
        ORDER BY k.ORDINAL_POSITION`,
    ),
    (f) => f.tbl,
  );

  const unmanaged = await unmanagedObjects(db);

  const model = sorted({
    tables: tables.map((t) => {
      const table = emptyTable(t.name, t.doc);
      const tableChecks = checks.get(t.name) ?? [];
      const implicit = new Set<string>();
      for (const c of columns.get(t.name) ?? []) {
        // Stand-in columns of an emulated partial unique index belong to the index, not the table.
        if (isLiveColumn(c)) continue;
        let type = columnType(c);
        // MariaDB's JSON alias: LONGTEXT plus a CHECK it adds itself, named after the column. A
        // renamed column keeps the old CHECK name (with the clause updated), so match the clause.
        const jsonClause = new RegExp(
          `^json_valid\\(\`${c.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\`\\)$`,
          "i",
        );
        const jsonCheck = tableChecks.find((k) => jsonClause.test(k.clause.trim()));
        if (jsonCheck && type.kind === "text") {
          type = { kind: "json" };
          implicit.add(jsonCheck.name);
        }
        const enumCheck = tableChecks.find((k) => k.name === implicitCheckName(t.name, c.name, "enum"));
        if (enumCheck && type.kind === "varchar") {
          type = { kind: "enum", values: stringLiterals(enumCheck.clause, true) };
          implicit.add(enumCheck.name);
        }
        const extra = c.extra.toLowerCase();
        const column: ColumnModel = {
          name: c.name,
          key: columnKey(c.name),
          type,
          nullable: c.nullable === "YES",
        };
        if (c.generation && /generated/.test(extra)) {
          column.computed = { sql: { mysql: c.generation }, stored: extra.includes("stored") };
        } else {
          const dflt = c.dflt === null ? undefined : parseDefault(c.dflt, type, mariadb, extra);
          if (dflt) column.default = dflt;
        }
        if (extra.includes("auto_increment")) column.generated = "identity";
        if (extra.includes("on update current_timestamp")) column.autoUpdate = true;
        if (c.doc) column.doc = c.doc;
        table.columns.push(column);
      }
      for (const k of tableChecks.filter((k) => !implicit.has(k.name)))
        table.checks.push({ name: k.name, predicate: { op: "raw", sql: { mysql: k.clause } } });

      const fks = groupBy(fkColumns.get(t.name) ?? [], (f) => f.name);
      for (const [name, parts] of fks) {
        table.foreignKeys.push({
          name,
          columns: parts.map((p) => p.col),
          refTable: parts[0]!.reftbl,
          refColumns: parts.map((p) => p.refcol),
          onDelete: referentialAction(parts[0]!.del),
          onUpdate: referentialAction(parts[0]!.upd),
        });
      }
      for (const [name, parts] of groupBy(indexColumns.get(t.name) ?? [], (i) => i.name)) {
        // An emulated partial unique index names its stand-in columns `<index>$<column>`.
        const cols = parts.map((p) =>
          p.col?.startsWith(`${name}$`) ? p.col.slice(name.length + 1) : (p.col ?? "(expression)"),
        );
        const first = parts[0]!;
        if (parts.some((p) => p.col === null) || first.kind === "SPATIAL") {
          // Functional key parts have no column; spatial indexes are not plinth's.
          unmanaged.push({
            kind: first.kind === "SPATIAL" ? "spatial index" : "expression index",
            name,
            table: t.name,
          });
          continue;
        }
        if (first.kind === "FULLTEXT") {
          // Per-column indexes serve the weights of the full-text index they are part of.
          if (!first.note.startsWith(MYSQL_FULLTEXT_PART_COMMENT))
            table.fullText = readFullText(name, cols, first.note);
          continue;
        }
        // An emulated partial unique index is partial: its predicate is in its stand-in columns.
        const partial = liveIndexPredicate(name, parts, columns.get(t.name) ?? []);
        if (partial) {
          table.indexes.push({
            name,
            columns: cols,
            unique: true,
            where: { op: "raw", sql: { mysql: partial } },
          });
          continue;
        }
        // Every MySQL primary key is called PRIMARY; the model keeps plinth's conventional name.
        if (name === "PRIMARY") table.primaryKey = { ...table.primaryKey, columns: cols };
        // A unique index is a UNIQUE constraint to MySQL, however it was created.
        else if (uniqueNames.has(`${t.name}.${name}`)) table.uniques.push({ name, columns: cols });
        // A foreign key's own index (plinth adds one, InnoDB too when none fits) is named after the key.
        else if (!fks.has(name)) {
          const index: (typeof table.indexes)[number] = {
            name,
            columns: cols,
            unique: parts[0]!.nonunique === 0,
          };
          const prefixes = Object.fromEntries(
            parts.filter((p) => p.part !== null).map((p) => [p.col!, Number(p.part)]),
          );
          if (Object.keys(prefixes).length > 0) index.prefixes = prefixes;
          const descending = parts.filter((p) => p.collation === "D").map((p) => p.col!);
          if (descending.length > 0) index.descending = descending;
          table.indexes.push(index);
        }
      }
      return table;
    }),
  });
  // Triggers plinth makes are its append-only guards; the rest, views and routines are listed.
  const triggerNames = (t: string) => ["no_update", "no_delete"].map((g) => `${t}_${g}`);
  model.unmanaged = unmanaged.filter(
    (o) => !(o.kind === "trigger" && o.table && triggerNames(o.table).includes(o.name)),
  );
  if (model.unmanaged.length === 0) delete model.unmanaged;
  return model;
}

/** Views, triggers, routines and partitioned tables of the current database. */
async function unmanagedObjects(db: Kysely<any>): Promise<UnmanagedObject[]> {
  const out: UnmanagedObject[] = [];
  const views = await rows(
    db,
    sql<{ name: string; definition: string }>`
      SELECT TABLE_NAME AS name, VIEW_DEFINITION AS definition FROM information_schema.VIEWS
      WHERE TABLE_SCHEMA = DATABASE()`,
  );
  for (const v of views) out.push({ kind: "view", name: v.name, definition: v.definition });
  const triggers = await rows(
    db,
    sql<{ name: string; tbl: string }>`
      SELECT TRIGGER_NAME AS name, EVENT_OBJECT_TABLE AS tbl FROM information_schema.TRIGGERS
      WHERE TRIGGER_SCHEMA = DATABASE()`,
  );
  for (const t of triggers) out.push({ kind: "trigger", name: t.name, table: t.tbl });
  const routines = await rows(
    db,
    sql<{ name: string; kind: string }>`
      SELECT ROUTINE_NAME AS name, ROUTINE_TYPE AS kind FROM information_schema.ROUTINES
      WHERE ROUTINE_SCHEMA = DATABASE()`,
  );
  for (const r of routines) out.push({ kind: r.kind.toLowerCase(), name: r.name });
  const partitioned = await rows(
    db,
    sql<{ name: string; method: string }>`
      SELECT DISTINCT TABLE_NAME AS name, PARTITION_METHOD AS method FROM information_schema.PARTITIONS
      WHERE TABLE_SCHEMA = DATABASE() AND PARTITION_NAME IS NOT NULL`,
  );
  for (const p of partitioned)
    out.push({
      kind: "partitioning",
      name: p.name,
      table: p.name,
      detail: `${p.method} partitions are not modelled on MySQL`,
    });
  return out;
}

/**
 * The predicate of an emulated partial unique index, read back from its first stand-in column
 * (`CASE WHEN <predicate> THEN <column> END`), or undefined for any other index.
 */
function liveIndexPredicate(
  index: string,
  parts: { col: string | null }[],
  tableColumns: ColumnRow[],
): string | undefined {
  const standIn = tableColumns.find((c) => c.name === parts[0]?.col && c.name.startsWith(`${index}$`));
  if (!standIn || !isLiveColumn(standIn)) return undefined;
  return /^\s*case\s+when\s+(.*)\s+then\s+.*\s+end\s*$/is.exec(standIn.generation ?? "")?.[1]?.trim();
}

/** The invisible virtual columns plinth adds for partial unique indexes (see liveColumns in ddl.ts). */
function isLiveColumn(c: ColumnRow): boolean {
  return c.name.includes("$") && /virtual generated/i.test(c.extra);
}

/**
 * COLUMN_TYPE back to plinth kinds where plinth renders exactly that type (MariaDB adds display
 * widths: int(11)); anything else (unsigned or small integers, FLOAT, CHAR(n), TEXT and the BLOBs
 * plinth does not use, DATETIME of another precision, ENUM, SET, YEAR…) is kept as a native MySQL
 * type, so it is compared and rendered as it is, never rewritten.
 */
function columnType(c: ColumnRow): ColumnType {
  const type = c.type.toLowerCase();
  const exact = (pattern: RegExp) => pattern.test(type);
  if (exact(/^tinyint\(1\)$/)) return { kind: "boolean" };
  if (exact(/^int(\(\d+\))?$/)) return { kind: "integer" };
  if (exact(/^bigint(\(\d+\))?$/)) return { kind: "bigint" };
  if (exact(/^varchar\(\d+\)$/)) return { kind: "varchar", length: c.len ?? 0 };
  if (type === "char(36)") return { kind: "uuid" };
  if (exact(/^decimal\(\d+,\d+\)$/)) return { kind: "decimal", precision: c.prec ?? 10, scale: c.scale ?? 0 };
  if (type === "double") return { kind: "double" };
  if (type === "datetime(3)") return { kind: "timestamp" };
  if (type === "date") return { kind: "date" };
  if (type === "json") return { kind: "json" };
  if (type === "longtext") return { kind: "text" };
  if (type === "longblob") return { kind: "binary" };
  return { kind: "native", dialect: "mysql", type: c.type };
}

function parseDefault(
  text: string,
  type: ColumnType,
  mariadb: boolean,
  extra: string,
): DefaultValue | undefined {
  if (
    type.kind === "timestamp" &&
    (/^current_timestamp(\(\d*\))?$/i.test(text) || /^now\(\d*\)$/i.test(text))
  )
    return { kind: "now" };
  // A native type's default is kept as the engine prints it (NULL is no default at all).
  if (type.kind === "native")
    return /^null$/i.test(text) ? undefined : { kind: "expression", sql: { mysql: text } };
  // MySQL 8 prints plain literals unquoted; expression defaults are flagged DEFAULT_GENERATED and
  // print as `_utf8mb4\'[]\'`, which is a quoted literal once the charset and backslashes go.
  if (!mariadb && !extra.includes("default_generated")) return typedDefault(type, text);
  const expression = mariadb ? text : text.replace(/^_\w+\\?'/, "'").replaceAll("\\'", "'");
  if (/^null$/i.test(expression)) return undefined;
  return literalDefault(type, expression, true) ?? { kind: "expression", sql: { mysql: text } };
}

/**
 * The weights live in the index comment (`plinth fulltext title:A content:B`), read by position: a
 * renamed column keeps its place in the index while the comment keeps its old name. MySQL keeps no
 * language.
 */
function readFullText(name: string, columns: string[], comment: string) {
  const weights = comment.startsWith(MYSQL_FULLTEXT_COMMENT)
    ? [...comment.matchAll(/\S+:([ABCD])/g)].map((m) => m[1] as FullTextWeight)
    : [];
  return {
    name,
    columns: columns.map((column, i) => ({ column, weight: weights[i] ?? ("A" as const) })),
  } as NonNullable<ReturnType<typeof emptyTable>["fullText"]>;
}
