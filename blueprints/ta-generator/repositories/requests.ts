/**
 * Requests and their status flow. Every status change goes through `moveStatus`, which refuses a
 * move the flow does not allow (StatusTransitionError, naming the status met, the one asked for and
 * the allowed ones). Approval and rejection are human decisions, so each writes an audit entry in
 * the same transaction as the change.
 */
import type { Kysely } from "kysely";
import type { Db, Row } from "plinth";
import { Repository } from "plinth";
import type { RequestStatus, TaGenerator } from "../schema.js";
import { RequestStatus as RequestStatusEnum } from "../schema.js";
import type { AuditSource } from "./audit-log.js";
import { AuditLogRepository } from "./audit-log.js";
import { moveStatus, REQUEST_FLOW } from "./status-flow.js";

export type RequestRow = Row<TaGenerator["tables"]["requests"]>;

export class RequestRepository extends Repository<TaGenerator, "requests"> {
  private readonly audit: AuditLogRepository;

  constructor(db: Db<TaGenerator>) {
    super(db, "requests");
    this.audit = new AuditLogRepository(db);
  }

  /** Requests waiting for an approver, oldest first. */
  getPendingApproval(options: { skip?: number; limit?: number } = {}): Promise<RequestRow[]> {
    return this.findMany({
      where: { status: "PENDING_APPROVAL" },
      orderBy: [
        ["createdAt", "asc"],
        ["id", "asc"],
      ],
      limit: options.limit ?? 100,
      offset: options.skip ?? 0,
    });
  }

  /** A requestor's requests, newest first. */
  getByUser(userId: string, options: { skip?: number; limit?: number } = {}): Promise<RequestRow[]> {
    return this.findMany({
      where: { createdBy: userId },
      orderBy: [
        ["createdAt", "desc"],
        ["id", "desc"],
      ],
      limit: options.limit ?? 100,
      offset: options.skip ?? 0,
    });
  }

  /** How many requests are in each status; every status is present, with 0 when none are. */
  async getStatistics(): Promise<Record<RequestStatus, number>> {
    const rows = await (this.q as Kysely<any>)
      .selectFrom("requests")
      .select(["status", (eb) => eb.fn.countAll().as("count")])
      .groupBy("status")
      .execute();
    const stats = Object.fromEntries(RequestStatusEnum.values.map((s) => [s, 0])) as Record<
      RequestStatus,
      number
    >;
    for (const row of rows) stats[row.status as RequestStatus] = Number(row.count);
    return stats;
  }

  /**
   * Moves a request to `to` if the flow allows it from its current status, writing `patch` with it.
   * The timestamps of the flow are set here: approved_at on APPROVED, completed_at on COMPLETED.
   */
  async transition(
    id: string,
    to: RequestStatus,
    patch: Partial<Pick<RequestRow, "approvedBy" | "rejectionReason" | "metadata">> = {},
  ): Promise<RequestRow> {
    return (await this.move(id, to, patch)).row;
  }

  private async move(
    id: string,
    to: RequestStatus,
    patch: Partial<Pick<RequestRow, "approvedBy" | "rejectionReason" | "metadata">>,
  ): Promise<{ from: string; row: RequestRow }> {
    const now = new Date();
    const stamps = {
      ...(to === "APPROVED" ? { approvedAt: now } : {}),
      ...(to === "COMPLETED" ? { completedAt: now } : {}),
    };
    const from = await moveStatus(this.db, this.q, "requests", REQUEST_FLOW, id, to, () => ({
      ...patch,
      ...stamps,
    }));
    return { from, row: await this.getByIdOrThrow(id) };
  }

  /** NEW → PENDING_APPROVAL. */
  submitForApproval(id: string): Promise<RequestRow> {
    return this.transition(id, "PENDING_APPROVAL");
  }

  /** PENDING_APPROVAL → APPROVED, recording the approver, the time, and an APPROVE audit entry. */
  approveRequest(id: string, approverId: string, source: AuditSource = {}): Promise<RequestRow> {
    return this.decide(id, "APPROVED", { approvedBy: approverId }, { ...source, userId: approverId });
  }

  /** PENDING_APPROVAL → REJECTED with the reason (required), and a REJECT audit entry. */
  rejectRequest(
    id: string,
    approverId: string,
    reason: string,
    source: AuditSource = {},
  ): Promise<RequestRow> {
    return this.decide(
      id,
      "REJECTED",
      { approvedBy: approverId, rejectionReason: reason },
      { ...source, userId: approverId },
    );
  }

  private decide(
    id: string,
    to: "APPROVED" | "REJECTED",
    patch: Partial<Pick<RequestRow, "approvedBy" | "rejectionReason">>,
    source: AuditSource,
  ): Promise<RequestRow> {
    return this.db.transaction(async () => {
      const { from, row: after } = await this.move(id, to, patch);
      await this.audit.createLog({
        ...source,
        action: to === "APPROVED" ? "APPROVE" : "REJECT",
        entityType: "request",
        entityId: id,
        details: {
          previous_status: from,
          new_status: after.status,
          ...(patch.rejectionReason ? { reason: patch.rejectionReason } : {}),
        },
      });
      return after;
    });
  }
}
