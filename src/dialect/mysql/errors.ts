import type { ConstraintViolation } from "../../errors.js";
import { socketConnectFailure, socketGone } from "../driver.js";
import type { ConnectFailure, ErrorContext } from "../types.js";
import { errorProperty, violation } from "../violation.js";

/**
 * mysql2 exposes MySQL's numeric errno and message. The messages carry the names we need:
 * "Duplicate entry 'x' for key 'uq_account_username'" (MySQL 8 prefixes the table),
 * "... a foreign key constraint fails (`db`.`realm`, CONSTRAINT `fk_...` FOREIGN KEY (`account_id`) ...",
 * "Column 'username' cannot be null", "Check constraint 'ck_x' is violated." (MySQL) and
 * "CONSTRAINT `ck_x` failed for `db`.`t`" (MariaDB).
 */
export function translateMysqlError(error: unknown, context: ErrorContext): ConstraintViolation | undefined {
  const errno = errorProperty(error, "errno");
  const message = String(errorProperty(error, "sqlMessage") ?? errorProperty(error, "message") ?? "");
  switch (errno) {
    case 1062: {
      const key = /for key '(?:[^.']+\.)?([^']+)'/.exec(message)?.[1];
      // MySQL calls every primary key PRIMARY; the statement's table tells which one.
      const constraint = key === "PRIMARY" ? context.catalog.primaryKeyOf(context.table) : key;
      return violation("unique", { constraint, detail: message }, context, error);
    }
    case 1451:
    case 1452:
    case 1216:
    case 1217: {
      const m = /\(`[^`]*`\.`([^`]*)`, CONSTRAINT `([^`]*)` FOREIGN KEY \(([^)]*)\)/.exec(message);
      const columns = m?.[3]?.split(",").map((c) => c.trim().replace(/`/g, ""));
      return violation(
        "foreign key",
        { table: m?.[1], constraint: m?.[2], columns, detail: message },
        context,
        error,
      );
    }
    case 1048:
    case 1364: {
      const column = /(?:Column|Field) '([^']+)'/.exec(message)?.[1];
      return violation("not null", { columns: column ? [column] : [], detail: message }, context, error);
    }
    case 3819:
    case 4025: {
      const m = /[Cc]onstraint [`']([^`']+)[`']/.exec(message) ?? /CONSTRAINT `([^`]+)`/.exec(message);
      const table = /failed for `[^`]*`\.`([^`]*)`/.exec(message)?.[1];
      return violation("check", { constraint: m?.[1], table, detail: message }, context, error);
    }
    default:
      return undefined;
  }
}

/** mysql2's PROTOCOL_CONNECTION_LOST, the server's "gone away" (2006) and "lost connection" (2013), dead sockets. */
export function mysqlConnectionLost(error: unknown): boolean {
  const code = errorProperty(error, "code");
  const errno = Number(errorProperty(error, "errno"));
  return code === "PROTOCOL_CONNECTION_LOST" || errno === 2006 || errno === 2013 || socketGone(error);
}

/**
 * Connect-time failures: too many connections (1040), a server shutting down (1053), a lost
 * connection and refused or dropped sockets recover by waiting; refused credentials (1044, 1045,
 * 1698) and an unknown database (1049) do not.
 */
export function mysqlConnectFailure(error: unknown): ConnectFailure {
  const errno = Number(errorProperty(error, "errno"));
  const message = String(errorProperty(error, "sqlMessage") ?? errorProperty(error, "message") ?? "");
  switch (errno) {
    case 1044:
    case 1045:
    case 1698:
      return {
        recoverable: false,
        advice: "check the user name and password in the database URL, and the user's grants",
      };
    case 1049: {
      const name = /Unknown database '([^']+)'/.exec(message)?.[1] ?? "<name>";
      return { recoverable: false, advice: `create it (CREATE DATABASE ${name}) or fix the name in the URL` };
    }
    case 1040:
    case 1053:
    case 2006:
    case 2013:
      return { recoverable: true };
  }
  if (errorProperty(error, "code") === "PROTOCOL_CONNECTION_LOST") return { recoverable: true };
  return socketConnectFailure(error) ?? { recoverable: false };
}
