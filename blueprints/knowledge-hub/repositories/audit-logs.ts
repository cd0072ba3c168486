/**
 * The seed's own audit log (`audit_logs`: who, what action, which entity, old and new values, from
 * which address), written automatically. plinth's audit trail (`plinth_audit_log`) records each
 * change as a column diff; the seed's table keeps whole old and new values, the actor as a user, and
 * also events that change no row (login, logout, access), so the blueprint keeps both and writes
 * them together: `knowledgeHubHooks` runs plinth's trail and then adds the seed's row, inside the
 * write's own transaction, so a rolled-back change leaves neither.
 *
 *   const db = await connectKnowledgeHub(url);     // or connect(url, knowledgeHub, { hooks: knowledgeHubHooks() })
 *   await installKnowledgeHubGuards(db);            // after createSchema; migrations 0002/0006 do it otherwise
 */
import type { Kysely } from "kysely";
import type { ConnectOptions, Db, RowChange, WriteHooks } from "plinth";
import {
  AuditTrail,
  asImmutableRowError,
  connect,
  currentAuditContext,
  installAppendOnly,
  installAuditTrail,
  REDACTED,
} from "plinth";
import type { JsonValue, TableModel } from "plinth/schema";
import { knowledgeHub } from "../schema.js";

type KnowledgeHub = typeof knowledgeHub;
type AuditActionName = "create" | "update" | "delete" | "restore" | "archive" | "login" | "logout" | "access";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The entity's action in the seed's vocabulary. A soft delete is an update that sets deleted_at,
 * a restore one that clears it, an archive one that sets status to "archived".
 */
export function seedAction(change: RowChange): AuditActionName {
  if (change.action !== "update") return change.action;
  const before = change.before ?? {};
  const after = change.after ?? {};
  if (before.deleted_at == null && after.deleted_at != null) return "delete";
  if (before.deleted_at != null && after.deleted_at == null) return "restore";
  if (before.status !== "archived" && after.status === "archived") return "archive";
  return "update";
}

/** Column values as the seed's JSON columns hold them: secrets replaced, dates as ISO text. */
function valuesOf(
  table: TableModel,
  row: Record<string, unknown> | undefined,
): { [key: string]: JsonValue } | null {
  if (!row) return null;
  const secret = new Set(table.columns.filter((c) => c.secret || c.encrypted || c.hidden).map((c) => c.name));
  const out: { [key: string]: JsonValue } = {};
  for (const [name, value] of Object.entries(row)) {
    if (value === undefined) continue;
    if (secret.has(name)) out[name] = value === null ? null : REDACTED;
    else if (value instanceof Date) out[name] = value.toISOString();
    else if (typeof value === "bigint") out[name] = value.toString();
    else if (value instanceof Uint8Array) out[name] = `[${value.byteLength} bytes]`;
    else out[name] = value as JsonValue;
  }
  return out;
}

/** The acting user from the audit context, when it is one (the seed's user_id references users). */
function actingUser(): string | null {
  const id = currentAuditContext()?.actor?.id;
  return typeof id === "string" && UUID.test(id) ? id : null;
}

/** The client address from the audit context, clipped to the column's 45 characters. */
function clientAddress(): string | null {
  const ip = currentAuditContext()?.ip;
  return typeof ip === "string" && ip.length > 0 ? ip.slice(0, 45) : null;
}

/**
 * Write hooks: plinth's audit trail, then one `audit_logs` row per change to a table declared
 * `audit: true` (users, api_keys, knowledge_items), in the same transaction.
 */
export class KnowledgeHubAuditHooks implements WriteHooks {
  private readonly trail: AuditTrail;
  private readonly audited = new Map<string, TableModel>();

  constructor(schema: KnowledgeHub = knowledgeHub) {
    this.trail = new AuditTrail({ schema });
    for (const t of schema.model.tables) {
      // entity_id is a UUID: only single-column UUID keys fit it (every audited table here has one).
      const key = t.primaryKey.columns;
      const keyColumn = t.columns.find((c) => c.name === key[0]);
      if (t.meta.audit && key.length === 1 && keyColumn?.type.kind === "uuid") this.audited.set(t.name, t);
    }
  }

  observes(table: string): boolean {
    return this.trail.observes(table) || this.audited.has(table);
  }

  async afterWrite(trx: Kysely<any>, change: RowChange): Promise<void> {
    await this.trail.afterWrite(trx, change);
    const table = this.audited.get(change.table);
    if (!table) return;
    await trx
      .insertInto("audit_logs")
      .values({
        id: crypto.randomUUID(),
        userId: actingUser(),
        action: seedAction(change),
        entityType: change.table,
        entityId: change.rowId,
        oldValues: valuesOf(table, change.before),
        newValues: valuesOf(table, change.after),
        ipAddress: clientAddress(),
      })
      .execute();
  }
}

/** The write hooks the blueprint connects with: plinth's trail and the seed's audit_logs. */
export function knowledgeHubHooks(schema: KnowledgeHub = knowledgeHub): WriteHooks {
  return new KnowledgeHubAuditHooks(schema);
}

/** plinth's connect with the blueprint's write hooks (unless `hooks` is given). */
export function connectKnowledgeHub(url: string, options: ConnectOptions = {}): Promise<Db<KnowledgeHub>> {
  return connect(url, knowledgeHub, { ...options, hooks: options.hooks ?? knowledgeHubHooks() });
}

/**
 * Makes both audit tables append-only in the database (UPDATE and DELETE refused by triggers). The
 * migrations do this already (0002 through `plinth up`, 0006 for audit_logs); this is for databases
 * made with createSchema. Idempotent.
 */
export async function installKnowledgeHubGuards(db: Db<KnowledgeHub>): Promise<void> {
  await installAuditTrail(db);
  await installAppendOnly(db, "audit_logs");
}

/**
 * Records an event that changes no audited row (login, logout, access) in audit_logs. Called
 * inside `db.transaction`, it joins that transaction (db.current), so it commits with the rest.
 */
export async function recordEvent(
  db: Db<KnowledgeHub>,
  event: {
    action: "login" | "logout" | "access";
    entityType: string;
    entityId: string;
    userId?: string | null;
    details?: { [key: string]: JsonValue };
  },
): Promise<void> {
  await db.current
    .insertInto("audit_logs")
    .values({
      id: crypto.randomUUID(),
      userId: event.userId ?? actingUser(),
      action: event.action,
      entityType: event.entityType,
      entityId: event.entityId,
      oldValues: null,
      newValues: event.details ?? null,
      ipAddress: clientAddress(),
    })
    .execute();
}

export { asImmutableRowError };
