import type { ConstraintViolation, ViolationKind } from "../errors.js";
import { VIOLATIONS } from "../errors.js";
import type { ErrorContext } from "./types.js";

/**
 * Builds a typed violation from whatever the engine reported, completing the missing parts (table,
 * columns) from the constraint catalog. Shared by the three dialects' error translators.
 */
export function violation(
  kind: ViolationKind,
  reported: { table?: string; columns?: string[]; constraint?: string; detail?: string },
  context: ErrorContext,
  cause: unknown,
): ConstraintViolation {
  const known = context.catalog.lookup(reported.constraint);
  let table = reported.table ?? known?.table ?? context.table;
  let columns = reported.columns?.length ? reported.columns : known?.columns;
  let constraint = reported.constraint;
  if (!constraint && kind === "unique" && table && columns)
    constraint = context.catalog.uniqueFor(table, columns);
  if (!constraint && kind === "foreign key" && table) {
    // Engines that name no constraint (SQLite) still let us name it when the table has only one.
    const fks = context.catalog.foreignKeysOf(table);
    if (fks.length === 1) {
      constraint = fks[0]!.name;
      columns ??= fks[0]!.columns;
    }
  }
  table ??= undefined;
  columns ??= [];
  return new VIOLATIONS[kind]({ table, columns, constraint, detail: reported.detail, cause });
}

export function errorProperty(error: unknown, key: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}
