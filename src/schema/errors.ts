import { PlinthError } from "../errors.js";

/**
 * Raised when a declaration cannot be turned into a schema: the message always names the table and,
 * where one is involved, the column, so the fix is obvious without a stack trace.
 */
export class SchemaError extends PlinthError {
  static override readonly code: string = "PLINTH_SCHEMA_ERROR";
  override readonly name = "SchemaError";
  constructor(
    message: string,
    readonly table?: string,
    readonly column?: string,
  ) {
    super(message);
  }
}
