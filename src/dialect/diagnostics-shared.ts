import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { IndexStats } from "./types.js";

type Row = Record<string, unknown>;

/**
 * Rows of a statistics query, or `undefined` with a note when the engine (or the user's
 * permissions) will not say: a diagnostic that cannot run is reported, never fatal.
 */
export async function statRows(
  db: Kysely<any>,
  query: string,
  notes: string[],
  what: string,
): Promise<Row[] | undefined> {
  try {
    // Without plinth's plugins: aliases stay as written, and catalog values are not decoded.
    const result = await sql.raw<Row>(query).execute(db.withoutPlugins());
    return result.rows;
  } catch (error) {
    notes.push(
      `${what}: not available (${error instanceof Error ? error.message.split("\n")[0] : String(error)})`,
    );
    return undefined;
  }
}

/** A number from a catalog row (drivers hand back bigint, numeric text or numbers). */
export function num(v: unknown): number | undefined {
  if (v === null || v === undefined || v === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Indexes never used since statistics were reset, leaving out those that enforce uniqueness. */
export function unusedOf(indexes: readonly IndexStats[]): IndexStats[] {
  return indexes.filter((i) => i.scans === 0 && !i.enforcesUniqueness);
}
