/**
 * Typed errors for everything a caller can cause. Each constraint error names the table, the columns
 * and the constraint when the engine reports them (or when plinth can tell from the schema), and keeps
 * the driver's error as `cause`.
 *
 * This module imports nothing, so every other module (src/schema included) can extend PlinthError
 * without an import cycle.
 */
export class PlinthError extends Error {
  /**
   * Messages are for people and may be reworded; codes are stable across releases, so programs match
   * on these. Every subclass declares its own; the README's Errors table lists them all.
   */
  static readonly code: string = "PLINTH_ERROR";
  override name = "PlinthError";
  /**
   * The class's code as an own property rather than a getter, so structured loggers that copy an
   * error's enumerable properties (pino's serializer, JSON.stringify) keep it.
   */
  readonly code: string = (this.constructor as typeof PlinthError).code;
}

export interface ViolationDetails {
  table?: string;
  columns?: string[];
  constraint?: string;
  /** The engine's own message, kept verbatim. */
  detail?: string;
  cause?: unknown;
}

export type ViolationKind = "unique" | "foreign key" | "not null" | "check";

export abstract class ConstraintViolation extends PlinthError {
  static override readonly code: string = "PLINTH_CONSTRAINT_VIOLATION";
  abstract readonly kind: ViolationKind;
  readonly table?: string;
  readonly columns: string[];
  readonly constraint?: string;
  readonly detail?: string;

  constructor(kind: ViolationKind, details: ViolationDetails) {
    super(violationMessage(kind, details), { cause: details.cause });
    this.table = details.table;
    this.columns = details.columns ?? [];
    this.constraint = details.constraint;
    this.detail = details.detail;
  }
}

function violationMessage(kind: ViolationKind, d: ViolationDetails): string {
  const columns = d.columns?.length ? ` (${d.columns.join(", ")})` : "";
  const where = d.table ? ` on ${d.table}${columns}` : "";
  const name = d.constraint ? ` ${d.constraint}` : "";
  return `${kind} constraint${name} violated${where}${d.detail ? `: ${d.detail}` : ""}`;
}

export class UniqueViolation extends ConstraintViolation {
  static override readonly code: string = "PLINTH_UNIQUE_VIOLATION";
  override name = "UniqueViolation";
  readonly kind = "unique" as const;
  constructor(details: ViolationDetails) {
    super("unique", details);
  }
}

export class ForeignKeyViolation extends ConstraintViolation {
  static override readonly code: string = "PLINTH_FOREIGN_KEY_VIOLATION";
  override name = "ForeignKeyViolation";
  readonly kind = "foreign key" as const;
  constructor(details: ViolationDetails) {
    super("foreign key", details);
  }
}

export class NotNullViolation extends ConstraintViolation {
  static override readonly code: string = "PLINTH_NOT_NULL_VIOLATION";
  override name = "NotNullViolation";
  readonly kind = "not null" as const;
  constructor(details: ViolationDetails) {
    super("not null", details);
  }
}

export class CheckViolation extends ConstraintViolation {
  static override readonly code: string = "PLINTH_CHECK_VIOLATION";
  override name = "CheckViolation";
  readonly kind = "check" as const;
  constructor(details: ViolationDetails) {
    super("check", details);
  }
}

export const VIOLATIONS = {
  unique: UniqueViolation,
  "foreign key": ForeignKeyViolation,
  "not null": NotNullViolation,
  check: CheckViolation,
} as const;

/**
 * A mistake in the migrations folder or in how the runner was asked to use it: a file that does not
 * load, a broken history, an unknown target, a changed applied migration, a lock held too long; also
 * what the autodetector, renderer and writer refuse (a bad rename, a primary key change, a raw SQL
 * step without SQL for the engine). The message is one line that names the thing and the fix, so
 * the CLI prints it as is. Defined here so the engines' migration locks (src/dialect) raise it too.
 */
export class MigrationError extends PlinthError {
  static override readonly code: string = "PLINTH_MIGRATION_ERROR";
  override name = "MigrationError";
}

/**
 * The database could not be reached: every attempt failed, or one failed in a way waiting cannot fix
 * (a wrong password, a missing database, an unknown host), or a database that must exist does not.
 */
export class ConnectionError extends PlinthError {
  static override readonly code: string = "PLINTH_CONNECTION_FAILED";
  override name = "ConnectionError";
}

/**
 * A statement ran longer than the connection's statement timeout, or the server stopped answering
 * while it ran. The server cancels it (PostgreSQL's statement_timeout), so nothing of it is kept.
 */
export class StatementTimeoutError extends PlinthError {
  static override readonly code: string = "PLINTH_STATEMENT_TIMEOUT";
  override name = "StatementTimeoutError";
}

/**
 * A write to a table declared `audit: true` through a connection that records no audit trail: the
 * schema has no auditLog() table, or the connection's hooks do not observe the table. Nothing was
 * written. `connect` wires the trail itself when the schema declares auditLog(); `{ audit: false }`
 * writes without one on purpose.
 */
export class AuditTrailMissingError extends PlinthError {
  static override readonly code: string = "PLINTH_AUDIT_TRAIL_MISSING";
  override name = "AuditTrailMissingError";
  constructor(
    readonly table: string,
    message = `${table} is declared audit: true, but this connection records no audit trail for it; ` +
      "connect(url, schema) from plinth wires one when the schema includes auditLog(), " +
      "or connect with { audit: false } to write without one",
  ) {
    super(message);
  }
}

export interface ValidationIssue {
  table: string;
  column: string;
  message: string;
}

/**
 * Values failed the declaration's rules (lengths, formats, required columns, enum values, ranges,
 * JSON validators); nothing was written. `issues` lists every failing field, not just the first.
 */
export class ValidationError extends PlinthError {
  static override readonly code: string = "PLINTH_VALIDATION_FAILED";
  override name = "ValidationError";
  constructor(
    message: string,
    readonly issues: ValidationIssue[],
  ) {
    super(message);
  }

  /** The table of the first issue: every issue of one write names the same table. */
  get table(): string | undefined {
    return this.issues[0]?.table;
  }

  static of(issues: ValidationIssue[]): ValidationError {
    const list = issues.map((i) => `${i.column}: ${i.message}`).join("; ");
    return new ValidationError(`${issues[0]?.table ?? "?"}: ${list}`, issues);
  }
}

/** A row looked up by primary key is not there (or is soft-deleted). */
export class NotFoundError extends PlinthError {
  static override readonly code: string = "PLINTH_NOT_FOUND";
  override name = "NotFoundError";
  constructor(
    readonly table: string,
    readonly id: unknown,
  ) {
    super(`${table} ${String(id)} not found`);
  }
}

/** An update named a version that is no longer current: someone else changed the row first. */
export class StaleVersionError extends PlinthError {
  static override readonly code: string = "PLINTH_STALE_VERSION";
  override name = "StaleVersionError";
  constructor(
    readonly table: string,
    readonly id: unknown,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(`${table} ${String(id)}: expected version ${expected}, but it is at version ${actual}`);
  }
}

/** An option of a read was out of range (a page below 1, a negative limit): nothing was read. */
export class InvalidOptionError extends PlinthError {
  static override readonly code: string = "PLINTH_INVALID_OPTION";
  override name = "InvalidOptionError";
  constructor(
    readonly option: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(`${option} must be ${expected}, not ${JSON.stringify(value) ?? String(value)}`);
  }
}

/**
 * A pagination cursor that this ordering did not produce: not plinth's format, another ordering's,
 * or values of the wrong kind for their columns. Nothing was read.
 */
export class InvalidCursorError extends PlinthError {
  static override readonly code: string = "PLINTH_INVALID_CURSOR";
  override name = "InvalidCursorError";
}

/** A database URL plinth cannot read: an unsupported scheme, or `sqlite:` without a file. */
export class DatabaseUrlError extends PlinthError {
  static override readonly code: string = "PLINTH_INVALID_DATABASE_URL";
  override name = "DatabaseUrlError";
}

/** A dialect name that is not sqlite, postgres or mysql (typically from untyped input such as a flag). */
export class UnknownDialectError extends PlinthError {
  static override readonly code: string = "PLINTH_UNKNOWN_DIALECT";
  override name = "UnknownDialectError";
  constructor(readonly dialect: string) {
    super(`unknown dialect "${dialect}" (expected sqlite, postgres or mysql)`);
  }
}
