import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CountCache } from "plinth";
import { ConnectionError, connect, MemoryCountCache } from "plinth";
import { describe, expect, it } from "vitest";
import { describeSeedClaims } from "../../../test/helpers/seed-claims.js";
import { AuthorRepository } from "../repositories/index.js";
import { serviceAudit } from "../schema.js";
import { serviceAuditClaims } from "./claims.js";

describeSeedClaims(serviceAuditClaims);

/**
 * Runtime claims of the seed (§Performance Optimizations, §Database Initialization): plinth's
 * defaults are the service's, so an application connecting with no options gets the seed's numbers.
 */
describe("service-audit: the seed's runtime defaults", () => {
  it("caches pagination counts for 5 minutes (§Pagination Count Caching: 5-minute TTL)", async () => {
    const ttls: number[] = [];
    const memory = new MemoryCountCache();
    const recording: CountCache = {
      get: (key) => memory.get(key),
      set: (key, value, ttlMs) => {
        ttls.push(ttlMs);
        memory.set(key, value, ttlMs);
      },
      invalidate: (table) => memory.invalidate(table),
    };
    const dir = mkdtempSync(join(tmpdir(), "service-audit-ttl-"));
    const db = await connect(`sqlite:${join(dir, "a.db")}`, serviceAudit, { countCache: recording });
    try {
      await db.createSchema();
      const authors = new AuthorRepository(db);
      await authors.create({ name: "Ursula" });
      const first = await authors.paginate({ page: 1, perPage: 10 });
      const second = await authors.paginate({ page: 1, perPage: 10 });
      expect([first.meta.total, second.meta.total]).toEqual([1, 1]);
      expect(ttls).toEqual([5 * 60 * 1000]); // counted once, cached for the seed's five minutes
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Nothing listens on port 1: every attempt is refused at once, and the waits are recorded, not slept.
  it.each([
    ["PostgreSQL", "postgres://app@127.0.0.1:1/app"],
    ["MySQL", "mysql://app@127.0.0.1:1/app"],
  ])(
    "waits for %s at start-up: 5 attempts, 5 s apart (§Database Initialization: retry configuration)",
    async (_, url) => {
      const waits: number[] = [];
      const retried: number[] = [];
      const started = Date.now();
      const error = await connect(url, serviceAudit, {
        retry: { sleep: async (ms) => void waits.push(ms), onRetry: (attempt) => retried.push(attempt) },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionError);
      expect((error as Error).message).toMatch(/after 5 attempts/);
      expect(retried).toEqual([1, 2, 3, 4]);
      expect(waits).toEqual([5000, 5000, 5000, 5000]); // DB_MAX_RETRIES = 5, DB_RETRY_DELAY_SECONDS = 5
      expect(Date.now() - started).toBeLessThan(5000); // and none of them was really waited
    },
  );
});
