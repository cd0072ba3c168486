/**
 * Validation runs in the Splunk sandbox: QUEUED → RUNNING → PASSED | FAILED, each step checked
 * against VALIDATION_FLOW like a request's status.
 */
import type { Db, Row } from "plinth";
import { PlinthError, Repository } from "plinth";
import type { TaGenerator } from "../schema.js";
import { moveStatus, VALIDATION_FLOW } from "./status-flow.js";

/** The system_config key holding the limit, and the row every scheduler locks before it starts a run. */
export const PARALLEL_LIMIT_KEY = "MAX_PARALLEL_VALIDATIONS";

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
   * How many runs are RUNNING now. A snapshot: to start a run under the MAX_PARALLEL_VALIDATIONS
   * limit, use startNextQueued, which counts and starts under a lock.
   */
  getRunningCount(): Promise<number> {
    return this.count({ status: "RUNNING" });
  }

  /**
   * Starts the oldest QUEUED run in `containerId` if fewer than the limit (system_config
   * MAX_PARALLEL_VALIDATIONS, or `limit`) are RUNNING, and returns it; undefined when the limit is
   * reached, nothing is queued, or (SQLite) another scheduler is writing at this moment: try again on
   * the next tick.
   *
   * Any number of schedulers may call it at once and the limit still holds: each call runs in one
   * transaction that first writes the limit's system_config row, which takes that row's lock on
   * PostgreSQL and MySQL (held until commit, so a second scheduler waits, then counts what the first
   * committed) and the database's single write lock on SQLite. Counting and starting are never
   * interleaved between schedulers.
   */
  async startNextQueued(containerId: string, limit?: number): Promise<ValidationRunRow | undefined> {
    try {
      return await this.db.transaction(async () => {
        const k = this.q;
        // The write takes the row's lock even where it changes nothing (MySQL then reports 0 rows);
        // a missing row is found by the read below, on every engine.
        await k
          .updateTable("system_config")
          .set((eb) => ({ value: eb.ref("value") }))
          .where("key", "=", PARALLEL_LIMIT_KEY)
          .execute();
        const row = await k
          .selectFrom("system_config")
          .select("value")
          .where("key", "=", PARALLEL_LIMIT_KEY)
          .executeTakeFirst();
        if (!row)
          throw new PlinthError(`system_config has no ${PARALLEL_LIMIT_KEY} row to lock: run the seed first`);
        const max = limit ?? Number(row.value);
        if ((await this.getRunningCount()) >= max) return undefined;
        const [next] = await this.getQueued(1);
        return next ? await this.startValidation(next.id, containerId) : undefined;
      });
    } catch (error) {
      // SQLite: another connection holds the write lock past the busy timeout; nothing was started.
      if ((error as { code?: string }).code === "SQLITE_BUSY") return undefined;
      throw error;
    }
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
