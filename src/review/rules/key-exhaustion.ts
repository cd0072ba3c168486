import { sql } from "kysely";
import type { TableModel } from "../../schema/index.js";
import type { ReviewContext, Rule, RuleHit } from "../engine/types.js";
import { isHighGrowth } from "./model.js";

/** The largest value of a 32-bit signed integer key: what `col.id()` is on every engine. */
export const INT_KEY_MAX = 2_147_483_647;
/** Days of inserts the rate is measured over. */
const WINDOW_DAYS = 30;

/**
 * A 32-bit integer key on a table declared `growth: "fast"` or `"append-only"`: when its counter
 * reaches 2,147,483,647 every insert fails. The live database gives the counter (the sequence,
 * AUTO_INCREMENT, sqlite_sequence, else the largest key) and, from the created-at column, the rows
 * added over the last 30 days: the finding estimates the days left, and becomes an error when
 * they are under a year or half the range is used.
 *
 * Bad:  `job_log` with `growth: "append-only"` and `id: col.id()` (integer)
 * Good: `id: col.bigId()` (bigint)
 */
export const keyExhaustion: Rule = {
  id: "key-exhaustion",
  group: "performance-ops",
  severity: "warning",
  needs: ["declaration", "probe"],
  catalog: "P01, S06",
  summary: "A high-growth table has a 32-bit integer key that will run out.",
  why: "When the key's counter reaches 2^31 − 1 every insert fails, and widening the key of a large table is a long rewrite.",
  recipe:
    "declare the key col.bigId() while the table is small (and the foreign keys that reference it as bigint)",
  check: async (ctx) => {
    const hits: RuleHit[] = [];
    const present = new Set(ctx.catalog?.tables.map((t) => t.name));
    for (const t of ctx.declaration!.model.tables) {
      if (!isHighGrowth(t) || (ctx.catalog && !present.has(t.name))) continue;
      const [key, ...rest] = t.primaryKey.columns;
      const column = t.columns.find((c) => c.name === key);
      if (!column || rest.length > 0 || column.type.kind !== "integer") continue;
      hits.push(await estimate(ctx, t, column.name));
    }
    return hits;
  },
};

async function estimate(ctx: ReviewContext, t: TableModel, key: string): Promise<RuleHit> {
  const db = ctx.db!;
  const [max] = await db
    .selectFrom(t.name)
    .select(sql<number | string | null>`max(${sql.ref(key)})`.as("top"))
    .execute();
  const counter = Math.max(
    (await ctx.dialect!.review.keyCounter(db, t.name, key)) ?? 0,
    Number(max?.top ?? 0),
  );
  const used = counter / INT_KEY_MAX;
  const createdAt =
    t.columns.find((c) => c.role === "createdAt") ?? t.columns.find((c) => c.name === "created_at");
  let perDay: number | undefined;
  if (createdAt) {
    const since = new Date(Date.now() - WINDOW_DAYS * 86_400_000);
    const bound = ctx.dialect!.values.timestampsAsText ? since.toISOString() : since;
    const [recent] = await db
      .selectFrom(t.name)
      .select(sql<number | string>`count(*)`.as("n"))
      .where(createdAt.name, ">=", bound)
      .execute();
    perDay = Number(recent?.n ?? 0) / WINDOW_DAYS;
  }
  const days = perDay ? (INT_KEY_MAX - counter) / perDay : undefined;
  const at = `${t.name}.${key} is a 32-bit integer key on a table declared growth "${t.meta.growth}": ${(used * 100).toFixed(used < 0.01 ? 3 : 1)} % of its range is used`;
  const rate =
    days === undefined
      ? createdAt
        ? `; no rows were added in the last ${WINDOW_DAYS} days to estimate when it runs out`
        : "; no created-at column to measure the insert rate by"
      : `; at ${Math.round(perDay!)} row(s) a day (last ${WINDOW_DAYS} days) it runs out in about ${formatDays(days)}`;
  const hit: RuleHit = { object: `${t.name}.${key}`, table: t.name, message: at + rate };
  if (used >= 0.5 || (days !== undefined && days < 365)) hit.severity = "error";
  return hit;
}

function formatDays(days: number): string {
  if (days < 60) return `${Math.max(0, Math.round(days))} days`;
  if (days < 730) return `${Math.round(days / 30)} months`;
  return `${Math.round(days / 365)} years`;
}
