import type { PlinthError } from "../../errors.js";
import type { ErrorContext } from "../types.js";
import { errorProperty, violation } from "../violation.js";

/**
 * better-sqlite3 reports extended result codes and messages such as
 * "UNIQUE constraint failed: realm.account_id, realm.realm_value" or "CHECK constraint failed: ck_x".
 * Foreign-key failures name nothing; the statement's table fills the gap. RESTRICT actions fail with
 * SQLITE_CONSTRAINT_TRIGGER rather than SQLITE_CONSTRAINT_FOREIGNKEY.
 */
export function translateSqliteError(error: unknown, context: ErrorContext): PlinthError | undefined {
  const code = errorProperty(error, "code");
  const message = String(errorProperty(error, "message") ?? "");
  const after = message.replace(/^[A-Z ]+ constraint failed: /, "");
  switch (code) {
    case "SQLITE_CONSTRAINT_UNIQUE":
    case "SQLITE_CONSTRAINT_PRIMARYKEY": {
      const index = /^index '(.+)'$/.exec(after);
      if (index) return violation("unique", { constraint: index[1], detail: message }, context, error);
      return violation("unique", { ...qualifiedColumns(after), detail: message }, context, error);
    }
    case "SQLITE_CONSTRAINT_NOTNULL":
      return violation("not null", { ...qualifiedColumns(after), detail: message }, context, error);
    case "SQLITE_CONSTRAINT_CHECK":
      return violation("check", { constraint: after, detail: message }, context, error);
    case "SQLITE_CONSTRAINT_FOREIGNKEY":
      return violation("foreign key", { detail: message }, context, error);
    case "SQLITE_CONSTRAINT_TRIGGER":
      // ON DELETE / ON UPDATE RESTRICT fails from SQLite's internal trigger, with the usual FK message.
      return message.startsWith("FOREIGN KEY constraint failed")
        ? violation("foreign key", { detail: message }, context, error)
        : undefined;
    default:
      return undefined;
  }
}

/** "t.a, t.b" → table t, columns [a, b]. */
function qualifiedColumns(list: string): { table?: string; columns: string[] } {
  const parts = list.split(",").map((p) => p.trim().split("."));
  return { table: parts[0]?.[0], columns: parts.map((p) => p[1] ?? p[0]!).filter(Boolean) };
}
