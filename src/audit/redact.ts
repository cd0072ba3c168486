import { MAX_JSON_DEPTH } from "../data/value-check.js";
import type { TableModel } from "../schema/index.js";

export const REDACTED = "[redacted]";

/** Keys whose values are hidden inside JSON payloads (case-insensitive, matched as substrings). */
export const DEFAULT_REDACT_KEYS: readonly string[] = [
  "password",
  "token",
  "secret",
  "authorization",
  "api_key",
  "apikey",
  "access_token",
  "refresh_token",
  "cookie",
];

/** Turns a key list into a predicate once, so each audited write does not rebuild it. */
export function keyMatcher(keys: readonly string[]): (key: string) => boolean {
  const needles = keys.map((k) => k.toLowerCase()).filter((k) => k.length > 0);
  return (key) => {
    const lower = key.toLowerCase();
    return needles.some((n) => lower.includes(n));
  };
}

/** Stands in for a part of a value nested deeper than the redactor walks. */
export const TOO_DEEP = "[too deep]";

/**
 * A JSON-safe copy of a column value with sensitive keys replaced at any depth. Dates become ISO
 * text and bigints decimal text, so the value survives the JSON column on every engine.
 *
 * `levels` bounds the nesting of the copy: parts deeper than that are replaced by TOO_DEEP, never
 * passed through unredacted, so the audit row stays within what every engine stores (MAX_JSON_DEPTH)
 * and a hostile depth cannot exhaust the stack.
 */
export function scrub(value: unknown, redactKey: (key: string) => boolean, levels = MAX_JSON_DEPTH): unknown {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (typeof value !== "object") return value;
  if (levels <= 0) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => scrub(v, redactKey, levels - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v === undefined) continue;
    out[k] = redactKey(k) ? REDACTED : scrub(v, redactKey, levels - 1);
  }
  return out;
}

export interface ChangeInput {
  action: "create" | "update" | "delete";
  before?: Record<string, unknown>;
  after?: Record<string, unknown>;
}

/**
 * The `changes` payload of an audit row: every column for create and delete, only the columns whose
 * value differs for update. Secret columns keep their key (so "password changed" is visible) but
 * never their value; a null secret stays null because an absent secret discloses nothing.
 */
export function auditChanges(
  table: TableModel,
  change: ChangeInput,
  redactKey: (key: string) => boolean,
): Record<string, unknown> {
  const secret = secretColumns(table);
  // The payload wraps each value: { column: value } for create and delete, { column: { old, new } }
  // for update; the values get the levels that are left.
  const levels = MAX_JSON_DEPTH - (change.action === "update" ? 2 : 1);
  const clean = (column: string, value: unknown) => {
    const scrubbed = scrub(value, redactKey, levels);
    return secret.has(column) && scrubbed !== null ? REDACTED : scrubbed;
  };
  const out: Record<string, unknown> = {};
  if (change.action !== "update") {
    const row = (change.action === "create" ? change.after : change.before) ?? {};
    for (const [column, value] of Object.entries(row)) out[column] = clean(column, value);
    return out;
  }
  const before = change.before ?? {};
  const after = change.after ?? {};
  // Compare before redaction, so a changed secret is reported even though both sides read "[redacted]".
  for (const column of Object.keys(after)) {
    if (same(before[column], after[column])) continue;
    out[column] = { old: clean(column, before[column]), new: clean(column, after[column]) };
  }
  return out;
}

const secrets = new WeakMap<TableModel, Set<string>>();

/** Database names of the columns whose values never reach an audit row (hidden columns are secret too). */
export function secretColumns(table: TableModel): Set<string> {
  let found = secrets.get(table);
  if (!found) {
    found = new Set(table.columns.filter((c) => c.secret || c.hidden).map((c) => c.name));
    secrets.set(table, found);
  }
  return found;
}

/** Whether two column values are the same once stored: plain values directly, the rest as JSON. */
function same(a: unknown, b: unknown): boolean {
  if (a === undefined) a = null;
  if (b === undefined) b = null;
  if (a === b) return true;
  if (a === null || b === null) return false;
  const ta = typeof a;
  if (ta !== "object" && typeof b !== "object") return false;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  const raw = (v: unknown) => stableJson(scrub(v, () => false, 1000));
  return raw(a) === raw(b);
}

/** JSON with sorted keys: PostgreSQL jsonb reorders keys, which must not read as a change. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
