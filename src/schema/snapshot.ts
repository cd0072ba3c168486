import type { SchemaModel } from "./model.js";
import type { Schema } from "./schema.js";

export const SNAPSHOT_FORMAT = "plinth.snapshot/1";

export interface Snapshot extends SchemaModel {
  format: typeof SNAPSHOT_FORMAT;
}

/**
 * The canonical snapshot: tables, constraints and indexes sorted by name, object keys sorted, so the
 * same schema always serialises to the same bytes. Column order is kept: it is part of the table.
 */
export function snapshot(source: Schema | SchemaModel): Snapshot {
  const model = "model" in source ? source.model : source;
  const byName = <T extends { name: string }>(items: T[]) =>
    [...items].sort((a, b) => compare(a.name, b.name));
  return {
    format: SNAPSHOT_FORMAT,
    tables: byName(model.tables).map((t) => ({
      ...t,
      uniques: byName(t.uniques),
      checks: byName(t.checks),
      foreignKeys: byName(t.foreignKeys),
      indexes: byName(t.indexes),
    })),
  };
}

/** Byte-stable JSON: keys sorted at every level, two-space indentation, trailing newline. */
export function canonicalJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}

export function snapshotJson(source: Schema | SchemaModel): string {
  return canonicalJson(snapshot(source));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort(compare)) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** Code-unit order, not locale order: the result must not depend on the machine's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
