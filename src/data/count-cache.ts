/**
 * Cached row counts for pagination: `COUNT(*)` over a large table costs a scan, and page totals
 * rarely need to be exact to the row. Repositories invalidate a table's counts on every write they
 * make; writes that bypass repositories (raw Kysely) are only caught by the TTL.
 */
export interface CountCache {
  get(key: string): number | undefined | Promise<number | undefined>;
  set(key: string, value: number, ttlMs: number): void | Promise<void>;
  /** Forgets every count of `table`. Keys start with `${table}:`. */
  invalidate(table: string): void | Promise<void>;
}

/** The default: a per-process map with expiry. */
export class MemoryCountCache implements CountCache {
  private readonly entries = new Map<string, { value: number; expires: number }>();

  get(key: string): number | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: number, ttlMs: number): void {
    this.entries.set(key, { value, expires: Date.now() + ttlMs });
  }

  invalidate(table: string): void {
    const prefix = `${table}:`;
    for (const key of this.entries.keys()) if (key.startsWith(prefix)) this.entries.delete(key);
  }
}
