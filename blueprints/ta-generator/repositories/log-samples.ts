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

  /**
   * The purge job: removes for good (hard delete) the samples that were soft-deleted and whose
   * retention ended before `now`, at most `limit` per call, and returns their storage keys so the
   * caller removes the objects too. A sample that is not deleted, or has no retention date, is kept.
   * Run it periodically until it returns fewer than `limit` keys.
   */
  async purgeExpired(
    now: Date = new Date(),
    limit = 1000,
  ): Promise<{ id: string; storageBucket: string; storageKey: string }[]> {
    return this.db.transaction(async () => {
      const expired = await this.findMany({
        where: (eb) => eb.and([eb("deletedAt", "is not", null), eb("retentionUntil", "<", now)]),
        onlyDeleted: true,
        orderBy: [["retentionUntil", "asc"]],
        limit,
      });
      if (expired.length === 0) return [];
      await this.q
        .deleteFrom("log_samples")
        .where(
          "id",
          "in",
          expired.map((s) => s.id),
        )
        .execute();
      await this.db.counts.invalidate("log_samples");
      return expired.map(({ id, storageBucket, storageKey }) => ({ id, storageBucket, storageKey }));
    });
  }

  /** Soft-deletes the sample (sets deleted_at); false when it was already deleted or is missing. */
  markAsDeleted(id: string): Promise<boolean> {
    return this.delete(id);
  }
}
