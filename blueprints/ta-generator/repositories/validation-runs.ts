/**
 * Validation runs in the Splunk sandbox: QUEUED → RUNNING → PASSED | FAILED, each step checked
 * against VALIDATION_FLOW like a request's status.
 */
import type { Db, Row } from "plinth";
import { Repository } from "plinth";
import type { TaGenerator } from "../schema.js";
import { moveStatus, VALIDATION_FLOW } from "./status-flow.js";

export type ValidationRunRow = Row<TaGenerator["tables"]["validationRuns"]>;

export interface ValidationOutcome {
  status: "PASSED" | "FAILED";
  results?: Record<string, unknown> | null;
  debugBundleKey?: string | null;
  debugBundleBucket?: string | null;
  validationLogs?: string | null;
  errorMessage?: string | null;
}

export class ValidationRunRepository extends Repository<TaGenerator, "validation_runs"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "validation_runs");
  }

  /** QUEUED → RUNNING in the container `containerId`; started_at is now. */
  async startValidation(id: string, containerId: string): Promise<ValidationRunRow> {
    await moveStatus(this.db, this.q, "validation_runs", VALIDATION_FLOW, id, "RUNNING", () => ({
      splunkContainerId: containerId,
      startedAt: new Date(),
    }));
    return this.getByIdOrThrow(id);
  }

  /** RUNNING → PASSED or FAILED with the results; completed_at is now, duration from started_at. */
  async completeValidation(id: string, outcome: ValidationOutcome): Promise<ValidationRunRow> {
    const { status, results, ...rest } = outcome;
    await moveStatus<ValidationRunRow>(
      this.db,
      this.q,
      "validation_runs",
      VALIDATION_FLOW,
      id,
      status,
      (current) => {
        const completedAt = new Date();
        const durationSeconds = current.startedAt
          ? Math.max(0, Math.round((completedAt.getTime() - new Date(current.startedAt).getTime()) / 1000))
          : null;
        return {
          ...rest,
          ...(results !== undefined ? { resultsJson: results } : {}),
          completedAt,
          durationSeconds,
        };
      },
    );
    return this.getByIdOrThrow(id);
  }

  /**
   * How many runs are RUNNING now, to hold the MAX_PARALLEL_VALIDATIONS limit: start a queued run
   * only while this is below the limit. The count is a snapshot; two schedulers that check at the
   * same moment can both start one, so a single scheduler should own the decision.
   */
  getRunningCount(): Promise<number> {
    return this.count({ status: "RUNNING" });
  }

  /** The oldest queued runs, the next ones to start. */
  getQueued(limit = 10): Promise<ValidationRunRow[]> {
    return this.findMany({
      where: { status: "QUEUED" },
      orderBy: [
        ["createdAt", "asc"],
        ["id", "asc"],
      ],
      limit,
    });
  }

  /** A request's runs, newest first. */
  getByRequest(requestId: string): Promise<ValidationRunRow[]> {
    return this.findMany({
      where: { requestId },
      orderBy: [
        ["createdAt", "desc"],
        ["id", "desc"],
      ],
    });
  }
}
