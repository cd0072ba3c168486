/**
 * The service's repositories: authors (plain CRUD plus the two reads the service uses) and the
 * user-action log, which is insert-only and answers the three questions operators ask of it.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database, Db, NewRowOf, RowOf } from "plinth";
import { DEFAULT_REDACT_KEYS, ImmutableRowError, REDACTED, Repository } from "plinth";
import type { Outcome, serviceAudit } from "../schema.js";

type Schema = typeof serviceAudit;
type DB = Database<Schema>;
type Base = Repository<Schema, "user_actions">;

export class AuthorRepository extends Repository<Schema, "author"> {
  constructor(db: Db<Schema>) {
    super(db, "author");
  }

  /** Every author, in the order they were added. */
  getAll(): Promise<RowOf<Schema, "author">[]> {
    return this.findMany({ orderBy: [["id", "asc"]] });
  }

  /** Authors with exactly this name (names are not unique). */
  findByName(name: string): Promise<RowOf<Schema, "author">[]> {
    return this.findMany({ where: { name }, orderBy: [["id", "asc"]] });
  }
}

/** A failed action, as the "failed actions of a user" query returns it. */
export interface FailedAction {
  timestamp: Date;
  actionType: string;
  resource: string;
  errorMessage: string | null;
}

/** One action type's slow requests. */
export interface SlowOperation {
  actionType: string;
  avgDurationMs: number;
  maxDurationMs: number;
  count: number;
}

/** One hour of a user's activity. */
export interface ActivityHour {
  /** The start of the hour (UTC). */
  hour: Date;
  events: number;
  errors: number;
}

/** A window ending at `now` (default: the current time), `hours` long (default 24). */
export interface Window {
  hours?: number;
  now?: Date;
}

/** The outcomes that count as a failure. */
export const FAILED_OUTCOMES: readonly Outcome[] = ["error", "permission_denied"];

const HOUR_MS = 3_600_000;

/**
 * The user-action log. Rows are evidence, so the repository only ever adds them: update, delete and
 * upsert throw ImmutableRowError (and the seed makes the database refuse them too).
 */
export class UserActionRepository extends Repository<Schema, "user_actions"> {
  constructor(db: Db<Schema>) {
    super(db, "user_actions");
  }

  private get k(): Kysely<DB> {
    return this.q as Kysely<DB>;
  }

  /**
   * Records an action with its request payload sanitised: values under keys that look sensitive
   * (password, token, secret, authorization, cookie, …; `redactKeys` replaces the list) become
   * "[redacted]" at any depth, so the log never holds a credential.
   */
  record(
    action: NewRowOf<Schema, "user_actions">,
    options: { redactKeys?: readonly string[] } = {},
  ): Promise<RowOf<Schema, "user_actions">> {
    const sensitive = (options.redactKeys ?? DEFAULT_REDACT_KEYS).map((k) => k.toLowerCase());
    const redact = (key: string) => sensitive.some((s) => key.toLowerCase().includes(s));
    const requestData = action.requestData === undefined ? undefined : sanitize(action.requestData, redact);
    return this.create({ ...action, requestData: requestData as typeof action.requestData });
  }

  /** The user's failed actions (error or permission_denied) in the last `hours` (24), newest first. */
  async failedActions(username: string, options: Window = {}): Promise<FailedAction[]> {
    return this.failedActionsQuery(username, options).execute();
  }

  /** The statement failedActions runs (for EXPLAIN); served by the username index. */
  failedActionsQuery(username: string, options: Window = {}) {
    const since = before(options.now, (options.hours ?? 24) * HOUR_MS);
    return this.k
      .selectFrom("user_actions")
      .select(["timestamp", "actionType", "resource", "errorMessage"])
      .where("username", "=", username)
      .where("outcome", "in", [...FAILED_OUTCOMES])
      .where("timestamp", ">", since)
      .orderBy("timestamp", "desc")
      .orderBy("id", "desc");
  }

  /**
   * Action types whose requests took longer than `thresholdMs` (1000) in the last `days` (7), with
   * the average and longest duration and how many there were; slowest on average first.
   */
  async slowOperations(
    options: { thresholdMs?: number; days?: number; now?: Date } = {},
  ): Promise<SlowOperation[]> {
    const since = before(options.now, (options.days ?? 7) * 24 * HOUR_MS);
    const rows = await this.k
      .selectFrom("user_actions")
      .select((eb) => [
        "actionType",
        eb.fn.avg<number | string>("durationMs").as("avgDurationMs"),
        eb.fn.max("durationMs").as("maxDurationMs"),
        eb.fn.countAll<number | string>().as("count"),
      ])
      .where("durationMs", ">", options.thresholdMs ?? 1000)
      .where("timestamp", ">", since)
      .groupBy("actionType")
      .orderBy("avgDurationMs", "desc")
      .orderBy("actionType")
      .execute();
    // AVG and COUNT come back as numeric strings on PostgreSQL and MySQL.
    return rows.map((r) => ({
      actionType: r.actionType,
      avgDurationMs: Number(r.avgDurationMs),
      maxDurationMs: Number(r.maxDurationMs),
      count: Number(r.count),
    }));
  }

  /** The user's activity in the last `hours` (24), per hour (UTC): events and errors, oldest first. */
  async activityTimeline(userId: string, options: Window = {}): Promise<ActivityHour[]> {
    const rows = await this.activityTimelineQuery(userId, options).execute();
    return rows.map((r) => ({
      hour: new Date(`${r.hour.replace(" ", "T")}Z`),
      events: Number(r.events),
      errors: Number(r.errors),
    }));
  }

  /** The statement activityTimeline runs (for EXPLAIN); served by idx_user_timestamp. */
  activityTimelineQuery(userId: string, options: Window = {}) {
    const since = before(options.now, (options.hours ?? 24) * HOUR_MS);
    // Each engine's own function, so the grouping stays in SQL; text, the same on every engine.
    const hour = this.db.adapter.timeBucket("timestamp", "hour");
    return this.k
      .selectFrom("user_actions")
      .select((eb) => [
        hour.as("hour"),
        eb.fn.countAll<number | string>().as("events"),
        eb.fn.count<number | string>(sql`CASE WHEN ${sql.ref("outcome")} = 'error' THEN 1 END`).as("errors"),
      ])
      .where("userId", "=", userId)
      .where("timestamp", ">", since)
      .groupBy(hour)
      .orderBy(hour);
  }

  override update(..._args: Parameters<Base["update"]>): Promise<never> {
    return Promise.reject(refusal("UPDATE"));
  }

  override updateMany(..._args: Parameters<Base["updateMany"]>): Promise<never> {
    return Promise.reject(refusal("UPDATE"));
  }

  override delete(..._args: Parameters<Base["delete"]>): Promise<never> {
    return Promise.reject(refusal("DELETE"));
  }

  override hardDelete(..._args: Parameters<Base["hardDelete"]>): Promise<never> {
    return Promise.reject(refusal("DELETE"));
  }

  override upsert(..._args: Parameters<Base["upsert"]>): Promise<never> {
    return Promise.reject(refusal("UPDATE"));
  }
}

/** All repositories of the blueprint, over one connection. */
export function repositories(db: Db<Schema>) {
  return { authors: new AuthorRepository(db), userActions: new UserActionRepository(db) };
}

function sanitize(value: unknown, redact: (key: string) => boolean): unknown {
  if (Array.isArray(value)) return value.map((v) => sanitize(v, redact));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [k, redact(k) ? REDACTED : sanitize(v, redact)]),
  );
}

function before(now: Date | undefined, ms: number): Date {
  return new Date((now ?? new Date()).getTime() - ms);
}

function refusal(operation: "UPDATE" | "DELETE"): ImmutableRowError {
  return new ImmutableRowError("user_actions", operation);
}
