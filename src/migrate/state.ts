import { PlinthError } from "../errors.js";
import type { SchemaModel, TableModel } from "../schema/index.js";
import type { ConstraintKind, Operation } from "./operations.js";

/** Raised when an operation does not fit the state it is applied to (a migration history mistake). */
export class StateError extends PlinthError {
  static override readonly code: string = "PLINTH_MIGRATION_STATE_ERROR";
  override name = "StateError";
}

/**
 * Applies one operation to a schema state and returns the new state; the input is never changed.
 * Replaying every migration from the empty state gives the schema the migrations produce, which the
 * autodetector compares with the declaration.
 */
export function applyOperation(state: SchemaModel, o: Operation): SchemaModel {
  const tables = state.tables;
  const find = (name: string): TableModel => {
    const t = tables.find((x) => x.name === name);
    if (!t) throw new StateError(`${describe(o)}: table ${name} does not exist at this point in the history`);
    return t;
  };
  const replace = (name: string, change: (t: TableModel) => TableModel): SchemaModel => {
    const t = find(name);
    return sorted(
      state,
      tables.map((x) => (x === t ? change(structuredClone(t)) : x)),
    );
  };
  const without = <T extends { name: string }>(
    items: T[],
    name: string,
    what: string,
    table: string,
  ): T[] => {
    if (!items.some((i) => i.name === name))
      throw new StateError(`${what} ${name} does not exist on ${table}`);
    return items.filter((i) => i.name !== name);
  };
  const adding = <T extends { name: string }>(items: T[], item: T, what: string, table: string): T[] => {
    if (items.some((i) => i.name === item.name))
      throw new StateError(`${what} ${item.name} already exists on ${table}`);
    return [...items, structuredClone(item)];
  };

  switch (o.op) {
    case "createTable":
      if (tables.some((t) => t.name === o.table.name))
        throw new StateError(`table ${o.table.name} already exists`);
      return sorted(state, [...tables, structuredClone(o.table)]);
    case "dropTable":
      find(o.table.name);
      return sorted(
        state,
        tables.filter((t) => t.name !== o.table.name),
      );
    case "renameTable": {
      find(o.from);
      if (tables.some((t) => t.name === o.to))
        throw new StateError(`cannot rename ${o.from}: table ${o.to} exists`);
      return sorted(
        state,
        tables.map((t) => {
          const copy = structuredClone(t);
          if (copy.name === o.from) copy.name = o.to;
          for (const fk of copy.foreignKeys) if (fk.refTable === o.from) fk.refTable = o.to;
          return copy;
        }),
      );
    }
    case "alterTable":
      return replace(o.table, (t) => {
        const { doc, meta } = structuredClone(o.to);
        const next: TableModel = { ...t, meta };
        if (doc === undefined) delete next.doc;
        else next.doc = doc;
        return next;
      });
    case "addColumn":
      return replace(o.table, (t) => ({ ...t, columns: adding(t.columns, o.column, "column", t.name) }));
    case "dropColumn":
      return replace(o.table, (t) => ({
        ...t,
        columns: without(t.columns, o.column.name, "column", t.name),
      }));
    case "renameColumn":
      return renameColumn(state, o.table, o.from, o.to, find);
    case "alterColumn":
      return replace(o.table, (t) => {
        if (!t.columns.some((c) => c.name === o.from.name))
          throw new StateError(`column ${o.from.name} does not exist on ${t.name}`);
        return { ...t, columns: t.columns.map((c) => (c.name === o.from.name ? structuredClone(o.to) : c)) };
      });
    case "addIndex":
      return replace(o.table, (t) => ({ ...t, indexes: adding(t.indexes, o.index, "index", t.name) }));
    case "dropIndex":
      return replace(o.table, (t) => ({ ...t, indexes: without(t.indexes, o.index.name, "index", t.name) }));
    case "addFullText":
      return replace(o.table, (t) => {
        if (t.fullText)
          throw new StateError(`${t.name} already has full-text index ${t.fullText.name} (one per table)`);
        return { ...t, fullText: structuredClone(o.fullText) };
      });
    case "dropFullText":
      return replace(o.table, (t) => {
        if (t.fullText?.name !== o.fullText.name)
          throw new StateError(`full-text index ${o.fullText.name} does not exist on ${t.name}`);
        const { fullText: _, ...rest } = t;
        return rest;
      });
    case "addUnique":
      return replace(o.table, (t) => ({
        ...t,
        uniques: adding(t.uniques, o.unique, "unique constraint", t.name),
      }));
    case "dropUnique":
      return replace(o.table, (t) => ({
        ...t,
        uniques: without(t.uniques, o.unique.name, "unique constraint", t.name),
      }));
    case "addCheck":
      return replace(o.table, (t) => ({ ...t, checks: adding(t.checks, o.check, "check", t.name) }));
    case "dropCheck":
      return replace(o.table, (t) => ({ ...t, checks: without(t.checks, o.check.name, "check", t.name) }));
    case "addForeignKey":
      return replace(o.table, (t) => ({
        ...t,
        foreignKeys: adding(t.foreignKeys, o.foreignKey, "foreign key", t.name),
      }));
    case "dropForeignKey":
      return replace(o.table, (t) => ({
        ...t,
        foreignKeys: without(t.foreignKeys, o.foreignKey.name, "foreign key", t.name),
      }));
    case "renameConstraint":
      return replace(o.table, (t) => {
        const items = constraintsOf(t, o.kind);
        const item = items.find((i) => i.name === o.from);
        if (!item) throw new StateError(`${o.kind} ${o.from} does not exist on ${t.name}`);
        if (o.kind !== "primaryKey" && items.some((i) => i.name === o.to)) {
          throw new StateError(`${o.kind} ${o.to} already exists on ${t.name}`);
        }
        item.name = o.to;
        return t;
      });
    case "createType": {
      const types = state.types ?? [];
      if (types.some((x) => x.name === o.type.name))
        throw new StateError(`type ${o.type.name} already exists`);
      return { ...state, types: [...types, structuredClone(o.type)].sort(byName) };
    }
    case "dropType": {
      const types = state.types ?? [];
      if (!types.some((x) => x.name === o.type.name))
        throw new StateError(`type ${o.type.name} does not exist at this point in the history`);
      const rest = types.filter((x) => x.name !== o.type.name);
      const out: SchemaModel = { ...state, types: rest };
      if (rest.length === 0) delete out.types;
      return out;
    }
    case "createSequence": {
      const sequences = state.sequences ?? [];
      if (sequences.some((x) => x.name === o.sequence.name))
        throw new StateError(`sequence ${o.sequence.name} already exists`);
      return { ...state, sequences: [...sequences, structuredClone(o.sequence)].sort(byName) };
    }
    case "dropSequence": {
      const sequences = state.sequences ?? [];
      if (!sequences.some((x) => x.name === o.sequence.name))
        throw new StateError(`sequence ${o.sequence.name} does not exist at this point in the history`);
      const rest = sequences.filter((x) => x.name !== o.sequence.name);
      const out: SchemaModel = { ...state, sequences: rest };
      if (rest.length === 0) delete out.sequences;
      return out;
    }
    case "addPartition":
      return replace(o.table, (t) => {
        if (!t.partition) throw new StateError(`${t.name} is not partitioned`);
        if (t.partition.partitions.some((p) => p.name === o.partition.name))
          throw new StateError(`partition ${o.partition.name} already exists on ${t.name}`);
        return {
          ...t,
          partition: { ...t.partition, partitions: [...t.partition.partitions, { ...o.partition }] },
        };
      });
    case "dropPartition":
      return replace(o.table, (t) => {
        if (!t.partition?.partitions.some((p) => p.name === o.partition.name))
          throw new StateError(`partition ${o.partition.name} does not exist on ${t.name}`);
        return {
          ...t,
          partition: {
            ...t.partition,
            partitions: t.partition.partitions.filter((p) => p.name !== o.partition.name),
          },
        };
      });
    case "validateConstraint":
    case "sql":
    case "data":
      // Opaque to the state: a raw step must not change the schema plinth tracks.
      return state;
  }
}

export function applyOperations(state: SchemaModel, operations: readonly Operation[]): SchemaModel {
  return operations.reduce(applyOperation, state);
}

export const EMPTY_STATE: SchemaModel = { tables: [] };

/** Renames a column everywhere it is named: constraints, indexes and other tables' foreign keys. */
function renameColumn(
  state: SchemaModel,
  table: string,
  from: string,
  to: string,
  find: (name: string) => TableModel,
): SchemaModel {
  const target = find(table);
  if (!target.columns.some((c) => c.name === from))
    throw new StateError(`column ${from} does not exist on ${table}`);
  if (target.columns.some((c) => c.name === to))
    throw new StateError(`column ${to} already exists on ${table}`);
  const swap = (cols: string[]) => cols.map((c) => (c === from ? to : c));
  return sorted(
    state,
    state.tables.map((t) => {
      const copy = structuredClone(t);
      if (copy.name === table) {
        for (const c of copy.columns) if (c.name === from) c.name = to;
        copy.primaryKey.columns = swap(copy.primaryKey.columns);
        for (const u of copy.uniques) u.columns = swap(u.columns);
        for (const i of copy.indexes) i.columns = swap(i.columns);
        for (const c of copy.fullText?.columns ?? []) if (c.column === from) c.column = to;
        for (const fk of copy.foreignKeys) fk.columns = swap(fk.columns);
        for (const c of copy.checks)
          c.predicate = JSON.parse(
            JSON.stringify(c.predicate).replaceAll(`"column":"${from}"`, `"column":"${to}"`),
          );
        for (const i of copy.indexes) {
          if (i.where)
            i.where = JSON.parse(
              JSON.stringify(i.where).replaceAll(`"column":"${from}"`, `"column":"${to}"`),
            );
        }
      }
      for (const fk of copy.foreignKeys) if (fk.refTable === table) fk.refColumns = swap(fk.refColumns);
      return copy;
    }),
  );
}

/** The named items of one kind on a table (the primary key is a list of one). */
export function constraintsOf(t: TableModel, kind: ConstraintKind): { name: string }[] {
  switch (kind) {
    case "primaryKey":
      return [t.primaryKey];
    case "unique":
      return t.uniques;
    case "check":
      return t.checks;
    case "foreignKey":
      return t.foreignKeys;
    case "index":
      return t.indexes;
  }
}

/** The state with these tables, sorted by name; its sequences, types and unmanaged objects are kept. */
function sorted(state: SchemaModel, tables: TableModel[]): SchemaModel {
  const out: SchemaModel = {
    tables: [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
  };
  if (state.sequences?.length) out.sequences = state.sequences;
  if (state.types?.length) out.types = state.types;
  // What a live database held beside its tables stays known through the change (see rebuild).
  if (state.unmanaged?.length) out.unmanaged = state.unmanaged;
  return out;
}

function describe(o: Operation): string {
  return o.op;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
