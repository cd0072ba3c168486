import type { Kysely } from "kysely";
import { sql } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { AuditTrailMissingError, NotFoundError, PlinthError, StaleVersionError } from "../errors.js";
import type { ColumnModel, IndexModel, Schema, SchemaModel, TableModel } from "../schema/index.js";
import type { RowDecoder } from "./codec-plugin.js";
import { CodecPlugin } from "./codec-plugin.js";
import type { Db } from "./connect.js";
import type { RowChange, WriteHooks } from "./hooks.js";
import { ListReader } from "./list-read.js";
import { type Liveness, PointReader, readColumns } from "./point-read.js";
import type { Id, ReadOptions, Visibility } from "./repository-types.js";
import type { Drivers } from "./reusable-statement.js";
import { driversOf } from "./reusable-statement.js";
import { executorFor } from "./tx-context.js";
import { Validator } from "./validate.js";
import { applyWhere } from "./where.js";
import type { Cascade } from "./write/cascades.js";
import { cascadesOf } from "./write/cascades.js";

export type AnyRow = Record<string, unknown>;

const shared = new WeakMap<Db<Schema>, Map<string, TableAccess>>();

/**
 * Everything about one declared table that reads and writes need, worked out once per handle: keys,
 * roles, hidden columns, the validator, the codec's row decoder, the point reader and the hooks
 * that observe it. The repository and its write path share one instance.
 */
export class TableAccess {
  readonly model: TableModel;
  /** The table name as a plain string: the untyped executor needs no generic gymnastics. */
  readonly name: string;
  /** TypeScript keys of the primary-key columns. */
  readonly pk: string[];
  readonly deletedAt?: string;
  readonly version?: string;
  readonly validator: Validator;
  /** Keys of hidden columns, and of the columns a read returns by default. */
  readonly hidden: string[];
  readonly visibleKeys: string[];
  /** Database column name per key, in declaration order (the shape hooks receive). */
  readonly columnNames: Map<string, string>;
  readonly points: PointReader;
  /** findMany's compiled statements; absent on handles with extra plugins, which see every statement built. */
  readonly lists?: ListReader;
  /** The handle's Kysely and the driver's fast paths under it. */
  readonly drivers: Drivers;
  /** The handle's write hooks, when they observe this table. */
  readonly hooks?: WriteHooks;
  /**
   * An audited table a write here would change without a trail recording it: this table (`write`),
   * or one its ON DELETE rules reach (`delete`). Such writes are refused (see refuseUnrecorded).
   */
  readonly unrecorded: { write?: string; delete?: string } = {};
  /** ON DELETE rules a delete here sets off that reach a table the hooks observe (see cascadesOf). */
  readonly cascades: Cascade[];
  readonly codec?: CodecPlugin;
  /** The codec's decoding of a whole row under TypeScript keys (rows the driver returned directly). */
  readonly decodeKeyed: RowDecoder;
  /** `version + 1`, built once: every update of a versioned table sets it. */
  private readonly versionIncrement?: unknown;
  /** Keys of UUID v7 columns, generated on insert when not given. */
  private readonly uuidKeys: string[];

  constructor(
    readonly db: Db<Schema>,
    table: string,
  ) {
    const model = db.schema.model.tables.find((t) => t.name === table);
    if (!model) throw new PlinthError(`no declared table "${table}"`);
    this.model = model;
    this.name = table;
    const keyOf = (name: string) => model.columns.find((c) => c.name === name)!.key;
    this.pk = model.primaryKey.columns.map(keyOf);
    this.deletedAt = roleKey(model, "deletedAt");
    this.version = roleKey(model, "version");
    this.validator = new Validator(db.schema, model);
    this.hidden = model.columns.filter((c) => c.hidden).map((c) => c.key);
    this.visibleKeys = readColumns(model, false).map((c) => c.key);
    this.columnNames = new Map(model.columns.map((c) => [c.key, c.name]));
    if (this.version) this.versionIncrement = sql`${sql.ref(this.version)} + 1`;
    this.uuidKeys = model.columns.filter((c) => c.generated === "uuidv7").map((c) => c.key);
    const hooks = db.hooks;
    if (hooks && (hooks.observes?.(table) ?? true)) this.hooks = hooks;
    this.cascades = cascadesOf(db.schema.model, table, hooks);
    if (!db.unaudited) this.unrecorded = unrecordedAudit(db.schema.model, model, hooks);
    const root = this.root;
    this.codec = root.getExecutor().plugins.find((p): p is CodecPlugin => p instanceof CodecPlugin);
    this.decodeKeyed =
      this.codec?.rowDecoder(
        table,
        model.columns.map((c) => c.key),
      ) ?? ((row) => row);
    const column = (key: string) => model.columns.find((c) => c.key === key)!;
    this.points = new PointReader(
      root,
      model,
      this.pk.map(column),
      this.deletedAt ? column(this.deletedAt) : undefined,
    );
    this.drivers = driversOf(root);
    if (this.points.available)
      this.lists = new ListReader(
        this.drivers,
        model,
        this.deletedAt ? column(this.deletedAt) : undefined,
        this.codec,
        db.adapter.capabilities.maxParameters,
      );
  }

  /** The one TableAccess of `table` on this handle, shared by its repository and by relation loading. */
  static of(db: Db<Schema>, table: string): TableAccess {
    let tables = shared.get(db);
    if (!tables) {
      tables = new Map();
      shared.set(db, tables);
    }
    let access = tables.get(table);
    if (!access) {
      access = new TableAccess(db, table);
      tables.set(table, access);
    }
    return access;
  }

  /** The handle's Kysely, outside any transaction. */
  get root(): Kysely<any> {
    return this.db.kysely as Kysely<any>;
  }

  /** The open transaction when inside `db.transaction`, else the database. */
  get q(): Kysely<any> {
    return executorFor(this.root);
  }

  column(key: string): ColumnModel | undefined {
    return this.model.columns.find((c) => c.key === key);
  }

  /**
   * Refuses columns (TypeScript keys) that are not exactly the primary key or one unique key. Returns
   * `"live"` when the key is unique among rows not deleted only (a soft-deleted table's unique key),
   * whose conflict target then carries the index predicate (ON CONFLICT (…) WHERE deleted_at IS NULL).
   */
  requireUniqueKey(keys: string[]): "all" | "live" {
    const names = keys.map((k) => this.columnNames.get(k) ?? k);
    const same = (columns: string[]) =>
      columns.length === names.length && columns.every((c) => names.includes(c));
    const { model } = this;
    if (
      same(model.primaryKey.columns) ||
      model.uniques.some((u) => same(u.columns)) ||
      model.indexes.some((i) => i.unique && !i.where && same(i.columns))
    )
      return "all";
    const deletedAt = this.deletedAt && this.columnNames.get(this.deletedAt);
    const live = (i: IndexModel) =>
      i.unique && i.where?.op === "isNull" && i.where.column === deletedAt && same(i.columns);
    if (deletedAt && model.indexes.some(live)) return "live";
    throw new PlinthError(`${this.name}: ${names.join(", ")} is not a primary key or unique constraint`);
  }

  /** A single identity column is the key: the database numbers new rows. */
  identityKey(): boolean {
    return this.pk.length === 1 && this.column(this.pk[0]!)?.generated === "identity";
  }

  // ---- reads ----

  /** SELECT of the visible (or all) columns of live (or deleted, or all) rows matching `where`. */
  select(v: ReadOptions, where: unknown, q: Kysely<any> = this.q): any {
    let s: any = q.selectFrom(this.name);
    s = v.withHidden || this.hidden.length === 0 ? s.selectAll() : s.select(this.visibleKeys);
    if (this.deletedAt && !v.withDeleted) s = s.where(this.deletedAt, v.onlyDeleted ? "is not" : "is", null);
    return applyWhere(s, where);
  }

  /** Restricts an update to rows that are not soft-deleted. */
  live<Q extends { where: (...a: any[]) => Q }>(u: Q): Q {
    return this.deletedAt ? u.where(this.deletedAt, "is", null) : u;
  }

  /**
   * The whole row as it is now, hidden columns included (hooks and the audit trail see every column).
   * `q` is the executor of the running write, which is also what the point reader uses inside it.
   */
  async current(q: Kysely<any>, id: Id, withDeleted = false): Promise<AnyRow | undefined> {
    const key = this.keyValues(id);
    if (key && this.points.available) return this.points.read(key, withDeleted ? "all" : "live", true);
    return this.select({ withDeleted, withHidden: true }, this.idWhere(id), q).executeTakeFirst();
  }

  /**
   * The whole row as a write about to change it sees it: locked (SELECT … FOR UPDATE) where the
   * engine has row locks, so no concurrent write can change it between this read and the write, and
   * the before-image the hooks (the audit trail) record is exactly what the write replaces. Engines
   * without row locks (SQLite) have one writer at a time, which serialises the same way.
   */
  async lockedCurrent(q: Kysely<any>, id: Id, withDeleted = false): Promise<AnyRow | undefined> {
    if (!this.db.adapter.capabilities.rowLocks) return this.current(q, id, withDeleted);
    return this.select({ withDeleted, withHidden: true }, this.idWhere(id), q).forUpdate().executeTakeFirst();
  }

  /**
   * The row with these column values, deleted or not (not deleted only when `scope` is "live"), hidden
   * columns included; locked as lockedCurrent is.
   */
  async findIn(q: Kysely<any>, key: AnyRow, scope: "all" | "live" = "all"): Promise<AnyRow | undefined> {
    const select = this.select({ withDeleted: scope === "all", withHidden: true }, key, q);
    return (this.db.adapter.capabilities.rowLocks ? select.forUpdate() : select).executeTakeFirst();
  }

  /** The row without its hidden columns (a copy only when the table has any). */
  visible(row: AnyRow): AnyRow {
    if (this.hidden.length === 0) return row;
    const out = { ...row };
    for (const key of this.hidden) delete out[key];
    return out;
  }

  /** A row the driver returned under database names, as the query builder would return it. */
  decodeNamed(row: AnyRow): AnyRow {
    const out: AnyRow = {};
    for (const [key, name] of this.columnNames) out[key] = row[name];
    return this.decodeKeyed(out);
  }

  // ---- keys ----

  /** The key values of `id` in primary-key order, when it names exactly the key columns. */
  keyValues(id: Id): unknown[] | undefined {
    if (typeof id !== "object")
      return this.pk.length === 1 && id !== null && id !== undefined ? [id] : undefined;
    if (id === null || Object.keys(id).length !== this.pk.length) return undefined;
    const values = this.pk.map((k) => (id as AnyRow)[k]);
    return values.every((v) => v !== undefined && v !== null && typeof v !== "object") ? values : undefined;
  }

  idWhere(id: Id): AnyRow {
    if (typeof id === "object") return { ...id };
    if (this.pk.length !== 1)
      throw new PlinthError(`${this.name} has a composite key: pass an object of key columns`);
    return { [this.pk[0]!]: id };
  }

  idExpr(eb: any, id: Id) {
    const where = this.idWhere(id);
    return eb.and(Object.entries(where).map(([k, v]) => eb(k, "=", v)));
  }

  idOf(row: AnyRow): Id {
    return this.pk.length === 1
      ? (row[this.pk[0]!] as Id)
      : Object.fromEntries(this.pk.map((k) => [k, row[k]]));
  }

  // ---- writes ----

  /** Values to insert: validated, undefined left out, UUID v7 keys generated. */
  prepareInsert(values: AnyRow): AnyRow {
    // The caller's object is used as it is when nothing needs dropping or adding (a bulk insert then
    // makes no copy per row); it is never changed.
    const needsCopy = hasUndefined(values) || this.uuidKeys.some((key) => values[key] === undefined);
    const row = needsCopy ? stripUndefined(values) : values;
    this.validator.check(row, "insert");
    for (const key of this.uuidKeys) if (row[key] === undefined) row[key] = uuidv7();
    return row;
  }

  /** Values to set: validated, with the version column incremented rather than set. */
  prepareUpdate(patch: AnyRow): AnyRow {
    const set = stripUndefined(patch);
    if (this.version) delete set[this.version];
    this.validator.check(set, "update");
    if (this.versionIncrement) set[this.version!] = this.versionIncrement;
    if (Object.keys(set).length === 0) throw new PlinthError(`${this.name}: empty update`);
    return set;
  }

  /** The UPDATE of one live row, at `expectedVersion` when given. */
  updateOne(q: Kysely<any>, id: Id, set: AnyRow, expectedVersion: number | undefined) {
    let u = this.live(
      q
        .updateTable(this.name)
        .set(set)
        .where((eb: any) => this.idExpr(eb, id)),
    );
    if (expectedVersion !== undefined) u = u.where(this.version!, "=", expectedVersion);
    return u;
  }

  /** Why an UPDATE of one live row matched nothing, given the live row as it is now. */
  notUpdated(id: Id, current: AnyRow | undefined, expectedVersion: number | undefined): PlinthError {
    if (!current || expectedVersion === undefined) return new NotFoundError(this.name, id);
    return new StaleVersionError(this.name, id, expectedVersion, Number(current[this.version!]));
  }

  /** Tells the hooks (inside the write's transaction) what changed. */
  async emit(q: Kysely<any>, action: RowChange["action"], before?: AnyRow, after?: AnyRow): Promise<void> {
    if (this.hooks) await this.hooks.afterWrite(q, this.change(action, before, after));
  }

  /** A write as hooks see it: database column names, the key as text (rowChange, with the maps made once). */
  change(action: RowChange["action"], before?: AnyRow, after?: AnyRow): RowChange {
    const row = (after ?? before)!;
    const change: RowChange = {
      table: this.name,
      rowId: this.pk.map((k) => String(row[k])).join(","),
      action,
    };
    if (before) change.before = this.toColumnNames(before);
    if (after) change.after = this.toColumnNames(after);
    return change;
  }

  private toColumnNames(row: AnyRow): AnyRow {
    const out: AnyRow = {};
    for (const [key, name] of this.columnNames) out[name] = row[key];
    return out;
  }
}

export function liveness(v: Visibility): Liveness {
  return v.withDeleted ? "all" : v.onlyDeleted ? "deleted" : "live";
}

export function roleKey(model: TableModel, role: ColumnModel["role"]): string | undefined {
  return model.columns.find((c) => c.role === role)?.key;
}

/** A copy without the undefined values (own enumerable keys, as Object.entries sees them). */
function hasUndefined(values: AnyRow): boolean {
  for (const key in values) if (Object.hasOwn(values, key) && values[key] === undefined) return true;
  return false;
}

function stripUndefined(values: AnyRow): AnyRow {
  const out: AnyRow = {};
  for (const key of Object.keys(values)) {
    const v = values[key];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/**
 * Which audited tables writes to `table` would change unrecorded: the table itself when no hook
 * observes it, and for deletes the first audited table its ON DELETE CASCADE / SET NULL rules reach
 * that no hook observes.
 */
function unrecordedAudit(
  model: SchemaModel,
  table: TableModel,
  hooks: WriteHooks | undefined,
): { write?: string; delete?: string } {
  const observed = (name: string) => hooks !== undefined && (hooks.observes?.(name) ?? true);
  const missing = (name: string) =>
    model.tables.find((t) => t.name === name)?.meta.audit === true && !observed(name);
  const write = missing(table.name) ? table.name : undefined;
  const reached = (edges: Cascade[]): string | undefined => {
    for (const edge of edges) {
      if (missing(edge.child.name)) return edge.child.name;
      const deeper = reached(edge.next);
      if (deeper) return deeper;
    }
    return undefined;
  };
  const probe: WriteHooks = { afterWrite: async () => {}, observes: missing };
  return { write, delete: write ?? reached(cascadesOf(model, table.name, probe)) };
}

/** Throws when a write of this kind would change an audited table that nothing records. */
export function refuseUnrecorded(t: TableAccess, kind: "write" | "delete"): void {
  const table = t.unrecorded[kind];
  if (table) throw new AuditTrailMissingError(table);
}
