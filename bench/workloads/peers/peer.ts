import pg from "pg";
import type { NewJob, NewLog } from "../model.js";

type Awaitable<T> = T | Promise<T>;

/** The database a peer is opened on. */
export interface BenchEngine {
  kind: "sqlite" | "postgres";
  title: string;
  /** plinth's URL of the database (sqlite:<file> or postgres://…). */
  url: string;
  /** SQLite: the database file. */
  file?: string;
}

/**
 * One way of doing the workloads: the raw driver, a query builder, an ORM. Each method does one
 * operation and returns the rows as that peer returns them. A new peer implements this and is added
 * to PEERS in bench/workloads.ts; a new workload adds a method here and an entry in WORKLOADS.
 */
export interface Peer {
  readonly name: string;
  /** The job with this id. */
  pointRead(id: number): Awaitable<unknown>;
  /** A user's jobs of one status, newest first, LIMIT 50. */
  list(userId: number, status: string): Awaitable<unknown[]>;
  /** Inserts one job and returns it as stored. */
  insert(row: NewJob): Awaitable<unknown>;
  /** Inserts every row in one transaction and returns them as stored. */
  bulkInsert(rows: NewLog[]): Awaitable<unknown[]>;
  /** Sets a job's exit code if it is still at `version`; returns the row, with its new version. */
  update(id: number, version: number, exitCode: number): Awaitable<{ version: number }>;
  /** 1,000 jobs from `offset` (by id), each with its log lines. */
  eagerLoad(offset: number): Awaitable<unknown[]>;
  /** Page `page` (50 a page, by id) of the jobs with this status, and their total, counted. */
  page(status: string, page: number): Awaitable<{ items: unknown[]; total: number }>;
  /**
   * The same with the total from the peer's own count cache; absent when the peer has none (the
   * bench then measures `page` again and says so).
   */
  pageCached?(status: string, page: number): Awaitable<{ items: unknown[]; total: number }>;
  /**
   * Authenticates an API token (bench/workloads/tokens.ts): the row when the token is valid,
   * undefined otherwise.
   */
  verifyToken(token: string): Awaitable<unknown>;
  close(): Promise<void>;
}

/** Attaches each parent's children under `key`, by the children's `parentKey`. */
export function attach<P extends Record<string, unknown>, C extends Record<string, unknown>>(
  parents: P[],
  children: C[],
  parentKey: string,
  key: string,
): P[] {
  const byParent = new Map<unknown, C[]>();
  for (const child of children) {
    const list = byParent.get(child[parentKey]);
    if (list) list.push(child);
    else byParent.set(child[parentKey], [child]);
  }
  for (const parent of parents) (parent as Record<string, unknown>)[key] = byParent.get(parent.id) ?? [];
  return parents;
}

/**
 * A pg pool for a peer. The bench drops its database WITH (FORCE) at the end, which ends any
 * connection still open; without a listener that "error" event would end the process.
 */
export function benchPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on("error", () => {});
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}
