import type { Kysely, SelectQueryBuilder } from "kysely";
import type { Db } from "../data/connect.js";
import type { AuditAction } from "./table.js";
import { AUDIT_TABLE } from "./table.js";

/** One audit row as read back (JSON parsed, timestamps as Date by the codec). */
export interface AuditEntry {
  id: number;
  tableName: string;
  rowId: string;
  action: AuditAction;
  changes: Record<string, unknown>;
  actorId: string | null;
  actorName: string | null;
  actorRoles: string[] | null;
  requestId: string | null;
  ip: string | null;
  userAgent: string | null;
  createdAt: Date;
}

/** A time window: `from` inclusive, `to` exclusive, so consecutive windows never overlap. */
export interface TimeRange {
  from?: Date;
  to?: Date;
}

export interface HistoryOptions {
  /** At most this many entries (newest first); all of them when absent. */
  limit?: number;
}

type Query = SelectQueryBuilder<any, any, AuditEntry>;

/**
 * The three history queries as query builders, so tests (and callers) can EXPLAIN them. Each
 * filter is a prefix of one of auditLog()'s indexes, and ordering by created_at follows that index.
 * `id` breaks ties: PostgreSQL stamps every row of a transaction with the same now().
 */
export function historyQueries(k: Kysely<any>) {
  const base = () => k.selectFrom(AUDIT_TABLE).selectAll() as unknown as Query;
  const newestFirst = (q: Query) => q.orderBy("createdAt", "desc").orderBy("id", "desc");
  const inRange = (q: Query, range: TimeRange) => {
    let out = q;
    if (range.from) out = out.where("createdAt", ">=", range.from);
    if (range.to) out = out.where("createdAt", "<", range.to);
    return out;
  };
  return {
    /** Served by (table_name, row_id, created_at). */
    forEntity: (table: string, id: string | number) =>
      newestFirst(base().where("tableName", "=", table).where("rowId", "=", String(id))),
    /** Served by (actor_id, created_at). */
    byActor: (actorId: string | number, range: TimeRange = {}) =>
      newestFirst(inRange(base().where("actorId", "=", String(actorId)), range)),
    /** Served by (created_at). */
    between: (from: Date, to: Date) => newestFirst(inRange(base(), { from, to })),
  };
}

/** Reads the audit trail: `auditHistory(db).forEntity("account", 42)`. Newest first. */
export function auditHistory(db: Db<any> | Kysely<any>) {
  const k = "kysely" in db ? (db.kysely as Kysely<any>) : db;
  const q = historyQueries(k);
  const run = async (query: Query, options: HistoryOptions = {}): Promise<AuditEntry[]> => {
    const compiled = (options.limit === undefined ? query : query.limit(options.limit)).compile();
    // Executed without result plugins: CamelCasePlugin would also rename the keys inside the parsed
    // jsonb `changes` on PostgreSQL (password_hash → passwordHash, and api_key and apiKey collide).
    // The statement itself was compiled with the plugins, so names and parameters are as usual.
    const result = await k.withoutPlugins().executeQuery<Record<string, unknown>>(compiled);
    return result.rows.map(decode);
  };
  return {
    forEntity: (table: string, id: string | number, options?: HistoryOptions) =>
      run(q.forEntity(table, id), options),
    byActor: (actorId: string | number, options: TimeRange & HistoryOptions = {}) =>
      run(q.byActor(actorId, options), options),
    between: (from: Date, to: Date, options?: HistoryOptions) => run(q.between(from, to), options),
  };
}

/** Raw row → entry: what the codec would do, for the columns of this one table. */
function decode(row: Record<string, unknown>): AuditEntry {
  const json = (v: unknown) => (typeof v === "string" ? JSON.parse(v) : (v ?? null));
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const at = row.created_at;
  return {
    id: Number(row.id), // PostgreSQL returns bigint as text
    tableName: String(row.table_name),
    rowId: String(row.row_id),
    action: row.action as AuditAction,
    changes: json(row.changes) ?? {},
    actorId: text(row.actor_id),
    actorName: text(row.actor_name),
    actorRoles: json(row.actor_roles),
    requestId: text(row.request_id),
    ip: text(row.ip),
    userAgent: text(row.user_agent),
    createdAt: at instanceof Date ? at : new Date(String(at)),
  };
}
