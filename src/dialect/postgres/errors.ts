import type { PlinthError } from "../../errors.js";
import { StatementTimeoutError } from "../../errors.js";
import { socketConnectFailure, socketGone } from "../driver.js";
import type { ConnectFailure, ErrorContext } from "../types.js";
import { errorProperty, violation } from "../violation.js";

/**
 * PostgreSQL reports SQLSTATE codes with structured fields (table, column, constraint) and a detail
 * line such as "Key (username)=(ann) already exists." from which the columns are read.
 */
export function translatePostgresError(error: unknown, context: ErrorContext): PlinthError | undefined {
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
      return statementTimeout(error);
  }
}

/**
 * The server's statement_timeout (57014 with its own wording; 57014 alone is also a cancel asked for
 * by someone), or node-postgres giving up on a server that stopped answering (query_timeout).
 */
function statementTimeout(error: unknown): StatementTimeoutError | undefined {
  const code = errorProperty(error, "code");
  const message = String(errorProperty(error, "message") ?? "");
  if (code === "57014" && /statement timeout/i.test(message)) {
    return new StatementTimeoutError(
      "the statement ran longer than the statement timeout and was cancelled; " +
        "raise statementTimeoutMs (the CLI's --statement-timeout, 0 for no limit) if it needs longer",
      { cause: error },
    );
  }
  if (/^Query read timeout$/i.test(message)) {
    return new StatementTimeoutError(
      "the server did not answer within the statement timeout; it may be overloaded or unreachable",
      { cause: error },
    );
  }
  return undefined;
}

/**
 * Connect-time failures. Only what can get better by waiting is worth another attempt: a server
 * that is down or starting (57P03), full (53300), or a dropped connection (class 08). A refused
 * password (28P01, 28000) or a missing database (3D000) is the same on every attempt.
 */
export function postgresConnectFailure(error: unknown): ConnectFailure {
  const code = errorProperty(error, "code");
  const message = String(errorProperty(error, "message") ?? "");
  // PgBouncer before 1.21 (or without ignore_startup_parameters) refuses the statement timeout that
  // plinth sends at connect; it says so with a protocol-violation code, which waiting cannot fix.
  if (/unsupported startup parameter/i.test(message)) {
    return {
      recoverable: false,
      advice:
        'the URL reaches a pooler (PgBouncer): add ?pooler=transaction to it, or connect with { pooler: "transaction" }',
    };
  }
  switch (code) {
    case "28P01":
    case "28000":
      return { recoverable: false, advice: "check the user name and password in the database URL" };
    case "3D000": {
      const name = /database "([^"]+)"/.exec(message)?.[1] ?? "<name>";
      return {
        recoverable: false,
        advice: `create it (createdb ${name}, or CREATE DATABASE ${name}) or fix the name in the URL`,
      };
    }
    case "57P03":
    case "53300":
      return { recoverable: true };
  }
  if (typeof code === "string" && code.startsWith("08")) return { recoverable: true };
  const socket = socketConnectFailure(error);
  if (socket) return socket;
  if (/timeout expired|connection timeout/i.test(message)) {
    return {
      recoverable: true,
      advice:
        "the host accepted the connection but did not answer as PostgreSQL in time; check host and port " +
        "(connect_timeout in the URL, or connectTimeoutMs, sets how long to wait)",
    };
  }
  if (/Connection terminated/i.test(message)) return { recoverable: true };
  return { recoverable: false };
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
