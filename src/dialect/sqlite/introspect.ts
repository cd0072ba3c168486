import type { Kysely } from "kysely";
import { sql } from "kysely";
import type {
  ColumnModel,
  ColumnType,
  FullTextModel,
  SchemaModel,
  TableModel,
  UnmanagedObject,
} from "../../schema/index.js";
import { constraintName } from "../../schema/names.js";
import { weightOf } from "../full-text.js";
import {
  columnKey,
  emptyTable,
  implicitCheckName,
  literalDefault,
  plinthTrigger,
  referentialAction,
  rows,
  sorted,
  stringLiterals,
  touchName,
} from "../introspect-shared.js";
import { SQLITE_NOW } from "./ddl.js";
import { sqliteFullTextTriggers } from "./full-text.js";

/**
 * SQLite keeps little in its catalog: the pragmas give columns, keys and indexes, but constraint
 * names and CHECKs exist only in the CREATE TABLE text in sqlite_master, so that text is parsed too.
 * Constraints created without a name (possible outside plinth) get the name plinth would give them,
 * and unnamed CHECKs `ck_<table>_<n>`, so every constraint in the model has one.
 */
export async function introspectSqlite(db: Kysely<any>): Promise<SchemaModel> {
  const tables = await rows(
    db,
    // pragma_table_list (SQLite 3.37) tells ordinary tables from views, virtual and shadow tables,
    // and STRICT tables from the rest.
    sql<{ name: string; sql: string; strict: number }>`
      SELECT l.name AS name, m.sql AS sql, l.strict AS strict FROM pragma_table_list l
        JOIN sqlite_master m ON m.type = 'table' AND m.name = l.name
      WHERE l.schema = 'main' AND l.type = 'table' AND l.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`,
  );
  const triggerRows = await rows(
    db,
    sql<{
      name: string;
      tbl: string;
      sql: string;
    }>`SELECT name, tbl_name AS tbl, sql FROM sqlite_master WHERE type = 'trigger'`,
  );
  const triggers = new Set(triggerRows.map((r) => r.name));
  const unmanaged: UnmanagedObject[] = [];
  const out: TableModel[] = [];
  for (const t of tables) out.push(await readTable(db, t.name, t.sql, t.strict === 1, triggers, unmanaged));
  const fullTexts = await readFullTexts(db, triggers);
  for (const ft of fullTexts) {
    const table = out.find((t) => t.name === ft.table);
    if (table) table.fullText = ft.model;
  }
  // Triggers plinth did not make (its touch, full-text and append-only triggers), views, and
  // virtual tables that are not plinth's full-text indexes.
  const ownFullText = new Set(fullTexts.map((f) => f.model.name));
  for (const t of triggerRows) {
    const table = out.find((x) => x.name === t.tbl);
    const columns = table?.columns.map((c) => c.name) ?? [];
    const fullText = fullTexts.find((f) => f.table === t.tbl)?.model;
    const ftNames = fullText ? Object.values(sqliteFullTextTriggers(fullText)) : [];
    if (plinthTrigger(t.tbl, t.name, columns) || ftNames.includes(t.name)) continue;
    unmanaged.push({ kind: "trigger", name: t.name, table: t.tbl, definition: t.sql });
  }
  const others = await rows(
    db,
    sql<{ name: string; type: string; sql: string }>`
      SELECT l.name AS name, l.type AS type, m.sql AS sql FROM pragma_table_list l
        JOIN sqlite_master m ON m.name = l.name
      WHERE l.schema = 'main' AND l.type IN ('view', 'virtual')`,
  );
  for (const o of others) {
    if (o.type === "virtual" && ownFullText.has(o.name)) continue;
    unmanaged.push({ kind: o.type === "view" ? "view" : "virtual table", name: o.name, definition: o.sql });
  }
  const model = sorted({ tables: out });
  if (unmanaged.length > 0) model.unmanaged = unmanaged;
  return model;
}

async function readTable(
  db: Kysely<any>,
  name: string,
  createSql: string,
  strict: boolean,
  triggers: Set<string>,
  unmanaged: UnmanagedObject[],
): Promise<TableModel> {
  const table = emptyTable(name, undefined);
  if (!strict) table.strict = false;
  const parsed = parseCreateTable(createSql);
  const generated = generatedColumns(createSql);
  // table_xinfo, not table_info: generated columns are "hidden" (2 virtual, 3 stored) there.
  const columns = await rows(
    db,
    sql<{ name: string; type: string; notnull: number; dflt: string | null; pk: number; hidden: number }>`
      SELECT name, type, "notnull" AS "notnull", dflt_value AS dflt, pk, hidden
      FROM pragma_table_xinfo(${name}) WHERE hidden <> 1 ORDER BY cid`,
  );

  const pkColumns = columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const parsedPk = parsed.find((c) => c.kind === "primary key");
  table.primaryKey = { name: parsedPk?.name ?? table.primaryKey.name, columns: pkColumns.map((c) => c.name) };
  // Only a lone column declared exactly INTEGER becomes the rowid; any other key is an ordinary one.
  const lone = pkColumns.length === 1 ? pkColumns[0]! : null;
  const rowid = lone?.type.toUpperCase() === "INTEGER" && !/WITHOUT\s+ROWID/i.test(createSql) ? lone : null;

  const checks = parsed.filter((c) => c.kind === "check");
  const implicit = new Set<string>();
  for (const c of columns) {
    // A non-STRICT table's declared types are kept as written: SQLite stores them as affinities,
    // and rewriting NVARCHAR(160) as plinth's varchar would change the table the diff recreates.
    const type: ColumnType =
      c === rowid
        ? { kind: "integer" }
        : strict
          ? columnType(name, c.name, c.type, checks, implicit)
          : { kind: "native", dialect: "sqlite", type: c.type };
    const column: ColumnModel = {
      name: c.name,
      key: columnKey(c.name),
      type,
      // A STRICT table's key columns are NOT NULL whatever their declaration says.
      nullable: c.notnull === 0 && c !== rowid && !(strict && c.pk > 0),
    };
    const dflt = c.dflt === null ? undefined : parseDefault(c.dflt, type);
    if (dflt) column.default = dflt;
    if (c.hidden === 2 || c.hidden === 3) {
      const expression = generated.get(c.name.toLowerCase());
      column.computed = { sql: { sqlite: expression ?? "" }, stored: c.hidden === 3 };
    }
    if (c === rowid) column.generated = "identity";
    if (triggers.has(touchName(name, c.name))) column.autoUpdate = true;
    table.columns.push(column);
  }

  table.checks = checks
    .filter((c) => !implicit.has(c.name ?? ""))
    .map((c, i) => ({
      name: c.name ?? constraintName(["ck", name, String(i + 1)]),
      predicate: { op: "raw", sql: { sqlite: c.sql } },
    }));

  const indexes = await rows(
    db,
    sql<{ name: string; unique: number; origin: string }>`
      SELECT name, "unique" AS "unique", origin FROM pragma_index_list(${name})`,
  );
  for (const ix of indexes) {
    const keys = await rows(
      db,
      sql<{ name: string | null; desc: number }>`
        SELECT name, "desc" AS "desc" FROM pragma_index_xinfo(${ix.name}) WHERE key = 1 ORDER BY seqno`,
    );
    // SQLite does not report an expression's text: such an index is listed, not modelled.
    if (keys.some((k) => k.name === null)) {
      unmanaged.push({ kind: "expression index", name: ix.name, table: name });
      continue;
    }
    const cols = keys.map((k) => k.name!);
    if (ix.origin === "u") {
      const named = parsed.find((c) => c.kind === "unique" && sameList(c.columns, cols));
      table.uniques.push({ name: named?.name ?? constraintName(["uq", name, ...cols]), columns: cols });
    } else if (ix.origin === "c") {
      const index = await readIndex(db, ix.name, cols, ix.unique === 1);
      const descending = keys.filter((k) => k.desc === 1).map((k) => k.name!);
      if (descending.length > 0) index.descending = descending;
      table.indexes.push(index);
    }
  }

  const fks = await rows(
    db,
    sql<{ id: number; tbl: string; src: string; dst: string | null; upd: string; del: string }>`
      SELECT id, "table" AS tbl, "from" AS src, "to" AS dst, on_update AS upd, on_delete AS del
      FROM pragma_foreign_key_list(${name}) ORDER BY id, seq`,
  );
  for (const id of new Set(fks.map((f) => f.id))) {
    const parts = fks.filter((f) => f.id === id);
    const first = parts[0]!;
    const cols = parts.map((p) => p.src);
    const named = parsed.find(
      (c) => c.kind === "foreign key" && sameList(c.columns, cols) && sameList([c.refTable!], [first.tbl]),
    );
    // A REFERENCES clause without columns targets the referenced table's primary key.
    const refColumns = parts.every((p) => p.dst !== null)
      ? parts.map((p) => p.dst!)
      : await primaryKeyOf(db, first.tbl);
    table.foreignKeys.push({
      name: named?.name ?? constraintName(["fk", name, ...cols, first.tbl]),
      columns: cols,
      refTable: first.tbl,
      refColumns,
      onDelete: referentialAction(first.del),
      onUpdate: referentialAction(first.upd),
    });
  }
  return table;
}

/** STRICT's storage class plus the implicit CHECK plinth adds give back the declared type. */
function columnType(
  table: string,
  column: string,
  declared: string,
  checks: ParsedConstraint[],
  implicit: Set<string>,
): ColumnType {
  const q = `"${column.replaceAll('"', '""')}"`;
  const implicitCheck = (suffix: string, pattern: (q: string) => RegExp) => {
    const name = implicitCheckName(table, column, suffix);
    const check = checks.find((c) => c.name === name);
    const match = check && pattern(escapeRegExp(q)).exec(check.sql.trim());
    if (!match) return undefined;
    implicit.add(name);
    return { match, sql: check!.sql };
  };
  const base = declared.toUpperCase();
  if (base === "INTEGER") {
    if (implicitCheck("bool", (c) => new RegExp(`^${c} IN \\(0, 1\\)$`))) return { kind: "boolean" };
    return { kind: "integer" };
  }
  if (base === "REAL") return { kind: "double" };
  if (base === "BLOB") return { kind: "binary" };
  if (base === "TEXT") {
    const length = implicitCheck("length", (c) => new RegExp(`^length\\(${c}\\) <= (\\d+)$`));
    if (length) return { kind: "varchar", length: Number(length.match[1]) };
    if (implicitCheck("json", (c) => new RegExp(`^json_valid\\(${c}\\)$`))) return { kind: "json" };
    if (implicitCheck("uuid", (c) => new RegExp(`^length\\(${c}\\) = 36$`))) return { kind: "uuid" };
    const values = implicitCheck("enum", (c) => new RegExp(`^${c} IN \\(.*\\)$`, "s"));
    if (values) return { kind: "enum", values: stringLiterals(values.sql) };
    return { kind: "text" };
  }
  // STRICT's other types (INT, ANY) are not plinth's: kept as written.
  return { kind: "native", dialect: "sqlite", type: declared };
}

/**
 * plinth's own "now" (ISO text in UTC) is "now"; a literal is a literal; anything else
 * (CURRENT_TIMESTAMP, CURRENT_DATE, an expression in parentheses), and every default of a native
 * type, an expression kept as written.
 */
function parseDefault(text: string, type: ColumnType): ColumnModel["default"] {
  const inner = unparenthesised(text.trim());
  // Timestamps are TEXT here: plinth's own "now" expression is what tells them.
  if (inner === unparenthesised(SQLITE_NOW)) return { kind: "now" };
  const literal = type.kind === "native" ? undefined : literalDefault(type, inner);
  if (literal) return literal;
  return { kind: "expression", sql: { sqlite: text.trim() } };
}

/** Generated columns' expressions, by lower-cased column name, from the CREATE TABLE text. */
function generatedColumns(createSql: string): Map<string, string> {
  const found = new Map<string, string>();
  const tokens = tokenize(createSql);
  const bodyOpen = tokens.findIndex((t) => t.text === "(");
  const bodyClose = closing(tokens, bodyOpen);
  let start = bodyOpen + 1;
  for (let i = bodyOpen + 1; i <= bodyClose; i++) {
    const t = tokens[i]!;
    if (t.text === "(") {
      i = closing(tokens, i);
      continue;
    }
    if (t.text !== "," && i !== bodyClose) continue;
    const item = tokens.slice(start, i);
    start = i + 1;
    const as = item.findIndex((x, k) => x.text.toUpperCase() === "AS" && item[k + 1]?.text === "(");
    if (as < 0 || TABLE_CONSTRAINT.test(item[0]?.text ?? "")) continue;
    const open = tokens.indexOf(item[as + 1]!);
    const close = closing(tokens, open);
    found.set(
      unquote(item[0]!.text).toLowerCase(),
      createSql.slice(tokens[open]!.end, tokens[close]!.start).trim(),
    );
  }
  return found;
}

async function readIndex(db: Kysely<any>, name: string, columns: string[], unique: boolean) {
  const [row] = await rows(
    db,
    sql<{ sql: string }>`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ${name}`,
  );
  const index: TableModel["indexes"][number] = { name, columns, unique };
  const where = row ? whereClause(row.sql) : undefined;
  if (where) index.where = { op: "raw", sql: { sqlite: where } };
  return index;
}

async function primaryKeyOf(db: Kysely<any>, table: string): Promise<string[]> {
  const cols = await rows(
    db,
    sql<{ name: string; pk: number }>`SELECT name, pk FROM pragma_table_info(${table}) WHERE pk > 0`,
  );
  return cols.sort((a, b) => a.pk - b.pk).map((c) => c.name);
}

// ---------------------------------------------------------------------------------------------
// The CREATE TABLE / CREATE INDEX text: just enough of SQLite's grammar to find constraint names.

interface Token {
  text: string;
  start: number;
  end: number;
}

interface ParsedConstraint {
  kind: "primary key" | "unique" | "check" | "foreign key";
  name?: string;
  columns: string[];
  refTable?: string;
  /** For checks: the expression between the parentheses, verbatim. */
  sql: string;
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s+|--[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\]|'(?:[^']|'')*'|[\p{L}\p{N}_$]+|./gu;
  for (const m of text.matchAll(pattern)) {
    if (/^(\s|--|\/\*)/.test(m[0])) continue;
    tokens.push({ text: m[0], start: m.index!, end: m.index! + m[0].length });
  }
  return tokens;
}

/** SQLite accepts "x", `x`, [x], and even 'x' where an identifier is expected. */
function unquote(identifier: string): string {
  const first = identifier[0];
  if (first === '"' || first === "`" || first === "'")
    return identifier.slice(1, -1).replaceAll(first + first, first);
  if (first === "[") return identifier.slice(1, -1);
  return identifier;
}

/** Index of the parenthesis closing the one at `open`. */
function closing(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    if (tokens[i]!.text === "(") depth++;
    if (tokens[i]!.text === ")" && --depth === 0) return i;
  }
  return tokens.length - 1;
}

/** The identifiers listed between the parenthesis at `open` and its closing one. */
function identifierList(tokens: Token[], open: number): string[] {
  return tokens
    .slice(open + 1, closing(tokens, open))
    .filter((t) => t.text !== "," && !/^(ASC|DESC|COLLATE)$/i.test(t.text))
    .map((t) => unquote(t.text));
}

/** Table- and column-level constraints of a CREATE TABLE, with the names they were given. */
function parseCreateTable(text: string): ParsedConstraint[] {
  const tokens = tokenize(text);
  const bodyOpen = tokens.findIndex((t) => t.text === "(");
  const bodyClose = closing(tokens, bodyOpen);
  const items: Token[][] = [];
  let item: Token[] = [];
  for (let i = bodyOpen + 1; i < bodyClose; i++) {
    const t = tokens[i]!;
    if (t.text === "(") {
      const end = closing(tokens, i);
      item.push(...tokens.slice(i, end + 1));
      i = end;
    } else if (t.text === ",") {
      items.push(item);
      item = [];
    } else item.push(t);
  }
  items.push(item);
  return items.flatMap((tokens) => itemConstraints(tokens, text));
}

const TABLE_CONSTRAINT = /^(CONSTRAINT|PRIMARY|UNIQUE|CHECK|FOREIGN)$/i;

function itemConstraints(tokens: Token[], text: string): ParsedConstraint[] {
  const column = TABLE_CONSTRAINT.test(tokens[0]?.text ?? "") ? undefined : unquote(tokens[0]!.text);
  const found: ParsedConstraint[] = [];
  let name: string | undefined;
  const word = (i: number) => tokens[i]?.text.toUpperCase();
  const nextParen = (from: number) => tokens.findIndex((t, i) => i >= from && t.text === "(");
  for (let i = column === undefined ? 0 : 1; i < tokens.length; i++) {
    const w = word(i);
    if (w === "CONSTRAINT") {
      name = unquote(tokens[++i]!.text);
      continue;
    }
    const add = (c: Omit<ParsedConstraint, "name">) => {
      found.push(name === undefined ? c : { ...c, name });
      name = undefined;
    };
    if (w === "CHECK") {
      const open = nextParen(i);
      const close = closing(tokens, open);
      add({ kind: "check", columns: [], sql: text.slice(tokens[open]!.end, tokens[close]!.start).trim() });
      i = close;
    } else if ((w === "PRIMARY" || w === "UNIQUE") && column === undefined) {
      const open = nextParen(i);
      add({
        kind: w === "PRIMARY" ? "primary key" : "unique",
        columns: identifierList(tokens, open),
        sql: "",
      });
      i = closing(tokens, open);
    } else if (w === "PRIMARY" || w === "UNIQUE") {
      add({ kind: w === "PRIMARY" ? "primary key" : "unique", columns: [column!], sql: "" });
    } else if (w === "FOREIGN" || w === "REFERENCES") {
      let columns = [column!];
      if (w === "FOREIGN") {
        const open = nextParen(i);
        columns = identifierList(tokens, open);
        i = closing(tokens, open) + 1; // REFERENCES
      }
      add({ kind: "foreign key", columns, refTable: unquote(tokens[i + 1]!.text), sql: "" });
      i++;
    }
  }
  return found;
}

/** The WHERE of a CREATE INDEX: whatever follows the column list. */
function whereClause(createIndex: string): string | undefined {
  const tokens = tokenize(createIndex);
  const on = tokens.findIndex((t) => t.text.toUpperCase() === "ON");
  const close = closing(
    tokens,
    tokens.findIndex((t, i) => i > on && t.text === "("),
  );
  const rest = tokens[close + 1];
  if (rest?.text.toUpperCase() !== "WHERE") return undefined;
  return createIndex.slice(rest.end).trim();
}

/** pragma_table_info drops the outer parentheses of a default expression; compare without them. */
function unparenthesised(text: string): string {
  return /^\((.*)\)$/s.exec(text)?.[1] ?? text;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x.toLowerCase() === b[i]!.toLowerCase());
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * External-content FTS5 tables and the table each indexes (its `content=` option). One whose triggers
 * are not all there is not kept in step, so it is not reported: the difference shows as a missing
 * full-text index. The weights are the bm25 weights stored as the FTS5 table's default rank.
 */
async function readFullTexts(
  db: Kysely<any>,
  triggers: Set<string>,
): Promise<{ table: string; model: FullTextModel }[]> {
  const virtual = await rows(
    db,
    sql<{ name: string; sql: string }>`
      SELECT l.name AS name, m.sql AS sql FROM pragma_table_list l
        JOIN sqlite_master m ON m.type = 'table' AND m.name = l.name
      WHERE l.schema = 'main' AND l.type = 'virtual'`,
  );
  const found: { table: string; model: FullTextModel }[] = [];
  for (const v of virtual) {
    const args = /USING\s+fts5\s*\(([\s\S]*)\)\s*$/i.exec(v.sql)?.[1];
    if (args === undefined) continue;
    const tokens = tokenize(args);
    const items: string[][] = [[]];
    for (const t of tokens) {
      if (t.text === ",") items.push([]);
      else items.at(-1)!.push(t.text);
    }
    const options = new Map<string, string>();
    const columns: string[] = [];
    for (const item of items) {
      if (item[1] === "=") options.set(item[0]!.toLowerCase(), unquote(item.slice(2).join(" ")));
      else if (item[0]) columns.push(unquote(item[0]));
    }
    const content = options.get("content");
    const names = sqliteFullTextTriggers({ name: v.name, columns: [], language: "" });
    if (!content || ![names.insert, names.delete, names.update].every((n) => triggers.has(n))) continue;
    const [rank] = await rows(
      db,
      sql<{ v: string }>`SELECT v AS v FROM ${sql.table(`${v.name}_config`)} WHERE k = 'rank'`,
    );
    const rankArgs = /\(([^)]*)\)/.exec(rank?.v ?? "")?.[1] ?? "";
    const weights = rankArgs.split(",").map((w) => Number(w.trim()));
    found.push({
      table: content,
      model: {
        name: v.name,
        columns: columns.map((column, i) => ({ column, weight: weightOf(weights[i] ?? 1) })),
        language: /porter/.test(options.get("tokenize") ?? "") ? "english" : "simple",
      },
    });
  }
  return found;
}
