import type { Kysely } from "kysely";
import { num, statRows } from "../diagnostics-shared.js";
import type { Diagnostics, ServerFacts } from "../types.js";

/** SQLite runs in this process: no server, no replicas, no shared cache to measure. */
export async function sqliteServerFacts(db: Kysely<any>): Promise<ServerFacts> {
  const notes: string[] = [];
  const [row] = (await statRows(db, "SELECT sqlite_version() AS v", notes, "version")) ?? [];
  return { version: `SQLite ${row?.v ?? "unknown"}`, notes };
}

/**
 * Exact row counts (SQLite keeps no estimates, so it counts), sizes from the dbstat table, and
 * notes for what an embedded database does not have: other connections, index usage counters.
 */
export async function sqliteDiagnostics(db: Kysely<any>): Promise<Diagnostics> {
  const notes: string[] = [
    "index usage: SQLite keeps no usage counters",
    "connections: embedded, one connection in this process",
  ];
  const objects =
    (await statRows(
      db,
      `SELECT type, name, tbl_name AS t, sql FROM sqlite_master
       WHERE (type = 'table' AND name NOT LIKE 'sqlite_%') OR (type = 'index' AND tbl_name NOT LIKE 'sqlite_%')
       ORDER BY tbl_name, name`,
      notes,
      "tables",
    )) ?? [];
  const sizes = new Map(
    (
      (await statRows(db, "SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name", notes, "sizes")) ??
      []
    ).map((r) => [String(r.name), num(r.bytes)]),
  );
  const uniques = new Set(
    (
      (await statRows(
        db,
        `SELECT il.name FROM sqlite_master m, pragma_index_list(m.name) il
         WHERE m.type = 'table' AND il."unique" = 1`,
        notes,
        "unique indexes",
      )) ?? []
    ).map((r) => String(r.name)),
  );
  // A virtual table's shadow tables (full-text indexes) are counted under their own names.
  const tables = objects.filter(
    (o) => o.type === "table" && !String(o.sql ?? "").startsWith("CREATE VIRTUAL"),
  );
  const counts = new Map<string, number | undefined>();
  for (const t of tables) {
    const name = String(t.name).replaceAll('"', '""');
    const [row] =
      (await statRows(db, `SELECT count(*) AS n FROM "${name}"`, notes, `rows of ${t.name}`)) ?? [];
    counts.set(String(t.name), num(row?.n));
  }
  const indexes = objects
    .filter((o) => o.type === "index")
    .map((o) => ({
      table: String(o.t),
      index: String(o.name),
      bytes: sizes.get(String(o.name)),
      enforcesUniqueness: uniques.has(String(o.name)),
    }));
  return {
    tables: tables
      .map((t) => ({
        table: String(t.name),
        rows: counts.get(String(t.name)),
        bytes: sizes.get(String(t.name)),
        indexBytes: indexes.filter((i) => i.table === t.name).reduce((sum, i) => sum + (i.bytes ?? 0), 0),
      }))
      .sort((a, b) => (b.bytes ?? 0) - (a.bytes ?? 0) || a.table.localeCompare(b.table)),
    indexes,
    unusedIndexes: [],
    connections: [],
    longRunning: [],
    notes,
  };
}
