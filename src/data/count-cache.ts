import type { Kysely } from "kysely";
import { afterCommit, inTransaction } from "./tx-context.js";

type Awaitable<T> = T | Promise<T>;

/**
 * Cached row counts for pagination: `COUNT(*)` over a large table costs a scan, and page totals
 * rarely need to be exact to the row. Repositories invalidate a table's counts on every write they
 * make (and again once the transaction around it commits); writes that bypass repositories (raw
 * Kysely) are only caught by the TTL.
 *
 * Keys start with `${table}:`. A cache may also keep a generation per table, changed by every
 * `invalidate(table)`: plinth then reads it before counting and passes it to `get` and `set`, so a
 * count taken before a write committed is never served after that write's invalidation.
 */
export interface CountCache {
  get(key: string, generation?: number): Awaitable<number | undefined>;
  /** Stores a count. With `generation`, a count taken before the latest invalidation is not served. */
  set(key: string, value: number, ttlMs: number, generation?: number): Awaitable<void>;
  /** Forgets every count of `table`. */
  invalidate(table: string): Awaitable<void>;
  /** The table's generation; optional, but without it a slow count can re-cache a stale total. */
  generation?(table: string): Awaitable<number>;
}

/** The table a count key belongs to: keys are `${table}:${rest}`. */
export function tableOfKey(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(0, colon);
}

/** The default: a per-process map with expiry. */
export class MemoryCountCache implements CountCache {
  private readonly tables = new Map<string, Map<string, { value: number; expires: number }>>();
  private readonly generations = new Map<string, number>();

  generation(table: string): number {
    return this.generations.get(table) ?? 0;
  }

  get(key: string): number | undefined {
    const entries = this.tables.get(tableOfKey(key));
    const entry = entries?.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      entries?.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: number, ttlMs: number, generation?: number): void {
    const table = tableOfKey(key);
    if (generation !== undefined && generation !== this.generation(table)) return;
    const entries = this.tables.get(table) ?? new Map();
    this.tables.set(table, entries);
    entries.set(key, { value, expires: Date.now() + ttlMs });
  }

  invalidate(table: string): void {
    this.generations.set(table, this.generation(table) + 1);
    this.tables.delete(table);
  }
}

/**
 * The count under `key`, from `cache` or from `count()`. The generation is read before counting:
 * a write that commits while the count runs moves it on, and the cache then ignores this count.
 */
export async function readThroughCount(
  cache: CountCache,
  key: string,
  ttlMs: number,
  count: () => Promise<number>,
): Promise<number> {
  const generation = await cache.generation?.(tableOfKey(key));
  const cached = await cache.get(key, generation);
  if (cached !== undefined) return cached;
  const total = await count();
  await cache.set(key, total, ttlMs, generation);
  return total;
}

/**
 * Invalidates `table`'s counts after a write on `root`: at once, and, inside a transaction, again
 * when the outermost transaction commits. Until then other connections still see the old rows and
 * may cache the old count; the second invalidation drops it. A rollback leaves nothing to undo.
 */
export function invalidateCounts(root: Kysely<any>, cache: CountCache, table: string): Awaitable<void> {
  const done = cache.invalidate(table);
  // Synchronous when the cache is (the default): a write on SQLite's driver then settles without a
  // detour through the event loop.
  if (!inTransaction(root)) return done;
  const later = () => afterCommit(root, () => cache.invalidate(table), hookKeyOf(cache, table));
  return done instanceof Promise ? done.then(later) : later();
}

// One after-commit invalidation per cache and table, however many writes the transaction makes.
const hookKeys = new WeakMap<CountCache, Map<string, object>>();
function hookKeyOf(cache: CountCache, table: string): object {
  const keys = hookKeys.get(cache) ?? new Map<string, object>();
  hookKeys.set(cache, keys);
  const key = keys.get(table) ?? {};
  keys.set(table, key);
  return key;
}
