import type { Kysely } from "kysely";
import { sql } from "kysely";
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  FullTextModel,
  FullTextWeight,
  SchemaModel,
  TypeModel,
  UnmanagedObject,
} from "../../schema/index.js";
import {
  columnKey,
  emptyTable,
  groupBy,
  implicitCheckName,
  literalDefault,
  plinthFunction,
  plinthTrigger,
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
  // Partitions are read as part of their parent, not as tables of their own.
  const tables = await rows(
    db,
    sql<{ name: string; doc: string | null; partkey: string | null }>`
      SELECT c.relname AS name, obj_description(c.oid, 'pg_class') AS doc,
        CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END AS partkey
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
  );
  const partitions = groupBy(
    await rows(
      db,
      sql<{ parent: string; name: string; bound: string }>`
        SELECT p.relname AS parent, c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
        FROM pg_inherits i
          JOIN pg_class c ON c.oid = i.inhrelid
          JOIN pg_class p ON p.oid = i.inhparent
          JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND c.relispartition
        ORDER BY c.relname`,
    ),
    (p) => p.parent,
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
        generated: string;
        doc: string | null;
        typtype: string;
        typname: string;
      }>`
        SELECT c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
          a.attnotnull AS notnull, pg_get_expr(d.adbin, d.adrelid) AS dflt, a.attidentity AS identity,
          a.attgenerated AS generated, col_description(a.attrelid, a.attnum) AS doc,
          t.typtype AS typtype, t.typname AS typname
        FROM pg_attribute a
          JOIN pg_class c ON c.oid = a.attrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_type t ON t.oid = a.atttypid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND a.attnum > 0 AND NOT a.attisdropped
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
        desc: boolean[];
        include: string[] | null;
        expressions: boolean;
      }>`
        SELECT c.relname AS tbl, i.relname AS name, ix.indisunique AS uniq, am.amname AS method,
          pg_get_indexdef(ix.indexrelid) AS def, ix.indexprs IS NOT NULL AS expressions,
          (SELECT json_agg((ix.indoption[k.i - 1] & 1) = 1 ORDER BY k.i)
            FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, i) WHERE k.i <= ix.indnkeyatts) AS desc,
          (SELECT json_agg(a.attname ORDER BY k.i)
            FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(n, i)
            JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.n
            WHERE k.i > ix.indnkeyatts) AS include,
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
  const triggerRows = await rows(
    db,
    sql<{ tbl: string; name: string }>`
      SELECT c.relname AS tbl, t.tgname AS name FROM pg_trigger t
        JOIN pg_class c ON c.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND NOT t.tgisinternal`,
  );
  const triggers = new Set(triggerRows.map((t) => `${t.tbl}.${t.name}`));
  // Sequences no identity or serial column owns: an application's own, called by nextval() defaults.
  const sequences = await rows(
    db,
    sql<{ name: string; start: string; increment: string }>`
      SELECT s.sequencename AS name, s.start_value::text AS start, s.increment_by::text AS increment
      FROM pg_sequences s
        JOIN pg_class c ON c.relname = s.sequencename
        JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = s.schemaname
      WHERE s.schemaname = current_schema()
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i'))
      ORDER BY s.sequencename`,
  );
  const unmanaged = await unmanagedObjects(
    db,
    tables.map((t) => t.name),
    columns,
    triggerRows,
  );
  const types = await definedTypes(db);

  const model = sorted({
    tables: tables.map((t) => {
      const table = emptyTable(t.name, t.doc);
      const cons = constraints.get(t.name) ?? [];
      const checks = cons.filter((c) => c.type === "c");
      const implicit = new Set<string>();
      for (const c of columns.get(t.name) ?? []) {
        const enumCheck = checks.find((k) => k.name === implicitCheckName(t.name, c.name, "enum"));
        let type = columnType(c.type, c.typtype);
        if (enumCheck && type.kind === "varchar") {
          type = { kind: "enum", values: stringLiterals(enumCheck.expr ?? "") };
          implicit.add(enumCheck.name);
        }
        const column: ColumnModel = { name: c.name, key: columnKey(c.name), type, nullable: !c.notnull };
        // A serial's nextval() of the sequence it owns is the identity of tables that predate
        // identity columns; nextval() of a standalone sequence is an ordinary expression default.
        const serial = /^nextval\('([^']+)'::regclass\)$/.exec(c.dflt ?? "");
        const owned = serial && !sequences.some((s) => s.name === serial[1]!.replace(/^"|"$/g, ""));
        if (c.generated === "s") column.computed = { sql: { postgres: c.dflt ?? "" }, stored: true };
        else if (c.dflt !== null && !owned) {
          const dflt = parseDefault(c.dflt, type);
          if (dflt) column.default = dflt;
        }
        if (c.identity !== "" || owned) column.generated = "identity";
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
        // An index over expressions has no columns to name: it is listed, not modelled.
        if (ix.expressions) {
          unmanaged.push({ kind: "expression index", name: ix.name, table: t.name, detail: ix.def });
          continue;
        }
        const index: (typeof table.indexes)[number] = { name: ix.name, columns: ix.cols, unique: ix.uniq };
        if (ix.pred !== null) index.where = { op: "raw", sql: { postgres: ix.pred } };
        if (ix.method !== "btree") index.method = ix.method;
        const descending = ix.cols.filter((_, i) => ix.desc?.[i]);
        if (descending.length > 0) index.descending = descending;
        if (ix.include?.length) index.include = ix.include;
        table.indexes.push(index);
      }
      if (t.partkey)
        table.partition = {
          dialect: "postgres",
          key: t.partkey,
          partitions: (partitions.get(t.name) ?? []).map((p) => ({ name: p.name, bound: p.bound })),
        };
      return table;
    }),
  });
  if (sequences.length > 0)
    model.sequences = sequences.map((s) => ({
      name: s.name,
      start: Number(s.start),
      increment: Number(s.increment),
    }));
  if (types.length > 0) model.types = types;
  if (unmanaged.length > 0) model.unmanaged = unmanaged;
  return model;
}

/**
 * What the schema holds besides tables and sequences, which plinth neither models nor changes:
 * views, functions, triggers and types of the application's own, and columns of such types.
 */
async function unmanagedObjects(
  db: Kysely<any>,
  tables: string[],
  columns: Map<string, { name: string; typtype: string; typname: string }[]>,
  triggers: { tbl: string; name: string }[],
): Promise<UnmanagedObject[]> {
  const out: UnmanagedObject[] = [];
  const relations = await rows(
    db,
    sql<{ name: string; kind: string }>`
      SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = current_schema() AND c.relkind IN ('v', 'm', 'f')`,
  );
  const kinds: Record<string, string> = { v: "view", m: "materialized view", f: "foreign table" };
  for (const r of relations) out.push({ kind: kinds[r.kind]!, name: r.name });
  const functions = await rows(
    db,
    sql<{ name: string; kind: string }>`
      SELECT p.proname AS name, p.prokind AS kind FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE n.nspname = current_schema()
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')`,
  );
  for (const f of functions)
    if (!plinthFunction(f.name, tables))
      out.push({ kind: f.kind === "p" ? "procedure" : "function", name: f.name });
  for (const t of triggers) {
    const names = (columns.get(t.tbl) ?? []).map((c) => c.name);
    if (!plinthTrigger(t.tbl, t.name, names)) out.push({ kind: "trigger", name: t.name, table: t.tbl });
  }
  const types = await rows(
    db,
    sql<{ name: string; kind: string }>`
      SELECT t.typname AS name, t.typtype AS kind FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype IN ('c', 'r')
        AND (t.typtype <> 'c' OR EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'))
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')`,
  );
  const typeKinds: Record<string, string> = {
    e: "enum type",
    d: "domain",
    c: "composite type",
    r: "range type",
  };
  for (const t of types)
    out.push({
      kind: typeKinds[t.kind]!,
      name: t.name,
      detail: "columns of this type keep it as a native type",
    });
  return out;
}

/**
 * format_type() spellings, back to plinth kinds where plinth renders exactly that type; anything else
 * (smallint, real, numeric without a scale, timestamps of another precision or without a zone,
 * character(n), json, arrays, tsvector, the application's own enum and domain types) is kept as a
 * native PostgreSQL type, so it is compared and rendered as it is, never rewritten.
 */
function columnType(type: string, typtype: string): ColumnType {
  const native = (): ColumnType => ({ kind: "native", dialect: "postgres", type });
  if (typtype !== "b" || type.endsWith("[]")) return native();
  const varchar = /^character varying\((\d+)\)$/.exec(type);
  if (varchar) return { kind: "varchar", length: Number(varchar[1]) };
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(type);
  if (numeric) return { kind: "decimal", precision: Number(numeric[1]), scale: Number(numeric[2]) };
  switch (type) {
    case "integer":
      return { kind: "integer" };
    case "bigint":
      return { kind: "bigint" };
    case "text":
      return { kind: "text" };
    case "boolean":
      return { kind: "boolean" };
    case "double precision":
      return { kind: "double" };
    case "timestamp(3) with time zone":
      return { kind: "timestamp" };
    case "date":
      return { kind: "date" };
    case "jsonb":
      return { kind: "json" };
    case "uuid":
      return { kind: "uuid" };
    case "bytea":
      return { kind: "binary" };
    default:
      return native();
  }
}

/**
 * pg_get_expr() prints `'x'::character varying`, `'-1'::integer`, `'[]'::jsonb`: without the casts a
 * literal; `now()` is plinth's "now"; anything else (CURRENT_DATE, gen_random_uuid(), nextval of a
 * standalone sequence) an expression kept as printed.
 */
function parseDefault(text: string, type: ColumnType): DefaultValue | undefined {
  if (/^(now\(\)|CURRENT_TIMESTAMP)$/i.test(text) && type.kind === "timestamp") return { kind: "now" };
  const bare = text.replace(/^\((.*)\)$/s, "$1").replace(/(::[\w\s"[\]().]+?)+$/, "");
  const literal = type.kind === "native" ? undefined : literalDefault(type, bare);
  if (literal) return literal;
  return { kind: "expression", sql: { postgres: text } };
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

/** The schema's enum types and domains, each as the CREATE statement that makes it again. */
async function definedTypes(db: Kysely<any>): Promise<TypeModel[]> {
  const found = await rows(
    db,
    sql<{
      name: string;
      kind: string;
      labels: string | null;
      base: string | null;
      notnull: boolean;
      dflt: string | null;
      checks: string | null;
    }>`
      SELECT t.typname AS name, t.typtype AS kind,
        (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e
          WHERE e.enumtypid = t.oid) AS labels,
        CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END AS base,
        t.typnotnull AS notnull, t.typdefault AS dflt,
        (SELECT string_agg('CONSTRAINT ' || quote_ident(c.conname) || ' ' || pg_get_constraintdef(c.oid), ' '
          ORDER BY c.conname) FROM pg_constraint c WHERE c.contypid = t.oid) AS checks
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
      WHERE n.nspname = current_schema() AND t.typtype IN ('e', 'd')
        AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = t.oid AND d.deptype = 'e')
      ORDER BY t.typname`,
  );
  const q = (name: string) => `"${name.replaceAll('"', '""')}"`;
  return found.map((t) => ({
    name: t.name,
    dialect: "postgres" as const,
    definition:
      t.kind === "e"
        ? `CREATE TYPE ${q(t.name)} AS ENUM (${t.labels ?? ""})`
        : [
            `CREATE DOMAIN ${q(t.name)} AS ${t.base}`,
            ...(t.dflt !== null ? [`DEFAULT ${t.dflt}`] : []),
            ...(t.notnull ? ["NOT NULL"] : []),
            ...(t.checks ? [t.checks] : []),
          ].join(" "),
  }));
}
