/** Log samples: per request, soft-deleted, and purged once their retention date has passed. */
import type { Db, Row } from "plinth";
import { Repository } from "plinth";
import type { TaGenerator } from "../schema.js";

export type LogSampleRow = Row<TaGenerator["tables"]["logSamples"]>;

export class LogSampleRepository extends Repository<TaGenerator, "log_samples"> {
  constructor(db: Db<TaGenerator>) {
    super(db, "log_samples");
  }

  /** A request's samples (not deleted), oldest first. */
  getByRequest(requestId: string): Promise<LogSampleRow[]> {
    return this.findMany({
      where: { requestId },
      orderBy: [
        ["createdAt", "asc"],
        ["id", "asc"],
      ],
    });
  }

  /** Samples whose retention ended before `cutoff`: the ones a clean-up job removes from storage. */
  getSamplesForCleanup(cutoff: Date, limit = 1000): Promise<LogSampleRow[]> {
    return this.findMany({
      where: (eb) => eb("retentionUntil", "<", cutoff),
      orderBy: [["retentionUntil", "asc"]],
      limit,
    });
  }

  /** Soft-deletes the sample (sets deleted_at); false when it was already deleted or is missing. */
  markAsDeleted(id: string): Promise<boolean> {
    return this.delete(id);
  }
}
