import type { Kysely } from "kysely";
import type { RowChange, WriteHooks } from "../data/hooks.js";
import { PlinthError } from "../errors.js";
import type { Schema, TableModel } from "../schema/index.js";
import { currentAuditContext } from "./context.js";
import { auditChanges, DEFAULT_REDACT_KEYS, keyMatcher } from "./redact.js";
import { AUDIT_TABLE } from "./table.js";

export interface AuditTrailOptions {
  /** The application schema; it must include auditLog(). */
  schema: Schema;
  /** Keys redacted inside JSON values (case-insensitive substrings). Replaces the default list. */
  redactKeys?: readonly string[];
}

/**
 * Writes one audit row per change to a table declared `audit: true`. Repositories call afterWrite
 * inside the write's transaction, so the audit row commits or rolls back with the change.
 */
export class AuditTrail implements WriteHooks {
  private readonly audited = new Map<string, TableModel>();
  private readonly redactKey: (key: string) => boolean;

  constructor(options: AuditTrailOptions) {
    // Checked up front: without the table in the schema the codec would not serialise the JSON
    // columns, and the first audited write would fail far from the cause.
    if (!options.schema.table(AUDIT_TABLE)) {
      throw new PlinthError(
        `AuditTrail: the schema has no ${AUDIT_TABLE} table; add it with schema({ ...tables, auditLog: auditLog() })`,
      );
    }
    for (const t of options.schema.model.tables) if (t.meta.audit) this.audited.set(t.name, t);
    this.redactKey = keyMatcher(options.redactKeys ?? DEFAULT_REDACT_KEYS);
  }

  /** Whether writes to `table` (database name) are audited. */
  audits(table: string): boolean {
    return this.audited.has(table);
  }

  async afterWrite(trx: Kysely<any>, change: RowChange): Promise<void> {
    const table = this.audited.get(change.table);
    if (!table) return;
    const context = currentAuditContext();
    const actor = context?.actor;
    await trx
      .insertInto(AUDIT_TABLE)
      .values({
        tableName: change.table,
        rowId: change.rowId,
        action: change.action,
        changes: auditChanges(table, change, this.redactKey),
        actorId: actor ? String(actor.id) : null,
        actorName: actor?.name ?? null,
        actorRoles: actor?.roles ? [...actor.roles] : null,
        requestId: context?.requestId ?? null,
        ip: context?.ip ?? null,
        userAgent: context?.userAgent ?? null,
      })
      .execute();
  }
}
