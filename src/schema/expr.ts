import type { Comparison, Predicate, RawSql } from "./model.js";

/**
 * Portable predicates for CHECK constraints and partial indexes. Columns are named by their TypeScript
 * key here; the table declaration maps them to database names, so a rename touches one place.
 */
export const expr = {
  in: (column: string, values: readonly (string | number)[]): Predicate => ({
    op: "in",
    column,
    values: [...values],
  }),
  between: (column: string, min: number, max: number): Predicate => ({ op: "between", column, min, max }),
  compare: (column: string, cmp: Comparison, value: number | string): Predicate => ({
    op: "compare",
    column,
    cmp,
    value,
  }),
  min: (column: string, value: number): Predicate => ({ op: "compare", column, cmp: ">=", value }),
  max: (column: string, value: number): Predicate => ({ op: "compare", column, cmp: "<=", value }),
  minLength: (column: string, value: number): Predicate => ({ op: "length", column, cmp: ">=", value }),
  maxLength: (column: string, value: number): Predicate => ({ op: "length", column, cmp: "<=", value }),
  isNull: (column: string): Predicate => ({ op: "isNull", column }),
  isNotNull: (column: string): Predicate => ({ op: "isNotNull", column }),
  /** The value is an argon2 PHC string or a bcrypt hash (the CHECK `col.password()` declares). */
  passwordHash: (column: string): Predicate => ({ op: "passwordHash", column }),
  and: (...args: Predicate[]): Predicate => ({ op: "and", args }),
  or: (...args: Predicate[]): Predicate => ({ op: "or", args }),
  /** Dialect-specific SQL, used verbatim: `expr.raw({ postgres: "...", default: "..." })` or one string for all. */
  raw: (sql: string | RawSql): Predicate => ({
    op: "raw",
    sql: typeof sql === "string" ? { default: sql } : sql,
  }),
};

/** Every column a predicate names, so declarations can be checked for unknown columns. */
export function predicateColumns(p: Predicate): string[] {
  switch (p.op) {
    case "and":
    case "or":
      return p.args.flatMap(predicateColumns);
    case "raw":
      return [];
    default:
      return [p.column];
  }
}

/** The same predicate with every column name passed through `rename`. */
export function renamePredicateColumns(p: Predicate, rename: (column: string) => string): Predicate {
  switch (p.op) {
    case "and":
    case "or":
      return { op: p.op, args: p.args.map((a) => renamePredicateColumns(a, rename)) };
    case "raw":
      return p;
    default:
      return { ...p, column: rename(p.column) };
  }
}
