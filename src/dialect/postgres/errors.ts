import type { ConstraintViolation } from "../../errors.js";
import { socketGone } from "../driver.js";
import type { ErrorContext } from "../types.js";
import { errorProperty, violation } from "../violation.js";

/**
 * PostgreSQL reports SQLSTATE codes with structured fields (table, column, constraint) and a detail
 * line such as "Key (username)=(ann) already exists." from which the columns are read.
 */
export function translatePostgresError(
  error: unknown,
  context: ErrorContext,
): ConstraintViolation | undefined {
  const str = (key: string) => {
    const v = errorProperty(error, key);
    return typeof v === "string" && v !== "" ? v : undefined;
  };
  const code = str("code");
  const detail = str("detail") ?? str("message");
  const reported = {
    table: str("table"),
    constraint: str("constraint"),
    columns: str("column") ? [str("column")!] : keyColumns(detail),
    detail,
  };
  switch (code) {
    case "23505":
      return violation("unique", reported, context, error);
    case "23503":
    // restrict_violation: ON DELETE / ON UPDATE RESTRICT (PostgreSQL 17+; earlier versions say 23503).
    case "23001":
      return violation("foreign key", reported, context, error);
    case "23502":
      return violation("not null", reported, context, error);
    case "23514":
      return violation("check", { ...reported, columns: undefined }, context, error);
    default:
      return undefined;
  }
}

function keyColumns(detail: string | undefined): string[] | undefined {
  const m = detail && /Key \(([^)]*)\)/.exec(detail);
  return m ? m[1]!.split(",").map((c) => c.trim().replace(/^"|"$/g, "")) : undefined;
}

/**
 * Class 57P (operator intervention: admin_shutdown, crash_shutdown, cannot_connect_now), class 08
 * (connection exceptions), node-postgres's own "Connection terminated" and dead sockets.
 */
export function postgresConnectionLost(error: unknown): boolean {
  const code = errorProperty(error, "code");
  if (typeof code === "string" && (/^57P0[123]$/.test(code) || code.startsWith("08"))) return true;
  const message = String(errorProperty(error, "message") ?? "");
  return (
    socketGone(error) || /Connection terminated|Client has encountered a connection error/i.test(message)
  );
}
