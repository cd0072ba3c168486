import type { ViolationKind } from "../errors.js";
import type { SchemaModel } from "../schema/index.js";
import { predicateColumns } from "../schema/index.js";
import type { SqlDialect } from "./types.js";

interface Referencing {
  table: string;
  name: string;
  columns: string[];
  onDelete: string;
  onUpdate: string;
}

export interface ConstraintInfo {
  kind: ViolationKind | "primary key";
  table: string;
  columns: string[];
}

/**
 * Every named constraint and index of a schema as one dialect renders it, including the implicit
 * CHECKs a dialect adds. Engines often report only a constraint name (or only columns); the catalog
 * fills in the rest so errors can always name table, columns and constraint.
 */
export class ConstraintCatalog {
  private readonly byName = new Map<string, ConstraintInfo>();
  private readonly uniqueByColumns = new Map<string, string>();
  private readonly primaryKeys = new Map<string, string>();
  private readonly foreignKeysByTable = new Map<string, { name: string; columns: string[] }[]>();
  private readonly referencingByTable = new Map<string, Referencing[]>();

  constructor(model: SchemaModel, dialect: SqlDialect) {
    for (const t of model.tables) {
      const add = (name: string, info: ConstraintInfo) => this.byName.set(name.toLowerCase(), info);
      this.primaryKeys.set(t.name, t.primaryKey.name);
      add(t.primaryKey.name, { kind: "primary key", table: t.name, columns: t.primaryKey.columns });
      this.indexUnique(t.name, t.primaryKey.name, t.primaryKey.columns);
      for (const u of t.uniques) {
        add(u.name, { kind: "unique", table: t.name, columns: u.columns });
        this.indexUnique(t.name, u.name, u.columns);
      }
      for (const ix of t.indexes.filter((i) => i.unique)) {
        add(ix.name, { kind: "unique", table: t.name, columns: ix.columns });
        this.indexUnique(t.name, ix.name, ix.columns);
      }
      for (const c of t.checks)
        add(c.name, { kind: "check", table: t.name, columns: [...new Set(predicateColumns(c.predicate))] });
      for (const col of t.columns) {
        for (const c of dialect.implicitChecks(t, col))
          add(c.name, { kind: "check", table: t.name, columns: [col.name] });
      }
      for (const fk of t.foreignKeys)
        add(fk.name, { kind: "foreign key", table: t.name, columns: fk.columns });
      this.foreignKeysByTable.set(
        t.name,
        t.foreignKeys.map((fk) => ({ name: fk.name, columns: fk.columns })),
      );
      for (const fk of t.foreignKeys) {
        const list = this.referencingByTable.get(fk.refTable) ?? [];
        list.push({
          table: t.name,
          name: fk.name,
          columns: fk.columns,
          onDelete: fk.onDelete,
          onUpdate: fk.onUpdate,
        });
        this.referencingByTable.set(fk.refTable, list);
      }
    }
  }

  lookup(name: string | undefined): ConstraintInfo | undefined {
    return name === undefined ? undefined : this.byName.get(name.toLowerCase());
  }

  /** The unique constraint (or primary key) covering exactly these columns of a table. */
  uniqueFor(table: string, columns: string[]): string | undefined {
    return this.uniqueByColumns.get(key(table, columns));
  }

  primaryKeyOf(table: string | undefined): string | undefined {
    return table === undefined ? undefined : this.primaryKeys.get(table);
  }

  foreignKeysOf(table: string): { name: string; columns: string[] }[] {
    return this.foreignKeysByTable.get(table) ?? [];
  }

  /**
   * The foreign keys of other tables (or the same one) that reference `table` and can refuse a
   * `delete` or `update` of its rows: not those whose rule cascades or sets null, which never refuse.
   */
  foreignKeysReferencing(
    table: string,
    statement?: "delete" | "update",
  ): { table: string; name: string; columns: string[] }[] {
    const all = this.referencingByTable.get(table) ?? [];
    if (!statement) return all;
    const yields = (rule: string) => rule === "cascade" || rule === "set null";
    return all.filter((fk) => !yields(statement === "delete" ? fk.onDelete : fk.onUpdate));
  }

  private indexUnique(table: string, name: string, columns: string[]): void {
    this.uniqueByColumns.set(key(table, columns), name);
  }
}

function key(table: string, columns: string[]): string {
  return `${table}(${[...columns].sort().join(",")})`;
}
