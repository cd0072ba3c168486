import { sql } from "kysely";

type AnyRow = Record<string, unknown>;

/** Object wheres become equality / IN / IS NULL; an empty IN matches nothing. */
export function applyWhere(q: any, where: unknown): any {
  if (where === undefined) return q;
  if (typeof where === "function") return q.where(where);
  let out = q;
  for (const [key, value] of Object.entries(where as AnyRow)) {
    if (value === undefined) continue;
    if (value === null) out = out.where(key, "is", null);
    else if (Array.isArray(value))
      out = value.length === 0 ? out.where(sql<boolean>`1 = 0`) : out.where(key, "in", value);
    else out = out.where(key, "=", value);
  }
  return out;
}
