/**
 * The two status flows of ta-generator and the move from one status to the next. A move is a
 * compare-and-set (`UPDATE … WHERE id = ? AND status = <the status it was checked against>`), so of
 * two concurrent moves from the same status only one wins; the other re-reads the status and is
 * judged again against the flow, so it is refused with the status it actually met.
 */
import type { Kysely } from "kysely";
import type { Db } from "plinth";
import { NotFoundError, PlinthError } from "plinth";
import type { RequestStatus, TaGenerator, ValidationStatus } from "../schema.js";

/**
 * NEW → PENDING_APPROVAL → APPROVED | REJECTED; APPROVED → GENERATING_TA → VALIDATING → COMPLETED,
 * with FAILED reachable from generation and validation. A FAILED request may be generated again, or
 * validated again once a MANUAL revision has been uploaded. REJECTED and COMPLETED are final.
 */
export const REQUEST_FLOW: Readonly<Record<RequestStatus, readonly RequestStatus[]>> = {
  NEW: ["PENDING_APPROVAL"],
  PENDING_APPROVAL: ["APPROVED", "REJECTED"],
  APPROVED: ["GENERATING_TA"],
  REJECTED: [],
  GENERATING_TA: ["VALIDATING", "FAILED"],
  VALIDATING: ["COMPLETED", "FAILED"],
  COMPLETED: [],
  FAILED: ["GENERATING_TA", "VALIDATING"],
};

/** QUEUED → RUNNING → PASSED | FAILED; a finished run is final (a new attempt is a new run). */
export const VALIDATION_FLOW: Readonly<Record<ValidationStatus, readonly ValidationStatus[]>> = {
  QUEUED: ["RUNNING"],
  RUNNING: ["PASSED", "FAILED"],
  PASSED: [],
  FAILED: [],
};

/** A status change the flow does not allow; names the status met, the one asked for and the allowed ones. */
export class StatusTransitionError extends PlinthError {
  static override readonly code: string = "PLINTH_STATUS_TRANSITION_REFUSED";
  override name = "StatusTransitionError";
  constructor(
    readonly table: string,
    readonly id: string,
    readonly from: string,
    readonly to: string,
    readonly allowed: readonly string[],
  ) {
    const next = allowed.length > 0 ? `allowed from ${from}: ${allowed.join(", ")}` : `${from} is final`;
    super(`${table} ${id}: cannot move from ${from} to ${to}; ${next}`);
  }
}

type StatusTable = "requests" | "validation_runs";
type Flow = Readonly<Record<string, readonly string[]>>;

/**
 * Moves a row of `table` to status `to` if the flow allows it from the status the row has, and
 * writes `patch(current)` with it. Returns the row's status before the move. Throws NotFoundError
 * when there is no such row, StatusTransitionError when the flow forbids the move.
 */
export async function moveStatus<R extends { status: string }>(
  db: Db<TaGenerator>,
  q: Kysely<any>,
  table: StatusTable,
  flow: Flow,
  id: string,
  to: string,
  patch: (current: R) => Record<string, unknown> = () => ({}),
): Promise<string> {
  for (;;) {
    const current = await readForUpdate<R>(db, q, table, id);
    if (!current) throw new NotFoundError(table, id);
    const allowed = flow[current.status] ?? [];
    if (!allowed.includes(to)) throw new StatusTransitionError(table, id, current.status, to, allowed);
    const result = await q
      .updateTable(table)
      .set({ ...patch(current), status: to })
      .where("id", "=", id)
      .where("status", "=", current.status)
      .executeTakeFirst();
    await db.counts.invalidate(table);
    if (Number(result.numUpdatedRows) > 0) return current.status;
    // Another writer moved the row between the read and the update: judge the move again.
  }
}

/**
 * The row, read with FOR UPDATE on PostgreSQL and MySQL: inside a transaction that holds the row
 * until the move is written, and on MySQL it reads the latest committed status rather than the
 * transaction's snapshot (which would make the retry above see the same stale status forever).
 * SQLite has one writer at a time, so the compare-and-set alone decides.
 */
async function readForUpdate<R>(
  db: Db<TaGenerator>,
  q: Kysely<any>,
  table: StatusTable,
  id: string,
): Promise<R | undefined> {
  const select = q.selectFrom(table).selectAll().where("id", "=", id);
  return (await (db.adapter.capabilities.rowLocks ? select.forUpdate() : select).executeTakeFirst()) as
    | R
    | undefined;
}
