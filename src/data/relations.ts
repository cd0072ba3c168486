import { PlinthError } from "../errors.js";
import type { SchemaModel, TableModel } from "../schema/index.js";

/**
 * Relations come from declared single-column foreign keys, named by a fixed rule so nothing has to
 * be declared twice:
 * - belongs-to (the key is on this table): the key column's TypeScript key without its `Id` suffix,
 *   e.g. realm.accountId → `account`;
 * - has-many (keys on other tables pointing here): the child table's name in camelCase, made plural
 *   (`realm` → `realms`, `auth_token` → `authTokens`, `category` → `categories`; a name already ending
 *   in "s", such as `user_actions`, is kept). When one child table has several keys to the same parent,
 *   each is named `<children>By<Key>`, e.g. `backendServicesByOwnerAccountId`.
 */
export interface Relation {
  name: string;
  kind: "belongsTo" | "hasMany";
  /** The table the related rows come from. */
  target: string;
  /** Key on the rows being loaded for (this table). */
  localKey: string;
  /** Key on the target rows that matches `localKey`. */
  targetKey: string;
}

export function relationsOf(model: SchemaModel, table: TableModel): Map<string, Relation> {
  const out = new Map<string, Relation>();
  const keyOf = (t: TableModel, column: string) => t.columns.find((c) => c.name === column)?.key ?? column;
  for (const fk of table.foreignKeys) {
    if (fk.columns.length !== 1) continue;
    const target = model.tables.find((t) => t.name === fk.refTable);
    if (!target) continue;
    const localKey = keyOf(table, fk.columns[0]!);
    const name = localKey.endsWith("Id") ? localKey.slice(0, -2) : `${localKey}Ref`;
    out.set(name, {
      name,
      kind: "belongsTo",
      target: target.name,
      localKey,
      targetKey: keyOf(target, fk.refColumns[0]!),
    });
  }
  for (const child of model.tables) {
    const pointing = child.foreignKeys.filter((fk) => fk.refTable === table.name && fk.columns.length === 1);
    for (const fk of pointing) {
      const targetKey = keyOf(child, fk.columns[0]!);
      const plural = pluralize(camel(child.name));
      const name =
        pointing.length > 1 ? `${plural}By${targetKey[0]!.toUpperCase()}${targetKey.slice(1)}` : plural;
      out.set(name, {
        name,
        kind: "hasMany",
        target: child.name,
        localKey: keyOf(table, fk.refColumns[0]!),
        targetKey,
      });
    }
  }
  return out;
}

/** English plural of the usual table-name shapes; a name that already ends in "s" is taken as plural. */
function pluralize(name: string): string {
  if (name.endsWith("s")) return name;
  if (/[^aeiou]y$/i.test(name)) return `${name.slice(0, -1)}ies`;
  if (/(x|ch|sh)$/.test(name)) return `${name}es`;
  return `${name}s`;
}

function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

export type Include = readonly string[] | Readonly<Record<string, boolean | undefined>>;

/**
 * How to read a target table's readable rows (its default filters, such as soft delete, applied)
 * whose `key` is among `values`, with `key` among the columns; `strip` lists columns read only to
 * match rows, to drop afterwards.
 */
export type TargetReader = (
  table: string,
  key: string,
) => { read(values: unknown[]): Promise<Record<string, unknown>[]>; strip: readonly string[] };

export function includeNames(include: Include | undefined): string[] {
  if (!include) return [];
  return Array.isArray(include)
    ? [...include]
    : Object.keys(include).filter((k) => (include as Record<string, boolean>)[k]);
}

/**
 * Attaches each relation to `rows` with ONE `IN (...)` query per relation (chunked only past the
 * engine's parameter limit), never one query per row. `readTarget` applies the target table's
 * default filters (soft delete).
 */
export async function loadRelations(
  rows: Record<string, unknown>[],
  relations: Map<string, Relation>,
  include: Include | undefined,
  readTarget: TargetReader,
  maxParams: number,
): Promise<void> {
  for (const name of includeNames(include)) {
    const relation = relations.get(name);
    if (!relation)
      throw new PlinthError(
        `unknown relation "${name}"; known: ${[...relations.keys()].join(", ") || "none"}`,
      );
    const keys = [
      ...new Set(rows.map((r) => r[relation.localKey]).filter((v) => v !== null && v !== undefined)),
    ];
    const found: Record<string, unknown>[] = [];
    const { read, strip } = readTarget(relation.target, relation.targetKey);
    for (let i = 0; i < keys.length; i += maxParams) {
      const rows = await read(keys.slice(i, i + maxParams));
      for (const row of rows) found.push(row);
    }
    const byKey = new Map<unknown, Record<string, unknown>[]>();
    for (const r of found) {
      const k = matchKey(r[relation.targetKey]);
      const list = byKey.get(k);
      if (list) list.push(r);
      else byKey.set(k, [r]);
    }
    for (const r of found) for (const column of strip) delete r[column];
    for (const row of rows) {
      const matches = byKey.get(matchKey(row[relation.localKey])) ?? [];
      row[name] = relation.kind === "hasMany" ? matches : (matches[0] ?? null);
    }
  }
}

/**
 * A key value as it matches across tables: numbers and text as they are (no string per row), any
 * other value (a bigint, a Buffer) by its text.
 */
function matchKey(v: unknown): unknown {
  return typeof v === "number" || typeof v === "string" ? v : String(v);
}
