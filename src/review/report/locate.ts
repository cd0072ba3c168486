/**
 * Where a table or column is declared in the schema module's source, found in the text: the line of
 * `table("name"` (or of the first `"name"` string when a helper builds the table), and the line of
 * the column's key after it. Best effort: no location is better than a wrong one, so a name that
 * is not found gives none.
 */
import type { SchemaModel } from "../../schema/index.js";
import type { SourceLocation } from "./types.js";

export interface Locator {
  /** The declaration of `table`, or of `table.column`. */
  locate(table: string, column?: string): SourceLocation | undefined;
}

export function sourceLocator(file: string, text: string, model: SchemaModel): Locator {
  const lines = text.split("\n");
  const lineOf = (pattern: RegExp, from = 0): number | undefined => {
    for (let i = from; i < lines.length; i++) if (pattern.test(lines[i]!)) return i;
    return undefined;
  };
  const tableLine = (table: string): number | undefined => {
    const quoted = `["'\`]${escapeRegExp(table)}["'\`]`;
    return lineOf(new RegExp(`\\b[A-Za-z]*[tT]able\\(\\s*${quoted}`)) ?? lineOf(new RegExp(quoted));
  };
  return {
    locate(table, column) {
      const start = tableLine(table);
      if (start === undefined) return undefined;
      if (!column) return { file, line: start + 1 };
      const key = model.tables.find((t) => t.name === table)?.columns.find((c) => c.name === column)?.key;
      // The key as an object property (`tokenPrefix:`), searched within the table's declaration:
      // up to the next table's start.
      const end = lineOf(/\b[A-Za-z]*[tT]able\(\s*["'`]/, start + 1) ?? lines.length;
      for (const name of [key, column]) {
        if (!name) continue;
        const at = lineOf(new RegExp(`^\\s*["']?${escapeRegExp(name)}["']?\\s*:`), start);
        if (at !== undefined && at < end) return { file, line: at + 1 };
      }
      return undefined;
    },
  };
}

/** No locations: the report then cites table.column only. */
export const NO_LOCATOR: Locator = { locate: () => undefined };

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The table and column a finding's object names: `table`, `table.column`, `table.column:kind`,
 * `table/index`, `table(col,…)`, `table:query`.
 */
export function objectParts(object: string, table?: string): { table?: string; column?: string } {
  const m = /^([A-Za-z0-9_$]+)(?:\.([A-Za-z0-9_$]+))?/.exec(object);
  if (!m || object.startsWith("migration:") || object.startsWith("drift:") || object.startsWith("integrity:"))
    return table ? { table } : {};
  const out: { table?: string; column?: string } = { table: table ?? m[1]! };
  if (m[2]) out.column = m[2];
  return out;
}
