import type { ConnectOptions, Db, Replicated } from "../data/index.js";
import { connect as connectDatabase } from "../data/index.js";
import { AuditTrailMissingError } from "../errors.js";
import type { Schema } from "../schema/index.js";
import { AUDIT_TABLE } from "./table.js";
import { AuditTrail } from "./trail.js";

/**
 * Connects like the data layer's connect, and wires the audit trail the schema declares: when tables
 * are declared `audit: true` and the schema has auditLog(), every write to them made through plinth
 * is recorded, with nothing to remember at each call site. `hooks` replaces the trail (bring your
 * own AuditTrail, for instance one with other redactKeys); `audit: false` turns it off on purpose.
 *
 * A schema with audited tables but no auditLog() is refused here rather than at the first write:
 * an audit trail that silently records nothing is the trap this guards against.
 */
export async function connect<S extends Schema>(
  url: string | Replicated,
  schema: S,
  options: ConnectOptions = {},
): Promise<Db<S>> {
  return connectDatabase(url, schema, { ...options, hooks: options.hooks ?? trailFor(schema, options) });
}

function trailFor(schema: Schema, options: ConnectOptions): AuditTrail | undefined {
  if (options.audit === false) return undefined;
  const audited = schema.model.tables.filter((t) => t.meta.audit).map((t) => t.name);
  if (audited.length === 0) return undefined;
  if (!schema.table(AUDIT_TABLE)) {
    throw new AuditTrailMissingError(
      audited[0]!,
      `the schema declares audit: true on ${audited.join(", ")} but has no auditLog() table to record into; ` +
        "add auditLog: auditLog() to schema({ … }), or connect with { audit: false } to write without a trail",
    );
  }
  const settings = typeof options.audit === "object" ? options.audit : {};
  return new AuditTrail({ schema, ...settings });
}
