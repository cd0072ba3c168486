import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { InvalidCursorError, InvalidOptionError } from "../errors.js";
import type { ColumnModel } from "../schema/index.js";
import { valueProblem } from "./value-check.js";

export type SortDirection = "asc" | "desc";
/** One ordering term: a column key, or `[key, "desc"]`. */
export type OrderTerm<K extends string = string> = K | readonly [K, SortDirection];
export type OrderBy<K extends string = string> = OrderTerm<K> | readonly OrderTerm<K>[];

export interface PageMeta {
  page: number;
  perPage: number;
  /** Absent when the caller asked for `skipCount`. */
  total?: number;
  hasNext: boolean;
}

export interface CursorMeta {
  limit: number;
  hasNext: boolean;
  /** Pass as `after` to get the next page; absent on the last page. */
  nextCursor?: string;
}

export function normalizeOrder(order: OrderBy | undefined): [string, SortDirection][] {
  if (order === undefined) return [];
  const terms: readonly OrderTerm[] =
    typeof order === "string" || (Array.isArray(order) && order.length === 2 && isDirection(order[1]))
      ? [order as OrderTerm]
      : (order as readonly OrderTerm[]);
  return terms.map((t) => (typeof t === "string" ? [t, "asc"] : [t[0], t[1]]));
}

function isDirection(v: unknown): v is SortDirection {
  return v === "asc" || v === "desc";
}

/** Keyset pagination needs a total order: the primary key breaks every tie. */
export function uniqueOrder(
  order: [string, SortDirection][],
  primaryKey: string[],
): [string, SortDirection][] {
  const out = [...order];
  for (const k of primaryKey) if (!out.some(([c]) => c === k)) out.push([k, out[0]?.[1] ?? "asc"]);
  return out;
}

/**
 * The cursor is base64url JSON of the last row's ordering values plus the ordering itself, so a
 * cursor replayed against a different ordering is refused rather than silently skipping rows.
 * Opaque to callers on purpose: its format may change.
 */
export function encodeCursor(order: [string, SortDirection][], row: Record<string, unknown>): string {
  const values = order.map(([c]) => {
    const v = row[c];
    return v instanceof Date ? { $date: v.toISOString() } : v;
  });
  return Buffer.from(JSON.stringify({ o: order.map(([c, d]) => `${c} ${d}`), v: values })).toString(
    "base64url",
  );
}

/**
 * The values of a cursor, checked against the ordering it is used with: one value per ordering
 * column, each of that column's kind (or null where the column is nullable), so a forged cursor is
 * an InvalidCursorError, never a database error or a silently wrong page.
 */
export function decodeCursor(
  cursor: unknown,
  order: [string, SortDirection][],
  columnOf: (key: string) => ColumnModel | undefined,
): unknown[] {
  if (typeof cursor !== "string" || !/^[A-Za-z0-9_-]*$/.test(cursor))
    throw new InvalidCursorError("invalid pagination cursor: not a cursor plinth made");
  let parsed: { o?: unknown; v?: unknown };
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new InvalidCursorError("invalid pagination cursor: not a cursor plinth made");
  }
  const expected = order.map(([c, d]) => `${c} ${d}`);
  if (typeof parsed !== "object" || parsed === null || JSON.stringify(parsed.o) !== JSON.stringify(expected))
    throw new InvalidCursorError("pagination cursor does not belong to this ordering");
  if (!Array.isArray(parsed.v) || parsed.v.length !== order.length)
    throw new InvalidCursorError("invalid pagination cursor: its values do not match the ordering");
  return parsed.v.map((raw, i) => {
    const column = columnOf(order[i]![0]);
    const value = isDate(raw) ? new Date(raw.$date) : raw;
    const problem =
      value === null
        ? column?.nullable
          ? undefined
          : "is null"
        : column
          ? valueProblem(column, value)
          : undefined;
    if (problem) throw new InvalidCursorError(`invalid pagination cursor: its ${order[i]![0]} ${problem}`);
    return value;
  });
}

function isDate(v: unknown): v is { $date: string } {
  return typeof v === "object" && v !== null && typeof (v as { $date?: unknown }).$date === "string";
}

/** Refuses a count option that is not an integer of at least `min`. */
export function requireCount(option: string, value: unknown, min: number): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min)
    throw new InvalidOptionError(option, value, `an integer of at least ${min}`);
}

/** Rows strictly after `values` in `order`: (a > x) OR (a = x AND b > y) OR …, per-column direction. */
export function afterPredicate(
  eb: ExpressionBuilder<any, any>,
  order: [string, SortDirection][],
  values: unknown[],
): Expression<SqlBool> {
  const branches = order.map(([column, direction], i) => {
    const equal = order.slice(0, i).map(([c], j) => eb(c, "=", values[j]));
    return eb.and([...equal, eb(column, direction === "asc" ? ">" : "<", values[i])]);
  });
  return eb.or(branches);
}
