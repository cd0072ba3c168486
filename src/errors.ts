/**
 * Typed errors for everything a caller can cause. Each constraint error names the table, the columns
 * and the constraint when the engine reports them (or when plinth can tell from the schema), and keeps
 * the driver's error as `cause`.
 */
export class PlinthError extends Error {
  override name = "PlinthError";
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
  override name = "UniqueViolation";
  readonly kind = "unique" as const;
  constructor(details: ViolationDetails) {
    super("unique", details);
  }
}

export class ForeignKeyViolation extends ConstraintViolation {
  override name = "ForeignKeyViolation";
  readonly kind = "foreign key" as const;
  constructor(details: ViolationDetails) {
    super("foreign key", details);
  }
}

export class NotNullViolation extends ConstraintViolation {
  override name = "NotNullViolation";
  readonly kind = "not null" as const;
  constructor(details: ViolationDetails) {
    super("not null", details);
  }
}

export class CheckViolation extends ConstraintViolation {
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
 * load, a broken history, an unknown target, a changed applied migration, a lock held too long. The
 * message is one line that names the thing and the fix, so the CLI prints it as is.
 */
export class MigrationError extends PlinthError {
  override name = "MigrationError";
}

/** The database could not be reached within the configured attempts. */
export class ConnectionError extends PlinthError {
  override name = "ConnectionError";
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
  override name = "InvalidCursorError";
}
