import type { ConstraintViolation, ViolationKind } from "../errors.js";
import { VIOLATIONS } from "../errors.js";
import type { ErrorContext } from "./types.js";

/**
 * The error context plus the kind of statement that failed: an INSERT can only break the foreign keys
 * of its own table, a DELETE only those that reference its table, an UPDATE either.
 */
export interface StatementContext extends ErrorContext {
  statement?: "insert" | "update" | "delete";
}

/**
 * Builds a typed violation from whatever the engine reported, completing the missing parts (table,
 * columns) from the constraint catalog. Shared by the three dialects' error translators.
 */
export function violation(
  kind: ViolationKind,
  reported: { table?: string; columns?: string[]; constraint?: string; detail?: string },
  context: StatementContext,
  cause: unknown,
): ConstraintViolation {
  const known = context.catalog.lookup(reported.constraint);
  let table = reported.table ?? known?.table ?? context.table;
  // A named constraint's own columns come from the catalog: engines may report the other side's
  // (PostgreSQL's "Key (id)=(1) is still referenced from table ..." names the referenced columns).
  let columns =
    known?.columns.length && known.table === table
      ? known.columns
      : reported.columns?.length
        ? reported.columns
        : known?.columns;
  let constraint = reported.constraint;
  if (!constraint && kind === "unique" && table && columns)
    constraint = context.catalog.uniqueFor(table, columns);
  if (!constraint && kind === "foreign key" && !reported.table && context.table) {
    // Engines that name no constraint (SQLite) still let us name it when only one could have failed.
    const { catalog, statement } = context;
    const candidates = [
      ...(statement === "delete"
        ? []
        : catalog.foreignKeysOf(context.table).map((fk) => ({ table: context.table!, ...fk }))),
      ...(statement === "insert" ? [] : catalog.foreignKeysReferencing(context.table, statement)),
    ];
    if (candidates.length === 1) {
      table = candidates[0]!.table;
      constraint = candidates[0]!.name;
      columns ??= candidates[0]!.columns;
    }
  }
  table ??= undefined;
  columns ??= [];
  return new VIOLATIONS[kind]({ table, columns, constraint, detail: reported.detail, cause });
}

export function errorProperty(error: unknown, key: string): unknown {
  return typeof error === "object" && error !== null ? (error as Record<string, unknown>)[key] : undefined;
}
