import type { Kysely, RawBuilder } from "kysely";
import { CamelCasePlugin } from "kysely";
import type {
  ColumnModel,
  ColumnType,
  DefaultValue,
  JsonValue,
  ReferentialAction,
  SchemaModel,
  TableModel,
} from "../schema/index.js";
import { snapshot } from "../schema/index.js";
import { constraintName } from "../schema/names.js";
import { touchTriggerName } from "./render.js";

/**
 * Runs a catalog query. Callers alias every column to a lower-case single word, so the rows look the
 * same whether or not the Kysely instance carries CamelCasePlugin (which renames result keys).
 */
export async function rows<T>(db: Kysely<any>, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(db)).rows;
}

/** The inverse of sqlName(), with the very function Kysely uses at query time. */
class KeyMapper extends CamelCasePlugin {
  toKey(name: string): string {
    return this.camelCase(name);
  }
}
const mapper = new KeyMapper();
export const columnKey = (name: string): string => mapper.toKey(name);

/** The name plinth gives the CHECK a dialect adds for a column type (`ck_<t>_<c>_<suffix>`). */
export const implicitCheckName = (table: string, column: string, suffix: string): string =>
  constraintName(["ck", table, column, suffix]);

export const touchName = (table: string, column: string): string =>
  touchTriggerName({ name: table } as TableModel, { name: column } as ColumnModel);

/**
 * Every string literal in a SQL fragment, in order: `'a'`, `'it''s'`. `backslashes`: MySQL also
 * escapes with backslashes (`'it\'s'`); the others keep a backslash as an ordinary character.
 */
export function stringLiterals(sql: string, backslashes = false): string[] {
  const pattern = backslashes ? /'((?:[^'\\]|''|\\.)*)'/g : /'((?:[^']|'')*)'/g;
  return [...sql.matchAll(pattern)].map((m) =>
    backslashes ? unescapeLiteral(m[1]!) : m[1]!.replaceAll("''", "'"),
  );
}

function unescapeLiteral(body: string): string {
  return body.replace(/''|\\(.)/g, (all, escaped: string | undefined) =>
    all === "''" ? "'" : (BACKSLASH[escaped!] ?? escaped!),
  );
}
const BACKSLASH: Record<string, string> = { n: "\n", r: "\r", t: "\t", "0": "\0" };

/**
 * A literal default as the engine prints it (`'text'`, `42`, `-1.5`, `TRUE`, `NULL`); `undefined`
 * when it is an expression. `backslashes`: MySQL escapes with backslashes, the others do not.
 */
function parseLiteral(text: string, backslashes = false): JsonValue | undefined {
  const t = text.trim();
  const quoted = /^'((?:[^'\\]|''|\\.)*)'$/s.exec(t);
  if (quoted) return backslashes ? unescapeLiteral(quoted[1]!) : quoted[1]!.replaceAll("''", "'");
  if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(t)) return Number(t);
  if (/^true$/i.test(t)) return true;
  if (/^false$/i.test(t)) return false;
  if (/^null$/i.test(t)) return null;
  return undefined;
}

/**
 * A default as the engine prints it, as plinth declares it for a column of this type; `undefined`
 * for expressions. Decimals keep their digits as text, as the data layer reads them.
 */
export function literalDefault(
  type: ColumnType,
  text: string,
  backslashes = false,
): DefaultValue | undefined {
  const value = parseLiteral(text, backslashes);
  if (type.kind === "decimal" && typeof value === "number") return { kind: "literal", value: text.trim() };
  return typedDefault(type, value);
}

/** A literal value, converted to what plinth declares for a column of this type. */
export function typedDefault(type: ColumnType, value: JsonValue | undefined): DefaultValue | undefined {
  // A NULL default is what a nullable column has anyway; plinth never declares one.
  if (value === undefined || value === null) return undefined;
  switch (type.kind) {
    case "boolean":
      return { kind: "literal", value: ["1", "t", "true", "y", "yes"].includes(String(value).toLowerCase()) };
    case "integer":
    case "bigint":
    case "double":
      return { kind: "literal", value: Number(value) };
    case "json":
      return { kind: "literal", value: typeof value === "string" ? parseJson(value) : value };
    default:
      return { kind: "literal", value: String(value) };
  }
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    return text;
  }
}

const ACTIONS: Record<string, ReferentialAction> = {
  cascade: "cascade",
  restrict: "restrict",
  "set null": "set null",
  "no action": "no action",
};

/** CASCADE / SET NULL / ... as plinth spells them; SET DEFAULT has no plinth spelling and is kept as is. */
export function referentialAction(rule: string): ReferentialAction {
  const lower = rule.toLowerCase().replace(/_/g, " ");
  return ACTIONS[lower] ?? (lower as ReferentialAction);
}

/** Snapshot order (tables, constraints and indexes by name; columns as they are), without `format`. */
export function sorted(model: SchemaModel): SchemaModel {
  return { tables: snapshot(model).tables };
}

export function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** A table with the parts every engine fills in; engine readers add columns and constraints. */
export function emptyTable(name: string, doc: string | null | undefined): TableModel {
  const table: TableModel = {
    name,
    columns: [],
    primaryKey: { name: constraintName(["pk", name]), columns: [] },
    uniques: [],
    checks: [],
    foreignKeys: [],
    indexes: [],
    meta: {},
  };
  if (doc) table.doc = doc;
  return table;
}

/** The triggers plinth itself makes on a table: touch triggers and the append-only guards. */
export function plinthTrigger(table: string, trigger: string, columns: string[]): boolean {
  const guards = ["no_update", "no_delete", "no_replace", "no_truncate", "append_only"].map(
    (g) => `${table}_${g}`,
  );
  return guards.includes(trigger) || columns.some((c) => touchName(table, c) === trigger);
}

/** The functions plinth itself makes: the shared touch function and each append-only table's refusal. */
export function plinthFunction(name: string, tables: string[]): boolean {
  return name === "plinth_touch_updated_at" || tables.some((t) => name === `${t}_refuse`);
}
