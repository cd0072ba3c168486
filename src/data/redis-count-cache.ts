import type { CountCache } from "./count-cache.js";
import { tableOfKey } from "./count-cache.js";

/**
 * The commands the Redis count cache sends, as ioredis spells them. Any client with these three
 * methods works; plinth does not depend on a Redis library.
 */
export interface RedisCountClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "PX", ttlMs: number): Promise<unknown>;
  incr(key: string): Promise<number>;
}

export interface RedisCountCacheOptions {
  /** Put before every key, so several services can share one Redis (default `"plinth:count:"`). */
  prefix?: string;
}

/**
 * Pagination counts in Redis, shared by every process of a service: a write through any of them
 * invalidates the counts all of them serve.
 *
 * Each table has a generation counter (`<prefix><table>:gen`), and every count key contains the
 * generation it was taken at (`<prefix><table>:<generation>:<where>`). Invalidating is one INCR,
 * whatever the number of cached counts: the old keys are never read again and expire by their TTL.
 * Run Redis with `noeviction` or a `volatile-*` eviction policy so the counters (which have no TTL)
 * are not evicted.
 */
export class RedisCountCache implements CountCache {
  readonly prefix: string;

  constructor(
    private readonly client: RedisCountClient,
    options: RedisCountCacheOptions = {},
  ) {
    this.prefix = options.prefix ?? "plinth:count:";
  }

  async generation(table: string): Promise<number> {
    return Number((await this.client.get(this.generationKey(table))) ?? 0);
  }

  async get(key: string, generation?: number): Promise<number | undefined> {
    const value = await this.client.get(await this.countKey(key, generation));
    return value === null ? undefined : Number(value);
  }

  async set(key: string, value: number, ttlMs: number, generation?: number): Promise<void> {
    // Redis refuses PX 0 and fractions; a count always lives at least a millisecond.
    const px = Math.max(1, Math.ceil(ttlMs));
    await this.client.set(await this.countKey(key, generation), String(value), "PX", px);
  }

  async invalidate(table: string): Promise<void> {
    await this.client.incr(this.generationKey(table));
  }

  private generationKey(table: string): string {
    return `${this.prefix}${table}:gen`;
  }

  /** A count taken at an older generation is stored under that generation's key: nobody reads it. */
  private async countKey(key: string, generation?: number): Promise<string> {
    const table = tableOfKey(key);
    const at = generation ?? (await this.generation(table));
    return `${this.prefix}${table}:${at}:${key.slice(table.length + 1)}`;
  }
}
