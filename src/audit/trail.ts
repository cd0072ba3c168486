import type { CompiledQuery, Kysely } from "kysely";
import type { RowChange, SingleRowUpdate, WriteHooks } from "../data/hooks.js";
import { StatementTemplate, slots } from "../data/statement-template.js";
import { onlyOwnPlugins } from "../data/sync-executor.js";
import { PlinthError } from "../errors.js";
import type { Schema, TableModel } from "../schema/index.js";
import { currentAuditContext } from "./context.js";
import { auditChanges, DEFAULT_REDACT_KEYS, keyMatcher, secretColumns } from "./redact.js";
import { AUDIT_TABLE, AUDIT_WRITTEN_KEYS } from "./table.js";
import { auditedUpdateStatement } from "./update-statement.js";

export interface AuditTrailOptions {
  /** The application schema; it must include auditLog(). */
  schema: Schema;
  /** Keys redacted inside JSON values (case-insensitive substrings). Replaces the default list. */
  redactKeys?: readonly string[];
}

/**
 * Writes one audit row per change to a table declared `audit: true`. Repositories call afterWrite
 * inside the write's transaction, so the audit row commits or rolls back with the change.
 */
export class AuditTrail implements WriteHooks {
  private readonly audited = new Map<string, TableModel>();
  private readonly redactKey: (key: string) => boolean;
  /** The INSERT of an audit row, compiled once per database adapter; each change fills it. */
  private readonly inserts = new WeakMap<object, StatementTemplate>();
  /** TypeScript key and database name of each written audit column. */
  private readonly columns: [key: (typeof AUDIT_WRITTEN_KEYS)[number], name: string][];
  private readonly auditTable: TableModel;
  /** The longest text each context column holds (its varchar length), so a long context is clipped, not refused. */
  private readonly limits: ContextLimits;

  constructor(options: AuditTrailOptions) {
    // Checked up front: without the table in the schema the codec would not serialise the JSON
    // columns, and the first audited write would fail far from the cause.
    if (!options.schema.table(AUDIT_TABLE)) {
      throw new PlinthError(
        `AuditTrail: the schema has no ${AUDIT_TABLE} table; add it with schema({ ...tables, auditLog: auditLog() })`,
      );
    }
    for (const t of options.schema.model.tables) if (t.meta.audit) this.audited.set(t.name, t);
    this.redactKey = keyMatcher(options.redactKeys ?? DEFAULT_REDACT_KEYS);
    const auditTable = options.schema.model.tables.find((t) => t.name === AUDIT_TABLE)!;
    this.auditTable = auditTable;
    this.columns = AUDIT_WRITTEN_KEYS.map((key) => [
      key,
      auditTable.columns.find((c) => c.key === key)!.name,
    ]);
    this.limits = contextLimits(auditTable);
  }

  /** Whether writes to `table` (database name) are audited. */
  audits(table: string): boolean {
    return this.audited.has(table);
  }

  /** WriteHooks: only audited tables need the read before and the transaction. */
  observes(table: string): boolean {
    return this.audits(table);
  }

  async afterWrite(trx: Kysely<any>, change: RowChange): Promise<void> {
    if (!this.audited.has(change.table)) return;
    if (!onlyOwnPlugins(trx)) {
      await trx.insertInto(AUDIT_TABLE).values(this.rowFor(change)).execute();
      return;
    }
    for (const statement of this.statementsFor(trx, change)) await trx.executeQuery(statement);
  }

  /** The audit row's INSERT, compiled once per dialect; only the parameters are built per change. */
  statementsFor(kysely: Kysely<any>, change: RowChange): CompiledQuery[] {
    if (!this.audited.has(change.table)) return [];
    const row = this.rowFor(change);
    // The JSON columns are serialised here, as the codec would: the compiled statement skips it.
    const parameters = this.columns.map(([key]) => {
      const value = row[key];
      return (key === "changes" || key === "actorRoles") && value !== null ? JSON.stringify(value) : value;
    });
    return [this.insertFor(kysely).fill(parameters)];
  }

  /**
   * PostgreSQL: the update and its audit row as one statement, the changes computed by the database
   * exactly as auditChanges() computes them (see update-statement.ts). One round trip instead of
   * BEGIN, read, update, insert and COMMIT.
   */
  updateStatement(update: SingleRowUpdate): CompiledQuery | undefined {
    const table = this.audited.get(update.table);
    if (!table) return undefined;
    // The redacted key list needs no SQL: it applies inside JSON values, and a JSON column in the
    // patch leaves the update to the JavaScript path.
    const context = contextColumns(this.limits);
    return auditedUpdateStatement({
      ...update,
      table,
      auditTable: this.auditTable,
      secret: secretColumns(table),
      context: { ...context, actorRoles: context.actorRoles && JSON.stringify(context.actorRoles) },
    });
  }

  private rowFor(change: RowChange) {
    const table = this.audited.get(change.table)!;
    return {
      tableName: change.table,
      rowId: change.rowId,
      action: change.action,
      changes: auditChanges(table, change, this.redactKey),
      ...contextColumns(this.limits),
    };
  }

  private insertFor(trx: Kysely<any>): StatementTemplate {
    const adapter = trx.getExecutor().adapter;
    let template = this.inserts.get(adapter);
    if (!template) {
      const stand = slots(this.columns.length);
      const values = Object.fromEntries(this.columns.map(([, name], i) => [name, stand[i]]));
      const compiled = trx.withoutPlugins().insertInto(AUDIT_TABLE).values(values).compile();
      template = new StatementTemplate(compiled, this.columns.length);
      this.inserts.set(adapter, template);
    }
    return template;
  }
}

type ContextLimits = Record<"actorId" | "actorName" | "requestId" | "ip" | "userAgent", number>;

/** Text columns without a length (user_agent) still keep a bounded amount: a context is not a payload. */
const UNBOUNDED_TEXT_LIMIT = 2048;

function contextLimits(auditTable: TableModel): ContextLimits {
  const limit = (key: keyof ContextLimits) => {
    const type = auditTable.columns.find((c) => c.key === key)?.type;
    return type?.kind === "varchar" ? type.length : UNBOUNDED_TEXT_LIMIT;
  };
  return {
    actorId: limit("actorId"),
    actorName: limit("actorName"),
    requestId: limit("requestId"),
    ip: limit("ip"),
    userAgent: limit("userAgent"),
  };
}

/**
 * The audit row's actor and request columns, from the current withAuditContext (null outside one).
 * Each is clipped to what its column holds and marked, so a long X-Forwarded-For list or actor name
 * never fails the business write it describes.
 */
function contextColumns(limits: ContextLimits) {
  const context = currentAuditContext();
  const actor = context?.actor;
  const text = (value: unknown, key: keyof ContextLimits) =>
    value === undefined || value === null ? null : clip(String(value), limits[key]);
  return {
    actorId: actor ? text(actor.id, "actorId") : null,
    actorName: text(actor?.name, "actorName"),
    actorRoles: actor?.roles ? [...actor.roles] : null,
    requestId: text(context?.requestId, "requestId"),
    ip: text(context?.ip, "ip"),
    userAgent: text(context?.userAgent, "userAgent"),
  };
}

/** Appended to a clipped context value, inside the column's length. */
export const CLIPPED = "…[clipped]";

/** `value` cut to at most `max` characters (code points, as the engines count), marked when cut. */
export function clip(value: string, max: number): string {
  if (value.length <= max) return value;
  const points = [...value];
  if (points.length <= max) return value;
  return points.slice(0, max - [...CLIPPED].length).join("") + CLIPPED;
}
