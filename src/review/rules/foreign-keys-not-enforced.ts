import type { Rule } from "../engine/types.js";

/**
 * The connection does not check foreign keys: SQLite's `foreign_keys` pragma is off by default in
 * every connection that does not turn it on, MySQL's `foreign_key_checks` can be switched off per
 * session, and PostgreSQL skips them under `session_replication_role = replica`. plinth's own
 * connections turn them on; a driver opened by hand may not.
 *
 * Bad:  `new Database("app.db")` and writes straight away
 * Good: `PRAGMA foreign_keys = ON` on every connection (plinth's connect() does it)
 */
export const foreignKeysNotEnforced: Rule = {
  id: "foreign-keys-not-enforced",
  group: "integrity",
  severity: "error",
  needs: ["probe"],
  summary: "The connection does not enforce foreign keys.",
  why: "Every foreign key is decoration: orphans are written without an error.",
  recipe: "turn enforcement on for every connection (SQLite: PRAGMA foreign_keys = ON)",
  check: async ({ dialect, db }) =>
    (await dialect!.review.foreignKeysEnforced(db!))
      ? []
      : [{ object: "connection", message: "foreign keys are not enforced on the reviewed connection" }],
};
