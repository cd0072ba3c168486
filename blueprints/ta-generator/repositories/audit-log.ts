/**
 * The audit log's repository: it can append and read, nothing else. The type has no update or
 * delete, and `installAppendOnly(db, "audit_logs")` (run by the seed, so by every `plinth up`) makes
 * the database refuse UPDATE and DELETE on the table from any client.
 */
import type { Db, Row, Where } from "plinth";
import type { AuditAction, TaGenerator } from "../schema.js";

export type AuditLogRow = Row<TaGenerator["tables"]["auditLogs"]>;

/** Who acted and from where; every field may be left out (system actions have no user). */
export interface AuditSource {
  userId?: string | null;
  ipAddress?: string | null;
  userAgent?: string | null;
  correlationId?: string | null;
}

export interface NewAuditEntry extends AuditSource {
  action: AuditAction;
  entityType: string;
  entityId?: string | null;
  details?: Record<string, unknown> | null;
}

export class AuditLogRepository {
  constructor(private readonly db: Db<TaGenerator>) {}

  /** Appends one entry; joins the caller's transaction when there is one. */
  createLog(entry: NewAuditEntry): Promise<AuditLogRow> {
    return this.db.repo("audit_logs").create({
      userId: entry.userId ?? null,
      action: entry.action,
      entityType: entry.entityType,
      entityId: entry.entityId ?? null,
      details: entry.details ?? null,
      ipAddress: entry.ipAddress ?? null,
      userAgent: entry.userAgent ?? null,
      correlationId: entry.correlationId ?? null,
    });
  }

  /** Everything done to one entity, newest first. */
  getByEntity(
    entityType: string,
    entityId: string,
    options: { limit?: number } = {},
  ): Promise<AuditLogRow[]> {
    return this.newestFirst({ entityType, entityId }, options.limit);
  }

  /** Everything one user did, newest first. */
  getByUser(userId: string, options: { limit?: number } = {}): Promise<AuditLogRow[]> {
    return this.newestFirst({ userId }, options.limit);
  }

  /** The entries of one traced request, oldest first (the order they happened in). */
  getByCorrelationId(correlationId: string): Promise<AuditLogRow[]> {
    return this.db.repo("audit_logs").findMany({
      where: { correlationId },
      orderBy: [["timestamp", "asc"]],
    });
  }

  /** The last `hours` hours of activity, newest first, at most `limit` entries. */
  getRecentActivity(options: { hours?: number; limit?: number } = {}): Promise<AuditLogRow[]> {
    const since = new Date(Date.now() - (options.hours ?? 24) * 3_600_000);
    return this.newestFirst((eb) => eb("timestamp", ">=", since), options.limit ?? 50);
  }

  private newestFirst(where: Where<TaGenerator, "audit_logs">, limit?: number): Promise<AuditLogRow[]> {
    return this.db.repo("audit_logs").findMany({
      where,
      orderBy: [
        ["timestamp", "desc"],
        ["id", "desc"],
      ],
      ...(limit !== undefined ? { limit } : {}),
    });
  }
}
