// Written by hand (`plinth migrate make --empty`): triggers are not part of the schema declaration.
import { sql } from "kysely";
import { appendOnlyStatements, dropAppendOnlyStatements } from "plinth";
import { migration, op } from "plinth/migrate";
import type { TableModel } from "plinth/schema";

/**
 * What appendOnlyStatements reads of the table, as it is at this migration: its name, its columns,
 * the keys an insert could collide on, and the ON DELETE SET NULL reference to users, whose own
 * update (emptying user_id when a user is deleted) the triggers let through.
 */
const auditLogs = {
  name: "audit_logs",
  columns: [
    "id",
    "user_id",
    "action",
    "entity_type",
    "entity_id",
    "old_values",
    "new_values",
    "ip_address",
    "created_at",
  ].map((name) => ({ name })),
  primaryKey: { name: "pk_audit_logs", columns: ["id"] },
  uniques: [],
  indexes: [],
  foreignKeys: [{ columns: ["user_id"], refTable: "users", refColumns: ["id"], onDelete: "set null" }],
} as unknown as TableModel;

export default migration({
  id: "0006_audit_logs_append_only",
  description: "audit_logs refuses UPDATE and DELETE in the database (append-only triggers)",
  parents: ["0005_api_key_rate_window"],
  operations: [
    op.data(
      "make audit_logs append-only",
      async ({ db, dialect }) => {
        for (const statement of appendOnlyStatements(dialect, auditLogs))
          await sql.raw(statement).execute(db);
      },
      async ({ db, dialect }) => {
        for (const statement of dropAppendOnlyStatements(dialect, "audit_logs"))
          await sql.raw(statement).execute(db);
      },
    ),
  ],
});
