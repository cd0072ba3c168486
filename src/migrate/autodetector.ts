import type {
  ColumnModel,
  ForeignKeyModel,
  SchemaModel,
  SequenceModel,
  TableModel,
  TypeModel,
} from "../schema/index.js";
import { canonicalJson } from "../schema/index.js";
import { MigrationError } from "./errors.js";
import type { ConstraintKind, Operation } from "./operations.js";
import { op } from "./operations.js";
import { applyOperations } from "./state.js";

export interface Renames {
  /** old table name → new table name */
  tables?: Record<string, string>;
  /** "table.old_column" → "new_column" (table named as it is after table renames) */
  columns?: Record<string, string>;
}

export interface Detected {
  operations: Operation[];
  /** Things the user should know: possible renames that were turned into drop + add, for instance. */
  notes: string[];
}

/**
 * Compares two schema states and lists the operations that turn `from` into `to`. Like Django's
 * autodetector it only diffs states; it never guesses a rename: renames come from `renames`, and a
 * drop + add that looks like a rename is reported in `notes`.
 *
 * Order matters for the database: renames come first (everything after them is computed on the
 * renamed state), then foreign keys and constraints that go away, new tables (parents before
 * children), column changes, dropped columns and tables, and finally new constraints, indexes and
 * foreign keys, when every column they name exists.
 */
export function autodetect(from: SchemaModel, to: SchemaModel, renames: Renames = {}): Detected {
  const notes: string[] = [];
  const renameOps = renameOperations(from, to, renames);
  const start = applyOperations(from, renameOps);
  const before = new Map(start.tables.map((t) => [t.name, t]));
  const after = new Map(to.tables.map((t) => [t.name, t]));

  const dropConstraints: Operation[] = [];
  const constraintRenames: Operation[] = [];
  const addConstraints: Operation[] = [];
  const addForeignKeys: Operation[] = [];
  const columnChanges: Operation[] = [];
  const dropColumns: Operation[] = [];
  const tableDetails: Operation[] = [];

  for (const [name, next] of after) {
    const prev = before.get(name);
    if (!prev) continue;
    if (prev.primaryKey.name !== next.primaryKey.name) {
      constraintRenames.push(
        op.renameConstraint(name, "primaryKey", prev.primaryKey.name, next.primaryKey.name),
      );
    }
    if (canonicalJson(prev.primaryKey.columns) !== canonicalJson(next.primaryKey.columns)) {
      throw new MigrationError(
        `${name}: changing the primary key (${prev.primaryKey.columns.join(", ")} → ${next.primaryKey.columns.join(", ")}) ` +
          "is not generated automatically; write it as a raw SQL step with op.sql(up, down)",
      );
    }
    /**
     * Constraints are matched by name. One that only changed its name (a table rename renames the
     * names derived from it) is renamed in place rather than dropped and rebuilt.
     */
    const diffNamed = <T extends { name: string }>(
      kind: ConstraintKind,
      a: T[],
      b: T[],
      drop: (item: T) => Operation,
      add: (item: T) => Operation,
      adds: Operation[],
    ) => {
      const content = (x: T) => canonicalJson({ ...x, name: "" });
      const gone = a.filter((x) => !b.some((y) => canonicalJson(y) === canonicalJson(x)));
      const fresh = b.filter((y) => !a.some((x) => canonicalJson(x) === canonicalJson(y)));
      for (const item of gone) {
        const twin = fresh.find((y) => content(y) === content(item) && !a.some((x) => x.name === y.name));
        if (twin && !b.some((y) => y.name === item.name)) {
          constraintRenames.push(op.renameConstraint(name, kind, item.name, twin.name));
          fresh.splice(fresh.indexOf(twin), 1);
        } else {
          dropConstraints.push(drop(item));
        }
      }
      for (const item of fresh) adds.push(add(item));
    };
    diffNamed(
      "foreignKey",
      prev.foreignKeys,
      next.foreignKeys,
      (x) => op.dropForeignKey(name, x),
      (x) => op.addForeignKey(name, x),
      addForeignKeys,
    );
    diffNamed(
      "index",
      prev.indexes,
      next.indexes,
      (x) => op.dropIndex(name, x),
      (x) => op.addIndex(name, x),
      addConstraints,
    );
    diffNamed(
      "unique",
      prev.uniques,
      next.uniques,
      (x) => op.dropUnique(name, x),
      (x) => op.addUnique(name, x),
      addConstraints,
    );
    diffNamed(
      "check",
      prev.checks,
      next.checks,
      (x) => op.dropCheck(name, x),
      (x) => op.addCheck(name, x),
      addConstraints,
    );

    // Partitions come and go one by one; the key itself cannot change in place.
    if (canonicalJson(prev.partition?.key ?? null) !== canonicalJson(next.partition?.key ?? null)) {
      throw new MigrationError(
        `${name}: changing how a table is partitioned (${prev.partition?.key ?? "not partitioned"} → ` +
          `${next.partition?.key ?? "not partitioned"}) needs a new table; write it as a raw SQL step with op.sql(up, down)`,
      );
    }
    for (const p of prev.partition?.partitions ?? [])
      if (!next.partition?.partitions.some((n) => canonicalJson(n) === canonicalJson(p)))
        dropConstraints.push(op.dropPartition(name, p));
    for (const p of next.partition?.partitions ?? [])
      if (!prev.partition?.partitions.some((n) => canonicalJson(n) === canonicalJson(p)))
        addConstraints.push(op.addPartition(name, p));

    // One full-text index per table: any change is a drop of the old one and an add of the new one.
    if (canonicalJson(prev.fullText ?? null) !== canonicalJson(next.fullText ?? null)) {
      if (prev.fullText) dropConstraints.push(op.dropFullText(name, prev.fullText));
      if (next.fullText) addConstraints.push(op.addFullText(name, next.fullText));
    }

    const prevColumns = new Map(prev.columns.map((c) => [c.name, c]));
    const nextColumns = new Map(next.columns.map((c) => [c.name, c]));
    const added = next.columns.filter((c) => !prevColumns.has(c.name));
    const dropped = prev.columns.filter((c) => !nextColumns.has(c.name));
    for (const c of added) columnChanges.push(op.addColumn(name, c));
    for (const c of next.columns) {
      const old = prevColumns.get(c.name);
      // The TypeScript key is not stored anywhere in the database: a key-only change needs no step.
      if (old && canonicalJson({ ...old, key: "" }) !== canonicalJson({ ...c, key: "" })) {
        columnChanges.push(op.alterColumn(name, old, c));
      }
    }
    for (const c of dropped) dropColumns.push(op.dropColumn(name, c));
    for (const d of dropped) {
      const twin = added.find((a) => sameShape(a, d));
      if (twin) {
        notes.push(
          `${name}.${d.name} is dropped and ${name}.${twin.name} added with the same type; if that is a rename, ` +
            `run again with --rename ${name}.${d.name}=${twin.name} to keep the data`,
        );
      }
    }
    if (
      canonicalJson({ doc: prev.doc, meta: prev.meta }) !== canonicalJson({ doc: next.doc, meta: next.meta })
    ) {
      tableDetails.push(op.alterTable(name, details(prev), details(next)));
    }
  }

  const created = to.tables.filter((t) => !before.has(t.name));
  const removed = start.tables.filter((t) => !after.has(t.name));
  for (const r of removed) {
    const twin = created.find((c) => sameColumns(c, r));
    if (twin)
      notes.push(
        `table ${r.name} is dropped and ${twin.name} created with the same columns; if that is a rename, run again with --rename ${r.name}=${twin.name}`,
      );
  }
  const { creates, deferredForeignKeys } = createInOrder(created, before);
  const { drops, foreignKeyDrops } = dropInOrder(removed);
  // Sequences exist before the tables whose defaults call them, and go after those tables have.
  const sameSequence = (a: SequenceModel, b: SequenceModel) => canonicalJson(a) === canonicalJson(b);
  const newSequences = (to.sequences ?? []).filter(
    (s) => !(start.sequences ?? []).some((x) => sameSequence(x, s)),
  );
  const oldSequences = (start.sequences ?? []).filter(
    (s) => !(to.sequences ?? []).some((x) => sameSequence(x, s)),
  );
  // Types likewise: columns of a type need it to exist first.
  const sameType = (a: TypeModel, b: TypeModel) => canonicalJson(a) === canonicalJson(b);
  const newTypes = (to.types ?? []).filter((t) => !(start.types ?? []).some((x) => sameType(x, t)));
  const oldTypes = (start.types ?? []).filter((t) => !(to.types ?? []).some((x) => sameType(x, t)));

  return {
    operations: [
      ...renameOps,
      ...constraintRenames,
      ...foreignKeyDrops,
      ...dropConstraints,
      ...newTypes.map((t) => op.createType(t)),
      ...newSequences.map((s) => op.createSequence(s)),
      ...creates,
      ...columnChanges,
      ...dropColumns,
      ...drops,
      ...oldSequences.map((s) => op.dropSequence(s)),
      ...oldTypes.map((t) => op.dropType(t)),
      ...addConstraints,
      ...addForeignKeys,
      ...deferredForeignKeys,
      ...tableDetails,
    ],
    notes,
  };
}

function renameOperations(from: SchemaModel, to: SchemaModel, renames: Renames): Operation[] {
  const ops: Operation[] = [];
  const has = (model: SchemaModel, t: string) => model.tables.some((x) => x.name === t);
  for (const [old, next] of Object.entries(renames.tables ?? {})) {
    if (!has(from, old))
      throw new MigrationError(`--rename ${old}=${next}: there is no table ${old} to rename`);
    if (!has(to, next))
      throw new MigrationError(`--rename ${old}=${next}: the declaration has no table ${next}`);
    ops.push(op.renameTable(old, next));
  }
  const state = applyOperations(from, ops);
  for (const [qualified, next] of Object.entries(renames.columns ?? {})) {
    const [table, old] = qualified.split(".");
    const t = state.tables.find((x) => x.name === table);
    if (!table || !old || !t?.columns.some((c) => c.name === old)) {
      throw new MigrationError(`--rename ${qualified}=${next}: there is no column ${qualified} to rename`);
    }
    if (!to.tables.find((x) => x.name === table)?.columns.some((c) => c.name === next)) {
      throw new MigrationError(
        `--rename ${qualified}=${next}: the declaration has no column ${table}.${next}`,
      );
    }
    ops.push(op.renameColumn(table, old, next));
  }
  return ops;
}

/** Parents before children; a foreign key that closes a cycle among new tables is added afterwards. */
function createInOrder(created: TableModel[], existing: Map<string, TableModel>) {
  const byName = new Map(created.map((t) => [t.name, t]));
  const done = new Set<string>();
  const visiting = new Set<string>();
  const creates: Operation[] = [];
  const deferredForeignKeys: Operation[] = [];
  const visit = (t: TableModel) => {
    if (done.has(t.name)) return;
    visiting.add(t.name);
    const deferred: ForeignKeyModel[] = [];
    for (const fk of t.foreignKeys) {
      const target = byName.get(fk.refTable);
      if (!target || target === t || done.has(target.name) || existing.has(target.name)) continue;
      if (visiting.has(target.name)) deferred.push(fk);
      else visit(target);
    }
    visiting.delete(t.name);
    done.add(t.name);
    const inline = t.foreignKeys.filter((fk) => !deferred.includes(fk));
    creates.push(op.createTable({ ...t, foreignKeys: inline }));
    for (const fk of deferred) deferredForeignKeys.push(op.addForeignKey(t.name, fk));
  };
  for (const t of created) visit(t);
  return { creates, deferredForeignKeys };
}

/**
 * Children before parents. Foreign keys between dropped tables that form a cycle are dropped first;
 * each dropTable keeps the rest of its definition so the reverse migration recreates it whole.
 */
function dropInOrder(removed: TableModel[]) {
  const names = new Set(removed.map((t) => t.name));
  const foreignKeyDrops: Operation[] = [];
  const remaining = new Map(removed.map((t) => [t.name, t]));
  const drops: Operation[] = [];
  while (remaining.size > 0) {
    const referenced = new Set(
      [...remaining.values()].flatMap((t) =>
        t.foreignKeys.filter((f) => f.refTable !== t.name).map((f) => f.refTable),
      ),
    );
    const leaves = [...remaining.values()].filter((t) => !referenced.has(t.name));
    if (leaves.length === 0) {
      // A cycle: drop one table's foreign keys into the other dropped tables, then continue.
      const t = [...remaining.values()][0]!;
      const cyclic = t.foreignKeys.filter((f) => names.has(f.refTable) && f.refTable !== t.name);
      for (const fk of cyclic) foreignKeyDrops.push(op.dropForeignKey(t.name, fk));
      remaining.set(t.name, { ...t, foreignKeys: t.foreignKeys.filter((f) => !cyclic.includes(f)) });
      continue;
    }
    for (const t of leaves) {
      drops.push(op.dropTable(t));
      remaining.delete(t.name);
    }
  }
  return { drops, foreignKeyDrops };
}

function details(t: TableModel) {
  return t.doc === undefined ? { meta: t.meta } : { doc: t.doc, meta: t.meta };
}

/** A dropped and an added column of the same kind of type may be one column renamed. */
function sameShape(a: ColumnModel, b: ColumnModel): boolean {
  return a.type.kind === b.type.kind;
}

/** A dropped and a created table with the same column names may be one table renamed. */
function sameColumns(a: TableModel, b: TableModel): boolean {
  const names = (t: TableModel) => t.columns.map((c) => c.name).join(",");
  return names(a) === names(b);
}
