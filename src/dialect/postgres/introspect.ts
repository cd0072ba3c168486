import type { Kysely } from "kysely";
import { sql } from "kysely";
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  FullTextModel,
  FullTextWeight,
  SchemaModel,
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
  touchName,
} from "../introspect-shared.js";

/** pg_constraint's one-letter referential actions. */
const ACTION: Record<string, string> = {
  a: "no action",
  r: "restrict",
  c: "cascade",
  n: "set null",
  d: "set default",
};

/** Reads the current schema from pg_catalog: one query per kind of object, for every table at once. */
export async function introspectPostgres(db: Kysely<any>): Promise<SchemaModel> {
  const tables = await rows(
    db,
    sql<{ name: string; doc: string | null }>`
      SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS doc
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')`,
  );
  const columns = groupBy(
    await rows(
      db,
      sql<{
        tbl: string;
        name: string;
        type: string;
        notnull: boolean;
        dflt: string | null;
        identity: string;
        doc: string | null;
      }>`
        SELECT c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
          a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity AS identity,
          col_description(a.attrelid, a.attnum) AS doc
        FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND a.attnum > 0
          AND NOT a.attisdropped
        ORDER BY a.attnum`,
    ),
    (c) => c.tbl,
  );
  const constraints = groupBy(
    await rows(
      db,
      sql<{
        tbl: string;
        name: string;
        type: string;
        cols: string[];
        reftbl: string | null;
        refcols: string[] | null;
        del: string;
        upd: string;
        expr: string | null;
      }>`
        SELECT c.relname AS tbl, con.conname AS name, con.contype AS type,
          (SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
            JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n) AS cols,
          r.relname AS reftbl,
          (SELECT json_agg(a.attname ORDER BY k.i) FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
            JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n) AS refcols,
          con.confdeltype AS del, con.confupdtype AS upd,
          CASE WHEN con.contype = 'c' THEN pg_get_expr(con.conbin, con.conrelid) END AS expr
        FROM pg_constraint con
          JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          LEFT JOIN pg_class r ON r.oid = con.confrelid
        WHERE n.nspname = current_schema() AND con.contype IN ('p', 'u', 'c', 'f')`,
    ),
    (c) => c.tbl,
  );
  // Indexes that back a constraint belong to the constraint, not to `indexes`.
  const indexes = groupBy(
    await rows(
      db,
      sql<{
        tbl: string;
        name: string;
        uniq: boolean;
        cols: string[];
        pred: string | null;
        method: string;
        def: string;
      }>`
        SELECT c.relname AS tbl, i.relname AS name, ix.indisunique AS uniq, am.amname AS method,
          pg_get_indexdef(ix.indexrelid) AS def,
          (SELECT json_agg(CASE WHEN k.n = 0 THEN pg_get_indexdef(ix.indexrelid, k.i::int, true)
              ELSE a.attname END ORDER BY k.i)
            FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, i)
            LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
            WHERE k.i <= ix.indnkeyatts) AS cols,
          pg_get_expr(ix.indpred, ix.indrelid) AS pred
        FROM pg_index ix
          JOIN pg_class i ON i.oid = ix.indexrelid
          JOIN pg_am am ON am.oid = i.relam
          JOIN pg_class c ON c.oid = ix.indrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema()
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con
            WHERE con.conindid = ix.indexrelid AND con.contype IN ('p', 'u', 'x'))`,
    ),
    (i) => i.tbl,
  );
  const triggers = new Set(
    (
      await rows(
        db,
        sql<{ name: string }>`
          SELECT c.relname || '.' || t.tgname AS name FROM pg_trigger t
            JOIN pg_class c ON c.oid = t.tgrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
      )
    ).map((t) => t.name),
  );

  return sorted({
    tables: tables.map((t) => {
      const table = emptyTable(t.name, t.doc);
      const cons = constraints.get(t.name) ?? [];
      const checks = cons.filter((c) => c.type === "c");
      const implicit = new Set<string>();
      for (const c of columns.get(t.name) ?? []) {
        const enumCheck = checks.find((k) => k.name === implicitCheckName(t.name, c.name, "enum"));
        let type = columnType(c.type);
        if (enumCheck && type.kind === "varchar") {
          type = { kind: "enum", values: stringLiterals(enumCheck.expr ?? "") };
          implicit.add(enumCheck.name);
        }
        const column: ColumnModel = { name: c.name, key: columnKey(c.name), type, nullable: !c.notnull };
        const dflt = c.dflt === null ? undefined : parseDefault(c.dflt, type);
        if (dflt) column.default = dflt;
        // A serial's nextval() default is the identity of tables that predate identity columns.
        if (c.identity !== "" || /^nextval\(/.test(c.dflt ?? "")) column.generated = "identity";
        if (triggers.has(`${t.name}.${touchName(t.name, c.name)}`)) column.autoUpdate = true;
        if (c.doc) column.doc = c.doc;
        table.columns.push(column);
      }
      for (const c of cons) {
        if (c.type === "p") table.primaryKey = { name: c.name, columns: c.cols };
        if (c.type === "u") table.uniques.push({ name: c.name, columns: c.cols });
        if (c.type === "c" && !implicit.has(c.name))
          table.checks.push({ name: c.name, predicate: { op: "raw", sql: { postgres: c.expr ?? "" } } });
        if (c.type === "f")
          table.foreignKeys.push({
            name: c.name,
            columns: c.cols,
            refTable: c.reftbl!,
            refColumns: c.refcols ?? [],
            onDelete: referentialAction(ACTION[c.del] ?? c.del),
            onUpdate: referentialAction(ACTION[c.upd] ?? c.upd),
          });
      }
      for (const ix of indexes.get(t.name) ?? []) {
        const fullText = ix.method === "gin" ? readFullText(ix.name, ix.def) : undefined;
        if (fullText) {
          table.fullText = fullText;
          continue;
        }
        const index: (typeof table.indexes)[number] = { name: ix.name, columns: ix.cols, unique: ix.uniq };
        if (ix.pred !== null) index.where = { op: "raw", sql: { postgres: ix.pred } };
        table.indexes.push(index);
      }
      return table;
    }),
  });
}

/** format_type() spellings, back to plinth kinds; types plinth never renders are read as their nearest kind. */
function columnType(type: string): ColumnType {
  const sized = /\((\d+)(?:,(\d+))?\)/.exec(type);
  const base = type.replace(/\(.*?\)/, "").trim();
  switch (base) {
    case "integer":
    case "smallint":
      return { kind: "integer" };
    case "bigint":
      return { kind: "bigint" };
    case "character varying":
    case "character":
      return sized ? { kind: "varchar", length: Number(sized[1]) } : { kind: "text" };
    case "boolean":
      return { kind: "boolean" };
    case "numeric":
      return sized
        ? { kind: "decimal", precision: Number(sized[1]), scale: Number(sized[2] ?? 0) }
        : { kind: "double" };
    case "double precision":
    case "real":
      return { kind: "double" };
    case "timestamp with time zone":
    case "timestamp without time zone":
      return { kind: "timestamp" };
    case "date":
      return { kind: "date" };
    case "json":
    case "jsonb":
      return { kind: "json" };
    case "uuid":
      return { kind: "uuid" };
    default:
      return { kind: "text" };
  }
}

/** pg_get_expr() prints `'x'::character varying`, `'-1'::integer`, `'[]'::jsonb`: drop the casts. */
function parseDefault(text: string, type: ColumnType): DefaultValue | undefined {
  if (/^(now\(\)|CURRENT_TIMESTAMP|statement_timestamp\(\)|transaction_timestamp\(\))$/i.test(text))
    return { kind: "now" };
  const bare = text.replace(/^\((.*)\)$/s, "$1").replace(/(::[\w\s"[\]().]+?)+$/, "");
  return literalDefault(type, bare);
}

/**
 * A GIN index over `setweight(to_tsvector(cfg, coalesce(col, '')), 'W') || ...` is a declared
 * full-text index; pg_get_indexdef prints each part with casts, from which column, weight and
 * language are read back.
 */
function readFullText(name: string, expression: string): FullTextModel | undefined {
  if (!/to_tsvector\(/.test(expression)) return undefined;
  const parts = expression.split(/setweight\(/).slice(1);
  const columns: FullTextModel["columns"] = [];
  let language = "";
  for (const part of parts) {
    const lang = /to_tsvector\('((?:[^']|'')+)'::regconfig/.exec(part);
    const column = /COALESCE\(("(?:[^"]|"")+"|[^,\s()]+)/i.exec(part);
    const weight = /'([ABCD])'::"char"\)/.exec(part);
    if (!lang || !column || !weight) return undefined;
    language = lang[1]!;
    const raw = column[1]!;
    columns.push({
      column: raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw,
      weight: weight[1] as FullTextWeight,
    });
  }
  return columns.length > 0 ? { name, columns, language } : undefined;
}
