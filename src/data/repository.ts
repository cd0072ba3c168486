import type { CompiledQuery, Kysely } from "kysely";
import { sql } from "kysely";
import { v7 as uuidv7 } from "uuid";
import { NotFoundError, PlinthError, StaleVersionError, ValidationError } from "../errors.js";
import type { ColumnModel, Schema, TableModel } from "../schema/index.js";
import type { RowDecoder } from "./codec-plugin.js";
import { CodecPlugin } from "./codec-plugin.js";
import type { Db } from "./connect.js";
import { invalidateCounts, readThroughCount } from "./count-cache.js";
import type { RowChange, WriteHooks } from "./hooks.js";
import { NativePostgres } from "./native-postgres.js";
import { NativeSqlite } from "./native-sqlite.js";
import type { CursorMeta, PageMeta } from "./pagination.js";
import { afterPredicate, decodeCursor, encodeCursor, normalizeOrder, uniqueOrder } from "./pagination.js";
import { type Liveness, PointReader, readColumns } from "./point-read.js";
import type { Relation, TargetReader } from "./relations.js";
import { loadRelations, relationsOf } from "./relations.js";
import type {
  CursorOptions,
  FindOptions,
  Id,
  Loaded,
  NewRowOf,
  PageOptions,
  PatchOf,
  ReadOptions,
  RowOf,
  TableName,
  Visibility,
  VisibleRowOf,
  Where,
} from "./repository-types.js";

import type { SearchHit, SearchOptions } from "./search.js";
import { search } from "./search.js";
import { executorFor, inTransaction, runTransaction } from "./tx-context.js";
import { Validator } from "./validate.js";

type AnyRow = Record<string, unknown>;

/** Options of a read by primary key. */
type ByIdOptions<S extends Schema, N extends TableName<S>> = ReadOptions & {
  include?: FindOptions<S, N>["include"];
};
/** Reads given this get every column, hidden ones included, in their type too. */
type WithHidden = { withHidden: true };

/** Bound parameters one statement may carry, per dialect (SQLite's default since 3.32). */
export const MAX_PARAMETERS = { sqlite: 32766, postgres: 65535, mysql: 65535 } as const;

/** Rows per INSERT so that rows × columns stays within the engine's parameter limit. */
export function rowsPerStatement(dialect: keyof typeof MAX_PARAMETERS, columns: number): number {
  return Math.max(1, Math.floor(MAX_PARAMETERS[dialect] / Math.max(1, columns)));
}

/**
 * Typed access to one declared table. Subclass it for table-specific queries; the plumbing
 * (transactions, soft delete, versions, validation, hooks, count cache) stays here:
 *
 *   class AccountRepo extends Repository<typeof app, "account"> {
 *     byUsername(username: string) { return this.findOne({ username }); }
 *   }
 *   const accounts = new AccountRepo(db, "account");
 */
export class Repository<S extends Schema, N extends TableName<S>> {
  protected readonly model: TableModel;
  protected readonly pk: string[];
  protected readonly deletedAt?: string;
  protected readonly version?: string;
  private readonly validator: Validator;
  private readonly relations: Map<string, Relation>;
  /** The table name as a plain string: the untyped executor needs no generic gymnastics. */
  private readonly name: string;
  /** Keys of hidden columns, and of the columns a read returns by default. */
  private readonly hidden: string[];
  private readonly visibleKeys: string[];
  /** Database column name per key, in declaration order (the shape hooks receive). */
  private readonly columnNames: Map<string, string>;
  private readonly points: PointReader;
  /** The handle's write hooks, when they observe this table. */
  private readonly hooks?: WriteHooks;
  /** SQLite's driver, for writes that run on it synchronously. */
  private readonly sqlite?: NativeSqlite;
  /** The PostgreSQL server's pool, for the single-statement update outside a transaction. */
  private readonly pg?: NativePostgres;
  /** The codec's decoding of a whole row under TypeScript keys (rows the driver returned directly). */
  private readonly decodeKeyed: RowDecoder;
  private readonly codec?: CodecPlugin;

  constructor(
    protected readonly db: Db<S>,
    readonly table: N,
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
    this.relations = relationsOf(db.schema.model, model);
    this.hidden = model.columns.filter((c) => c.hidden).map((c) => c.key);
    this.visibleKeys = readColumns(model, false).map((c) => c.key);
    this.columnNames = new Map(model.columns.map((c) => [c.key, c.name]));
    const column = (key: string) => model.columns.find((c) => c.key === key)!;
    const hooks = db.hooks;
    if (hooks && (hooks.observes?.(table) ?? true)) this.hooks = hooks;
    const root = db.kysely as Kysely<any>;
    this.sqlite = NativeSqlite.of(root);
    this.pg = NativePostgres.of(root);
    const codec = root.getExecutor().plugins.find((p): p is CodecPlugin => p instanceof CodecPlugin);
    this.codec = codec;
    this.decodeKeyed =
      codec?.rowDecoder(
        table,
        model.columns.map((c) => c.key),
      ) ?? ((row) => row);
    this.points = new PointReader(
      db.kysely as Kysely<any>,
      model,
      this.pk.map(column),
      this.deletedAt ? column(this.deletedAt) : undefined,
    );
  }

  /** The open transaction when inside `db.transaction`, else the database. */
  protected get q(): Kysely<any> {
    return executorFor(this.db.kysely as Kysely<any>);
  }

  // ---- reads ----

  /**
   * The row with this primary key, or undefined. The hot path: a statement compiled once per table
   * (see PointReader), and no async function of its own when nothing is included.
   */
  getById(id: Id, options: ByIdOptions<S, N> & WithHidden): Promise<Loaded<RowOf<S, N>> | undefined>;
  getById(id: Id, options?: ByIdOptions<S, N>): Promise<Loaded<VisibleRowOf<S, N>> | undefined>;
  getById(id: Id, options: ByIdOptions<S, N> = {}): Promise<AnyRow | undefined> {
    const key = this.keyValues(id);
    if (!key || !this.points.available || options.include) return this.findById(id, options);
    return this.points.read(key, liveness(options), options.withHidden === true);
  }

  private async findById(id: Id, options: ByIdOptions<S, N>) {
    const rows = await this.findMany({ ...options, where: this.idWhere(id) as Where<S, N>, limit: 1 });
    return rows[0];
  }

  getByIdOrThrow(id: Id, options: ByIdOptions<S, N> & WithHidden): Promise<Loaded<RowOf<S, N>>>;
  getByIdOrThrow(id: Id, options?: ByIdOptions<S, N>): Promise<Loaded<VisibleRowOf<S, N>>>;
  async getByIdOrThrow(id: Id, options: ByIdOptions<S, N> = {}): Promise<AnyRow> {
    const row = await this.getById(id, options);
    if (!row) throw new NotFoundError(this.table, id);
    return row;
  }

  findOne(where: Where<S, N>, options: ReadOptions & WithHidden): Promise<RowOf<S, N> | undefined>;
  findOne(where: Where<S, N>, options?: ReadOptions): Promise<VisibleRowOf<S, N> | undefined>;
  async findOne(where: Where<S, N>, options: ReadOptions = {}): Promise<AnyRow | undefined> {
    return (await this.findMany({ ...options, where, limit: 1 }))[0];
  }

  findMany(options: FindOptions<S, N> & WithHidden): Promise<Loaded<RowOf<S, N>>[]>;
  findMany(options?: FindOptions<S, N>): Promise<Loaded<VisibleRowOf<S, N>>[]>;
  async findMany(options: FindOptions<S, N> = {}): Promise<AnyRow[]> {
    let q = this.select(options, options.where);
    for (const [column, direction] of normalizeOrder(options.orderBy)) q = q.orderBy(column, direction);
    if (options.limit !== undefined) q = q.limit(options.limit);
    // SQLite and MySQL accept OFFSET only after a LIMIT.
    else if (options.offset !== undefined) q = q.limit(Number.MAX_SAFE_INTEGER);
    if (options.offset !== undefined) q = q.offset(options.offset);
    const rows = (await q.execute()) as AnyRow[];
    await this.attach(rows, options.include, options.withHidden);
    return rows;
  }

  async exists(where: Where<S, N>, options: Visibility = {}): Promise<boolean> {
    const row = await this.select(options, where)
      .clearSelect()
      .select(sql.lit(1).as("one"))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async count(where?: Where<S, N>, options: Visibility = {}): Promise<number> {
    const row = await this.select(options, where)
      .clearSelect()
      .select((eb: any) => eb.fn.countAll().as("count"))
      .executeTakeFirstOrThrow();
    return Number((row as { count: unknown }).count);
  }

  /** Full-text search over the table's declared `fullText` index, best match first (see search()). */
  search(query: string, options: SearchOptions<S, N> = {}): Promise<SearchHit<S, N>[]> {
    return search(this.db, this.table, query, options);
  }

  /** Offset pagination (`page`, `perPage`) or keyset pagination (`limit`, `after`). */
  paginate(
    options: PageOptions<S, N> & WithHidden,
  ): Promise<{ items: Loaded<RowOf<S, N>>[]; meta: PageMeta }>;
  paginate(options: PageOptions<S, N>): Promise<{ items: Loaded<VisibleRowOf<S, N>>[]; meta: PageMeta }>;
  paginate(
    options: CursorOptions<S, N> & WithHidden,
  ): Promise<{ items: Loaded<RowOf<S, N>>[]; meta: CursorMeta }>;
  paginate(options: CursorOptions<S, N>): Promise<{ items: Loaded<VisibleRowOf<S, N>>[]; meta: CursorMeta }>;
  async paginate(options: PageOptions<S, N> | CursorOptions<S, N>): Promise<unknown> {
    if ("page" in options) return this.pageByOffset(options);
    return this.pageByCursor(options);
  }

  private async pageByOffset(o: PageOptions<S, N>) {
    const orderBy = o.orderBy ?? (this.pk as unknown as FindOptions<S, N>["orderBy"]);
    const rows = await this.findMany({
      ...o,
      orderBy,
      limit: o.perPage + 1,
      offset: (o.page - 1) * o.perPage,
    });
    const meta: PageMeta = { page: o.page, perPage: o.perPage, hasNext: rows.length > o.perPage };
    if (!o.skipCount) meta.total = await this.cachedCount(o.where, o);
    return { items: rows.slice(0, o.perPage), meta };
  }

  private async pageByCursor(o: CursorOptions<S, N>) {
    const order = uniqueOrder(normalizeOrder(o.orderBy), this.pk);
    // The cursor is made of the ordering columns: read a hidden one to build it, then drop it.
    const hiddenOrder = !o.withHidden && order.some(([c]) => this.hidden.includes(c));
    let q = this.select({ ...o, withHidden: o.withHidden || hiddenOrder }, o.where);
    if (o.after !== undefined) {
      const values = decodeCursor(o.after, order);
      q = q.where((eb: any) => afterPredicate(eb, order, values));
    }
    for (const [column, direction] of order) q = q.orderBy(column, direction);
    const rows = (await q.limit(o.limit + 1).execute()) as AnyRow[];
    let items = rows.slice(0, o.limit);
    const meta: CursorMeta = { limit: o.limit, hasNext: rows.length > o.limit };
    const last = items[items.length - 1];
    if (meta.hasNext && last) meta.nextCursor = encodeCursor(order, last);
    if (hiddenOrder) items = items.map((r) => this.visible(r));
    await this.attach(items, o.include, o.withHidden);
    return { items: items as AnyRow[], meta };
  }

  /**
   * Counts are cached per where-object; callback wheres cannot be keyed, so they are always counted.
   * Inside a transaction the count includes its uncommitted writes, which the shared cache must not
   * hand to anyone else, so it is counted without the cache.
   */
  private async cachedCount(where: Where<S, N> | undefined, v: Visibility): Promise<number> {
    if (typeof where === "function" || inTransaction(this.db.kysely as Kysely<any>))
      return this.count(where, v);
    const key = `${this.table}:${JSON.stringify({ where: where ?? {}, d: v.withDeleted, o: v.onlyDeleted })}`;
    return readThroughCount(this.db.counts, key, this.db.countTtlMs, () => this.count(where, v));
  }

  // ---- writes ----

  async create(values: NewRowOf<S, N>): Promise<VisibleRowOf<S, N>> {
    const row = this.prepareInsert(values as AnyRow);
    return this.write(async (q) => {
      const created = await this.insertOne(q, row);
      await this.emit(q, "create", undefined, created);
      return this.visible(created) as VisibleRowOf<S, N>;
    });
  }

  /**
   * Inserts many rows in one transaction, split into statements that stay below the engine's
   * bound-parameter limit. Returns the rows as read back, in input order.
   */
  async createMany(values: readonly NewRowOf<S, N>[]): Promise<VisibleRowOf<S, N>[]> {
    const issues: ValidationError["issues"] = [];
    const rows = values.map((v, i) => {
      try {
        return this.prepareInsert(v as AnyRow);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        issues.push(...error.issues.map((issue) => ({ ...issue, message: `row ${i}: ${issue.message}` })));
        return {};
      }
    });
    if (issues.length > 0) throw ValidationError.of(issues);
    if (rows.length === 0) return [];
    return this.write(
      async (q) => {
        const out: AnyRow[] = [];
        for (const batch of batches(rows, this.db.dialect)) {
          const created = await this.insertBatch(q, batch);
          for (const row of created) await this.emit(q, "create", undefined, row);
          for (const row of created) out.push(this.visible(row));
        }
        return out as VisibleRowOf<S, N>[];
      },
      { always: true },
    );
  }

  /**
   * Updates one row. Tables with a version column get it incremented; with `expectedVersion` the
   * update only applies to that version (`WHERE id = ? AND version = ?`), else StaleVersionError.
   */
  async update(
    id: Id,
    patch: PatchOf<S, N>,
    options: { expectedVersion?: number } = {},
  ): Promise<VisibleRowOf<S, N>> {
    const set = this.prepareUpdate(patch as AnyRow);
    const { expectedVersion } = options;
    if (expectedVersion !== undefined && !this.version)
      throw new PlinthError(`${this.table} has no version column`);
    const key = this.keyValues(id);
    if (key && this.writesNatively()) return this.updateNatively(id, key, set, expectedVersion);
    const single = key && this.singleStatementUpdate(id, key, set, expectedVersion);
    if (single) return this.updateInOneStatement(id, single, expectedVersion);
    return this.write(async (q) => {
      const before = this.hooks ? await this.current(q, id) : undefined;
      if (this.hooks && !before) throw new NotFoundError(this.table, id);
      const u = this.updateOne(q, id, set, expectedVersion);
      let after: AnyRow | undefined;
      if (this.db.dialect === "mysql") {
        const result = await u.executeTakeFirst();
        if (Number(result.numUpdatedRows) > 0 || expectedVersion === undefined)
          after = await this.current(q, id);
      } else {
        after = await u.returningAll().executeTakeFirst();
      }
      if (!after) throw this.notUpdated(id, await this.current(q, id), expectedVersion);
      await this.emit(q, "update", before, after);
      return this.visible(after) as VisibleRowOf<S, N>;
    });
  }

  /** Updates every (live) row matching `where`; returns how many. */
  async updateMany(where: Where<S, N>, patch: PatchOf<S, N>): Promise<number> {
    const set = this.prepareUpdate(patch as AnyRow);
    return this.write(
      async (q) => {
        const before = (await this.select({ withHidden: true }, where, q).execute()) as AnyRow[];
        const size = Math.floor((MAX_PARAMETERS[this.db.dialect] - 1000) / this.pk.length);
        for (const chunk of chunks(before, size)) {
          await q
            .updateTable(this.name)
            .set(set)
            .where((eb: any) =>
              this.pk.length === 1
                ? eb(
                    this.pk[0]!,
                    "in",
                    chunk.map((r) => r[this.pk[0]!]),
                  )
                : eb.or(chunk.map((r) => this.idExpr(eb, this.idOf(r)))),
            )
            .execute();
          if (!this.hooks) continue;
          for (const row of chunk)
            await this.emit(q, "update", row, await this.current(q, this.idOf(row), true));
        }
        return before.length;
      },
      { always: true },
    );
  }

  /** Deletes a row: sets deleted_at on soft-delete tables, else removes it. False when there was none. */
  async delete(id: Id): Promise<boolean> {
    if (!this.deletedAt) return this.hardDelete(id);
    return this.setDeleted(id, new Date());
  }

  /** Clears deleted_at. False when the row is missing or not deleted. */
  async restore(id: Id): Promise<boolean> {
    if (!this.deletedAt) throw new PlinthError(`${this.table} has no soft-delete column`);
    return this.setDeleted(id, null);
  }

  /** Removes the row, soft-delete table or not. */
  async hardDelete(id: Id): Promise<boolean> {
    return this.write(async (q) => {
      const before = this.hooks ? await this.current(q, id, true) : undefined;
      const result = await q
        .deleteFrom(this.name)
        .where((eb: any) => this.idExpr(eb, id))
        .executeTakeFirst();
      const deleted = Number(result.numDeletedRows) > 0;
      if (deleted) await this.emit(q, "delete", before, undefined);
      return deleted;
    });
  }

  /**
   * Inserts, or updates the row that has the same `conflict` columns (which must be a primary key or
   * unique constraint): ON CONFLICT on PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE on MySQL.
   */
  async upsert(
    values: NewRowOf<S, N>,
    options: { conflict: (keyof RowOf<S, N> & string)[] },
  ): Promise<VisibleRowOf<S, N>> {
    const row = this.prepareInsert(values as AnyRow);
    const { conflict } = options;
    const patch: AnyRow = {};
    for (const [k, v] of Object.entries(row))
      if (!conflict.includes(k as never) && !this.pk.includes(k)) patch[k] = v;
    if (this.version) patch[this.version] = sql`${sql.ref(`${this.table}.${this.version}`)} + 1`;
    if (Object.keys(patch).length === 0) patch[conflict[0]!] = sql.ref(`${this.table}.${conflict[0]!}`);
    const key = Object.fromEntries(conflict.map((c) => [c, row[c]]));
    return this.write(async (q) => {
      const before = this.hooks ? await this.findIn(q, key) : undefined;
      let after: AnyRow;
      if (this.db.dialect === "mysql") {
        await q.insertInto(this.name).values(row).onDuplicateKeyUpdate(patch).execute();
        after = (await this.findIn(q, key))!;
      } else {
        after = await q
          .insertInto(this.name)
          .values(row)
          .onConflict((oc: any) => oc.columns(conflict).doUpdateSet(patch))
          .returningAll()
          .executeTakeFirstOrThrow();
      }
      await this.emit(q, before ? "update" : "create", before, after);
      return this.visible(after) as VisibleRowOf<S, N>;
    });
  }

  // ---- plumbing ----

  /**
   * Runs a write. A single statement needs no transaction, so without hooks PostgreSQL and SQLite
   * write with one autocommitted statement (which also keeps better-sqlite3, a synchronous driver,
   * from holding a lock across an await). Hooks, MySQL's read-back and multi-statement writes get a
   * transaction, or join the caller's.
   */
  private async write<T>(fn: (q: Kysely<any>) => Promise<T>, opts: { always?: boolean } = {}): Promise<T> {
    const root = this.db.kysely as Kysely<any>;
    const needsTx = opts.always || this.hooks !== undefined || this.db.dialect === "mysql";
    try {
      if (inTransaction(root) || !needsTx) return await fn(this.q);
      return await runTransaction(root, (trx) => fn(trx));
    } finally {
      await invalidateCounts(root, this.db.counts, this.table);
    }
  }

  private prepareInsert(values: AnyRow): AnyRow {
    const row = stripUndefined(values);
    this.validator.check(row, "insert");
    for (const c of this.model.columns)
      if (c.generated === "uuidv7" && row[c.key] === undefined) row[c.key] = uuidv7();
    return row;
  }

  private prepareUpdate(patch: AnyRow): AnyRow {
    const set = stripUndefined(patch);
    if (this.version) delete set[this.version];
    this.validator.check(set, "update");
    if (this.version) set[this.version] = sql`${sql.ref(this.version)} + 1`;
    if (Object.keys(set).length === 0) throw new PlinthError(`${this.table}: empty update`);
    return set;
  }

  /** The UPDATE of one live row, at `expectedVersion` when given. */
  private updateOne(q: Kysely<any>, id: Id, set: AnyRow, expectedVersion: number | undefined) {
    let u = this.live(
      q
        .updateTable(this.name)
        .set(set)
        .where((eb: any) => this.idExpr(eb, id)),
    );
    if (expectedVersion !== undefined) u = u.where(this.version!, "=", expectedVersion);
    return u;
  }

  /**
   * Whether a write can run whole on SQLite's driver now: synchronously, so a multi-statement write
   * needs no lock held across an await (see NativeSqlite), with hooks that can hand over their
   * statements instead of running them.
   */
  private writesNatively(): boolean {
    return (
      this.sqlite !== undefined &&
      this.points.nativeReads &&
      (!this.hooks || this.hooks.statementsFor !== undefined) &&
      this.sqlite.usable()
    );
  }

  /**
   * `update` on SQLite's driver: the read before (for hooks), the UPDATE … RETURNING and the hooks'
   * statements in one synchronous transaction; without hooks, the UPDATE alone. The UPDATE is still
   * built and compiled by Kysely with the handle's plugins, so values are encoded as on every path.
   */
  private async updateNatively(
    id: Id,
    key: readonly unknown[],
    set: AnyRow,
    expectedVersion: number | undefined,
  ): Promise<VisibleRowOf<S, N>> {
    const sqlite = this.sqlite!;
    const hooks = this.hooks;
    const root = this.db.kysely as Kysely<any>;
    const statement = this.updateOne(this.q, id, set, expectedVersion).returningAll().compile();
    const updated = (): AnyRow => {
      const row = sqlite.getCompiled(statement);
      if (row) return this.decodeNamed(row);
      throw this.notUpdated(id, this.points.readNow(key, "live", true), expectedVersion);
    };
    let after: AnyRow;
    try {
      after = !hooks
        ? updated()
        : sqlite.atomic(() => {
            const before = this.points.readNow(key, "live", true);
            if (!before) throw new NotFoundError(this.table, id);
            const row = updated();
            for (const s of hooks.statementsFor!(root, this.change("update", before, row)))
              sqlite.runCompiled(s);
            return row;
          });
    } finally {
      await invalidateCounts(root, this.db.counts, this.table);
    }
    return this.visible(after) as VisibleRowOf<S, N>;
  }

  /**
   * On a PostgreSQL server, outside a transaction, an update that needs one statement, run on the
   * pool as a prepared statement: the UPDATE … RETURNING itself when no hooks observe the table, or
   * the hooks' single statement for it (the audit trail: lock, update and audit INSERT together,
   * in place of BEGIN, read, UPDATE, INSERT and COMMIT). Planning that statement costs more than
   * running it, hence prepared. Inside a transaction, and on PGlite (no network to save, no prepared
   * statements to keep a plan), the transaction path is as fast.
   */
  private singleStatementUpdate(
    id: Id,
    key: readonly unknown[],
    set: AnyRow,
    expectedVersion: number | undefined,
  ): { statement: CompiledQuery; decode: (row: AnyRow) => AnyRow } | undefined {
    if (!this.pg?.usable()) return undefined;
    if (!this.hooks) {
      const statement = this.updateOne(this.q, id, set, expectedVersion).returningAll().compile();
      return { statement, decode: (row) => this.decodeNamed(row) };
    }
    if (!this.hooks.updateStatement || !this.codec) return undefined;
    const named: AnyRow = {};
    const nameOf = (k: string) => this.columnNames.get(k)!;
    for (const [k, value] of Object.entries(set)) {
      if (k === this.version) continue;
      named[nameOf(k)] = this.codec.encodeValue(this.table, nameOf(k), value);
    }
    const keyNamed: AnyRow = {};
    this.pk.forEach((k, i) => {
      keyNamed[nameOf(k)] = key[i];
    });
    const statement = this.hooks.updateStatement({
      table: this.table,
      set: named,
      key: keyNamed,
      version: this.version && nameOf(this.version),
      expectedVersion,
      deletedAt: this.deletedAt && nameOf(this.deletedAt),
    });
    // The hooks' statement returns every column under its TypeScript key already.
    return statement && { statement, decode: (row) => this.decodeKeyed(row) };
  }

  /** Runs the single statement: one round trip, atomic on its own. */
  private async updateInOneStatement(
    id: Id,
    single: { statement: CompiledQuery; decode: (row: AnyRow) => AnyRow },
    expectedVersion: number | undefined,
  ): Promise<VisibleRowOf<S, N>> {
    const root = this.db.kysely as Kysely<any>;
    try {
      const [row] = await this.pg!.rows(single.statement);
      if (row) return this.visible(single.decode(row)) as VisibleRowOf<S, N>;
      throw this.notUpdated(id, await this.current(this.q, id), expectedVersion);
    } finally {
      await invalidateCounts(root, this.db.counts, this.table);
    }
  }

  /** Why an UPDATE of one live row matched nothing, given the live row as it is now. */
  private notUpdated(id: Id, current: AnyRow | undefined, expectedVersion: number | undefined): PlinthError {
    if (!current || expectedVersion === undefined) return new NotFoundError(this.table, id);
    return new StaleVersionError(this.table, id, expectedVersion, Number(current[this.version!]));
  }

  /** A row the driver returned under database names, as the query builder would return it. */
  private decodeNamed(row: AnyRow): AnyRow {
    const out: AnyRow = {};
    for (const [key, name] of this.columnNames) out[key] = row[name];
    return this.decodeKeyed(out);
  }

  private async insertOne(q: Kysely<any>, row: AnyRow): Promise<AnyRow> {
    if (this.db.dialect !== "mysql")
      return q.insertInto(this.name).values(row).returningAll().executeTakeFirstOrThrow();
    const result = await q.insertInto(this.name).values(row).executeTakeFirstOrThrow();
    const id = this.identityKey() ? { [this.pk[0]!]: Number(result.insertId) } : this.idOf(row);
    return (await this.current(q, id, true))!;
  }

  private async insertBatch(q: Kysely<any>, rows: AnyRow[]): Promise<AnyRow[]> {
    if (this.db.dialect !== "mysql") return q.insertInto(this.name).values(rows).returningAll().execute();
    const result = await q.insertInto(this.name).values(rows).executeTakeFirstOrThrow();
    const key = this.pk[0]!;
    if (this.identityKey()) {
      // InnoDB gives one multi-row INSERT consecutive ids ("simple insert"), starting at insertId.
      const first = Number(result.insertId);
      return q
        .selectFrom(this.name)
        .selectAll()
        .where(key, ">=", first)
        .where(key, "<", first + rows.length)
        .orderBy(key)
        .execute();
    }
    const found: AnyRow[] = [];
    for (const row of rows) found.push((await this.current(q, this.idOf(row), true))!);
    return found;
  }

  private identityKey(): boolean {
    return this.pk.length === 1 && this.column(this.pk[0]!)?.generated === "identity";
  }

  private setDeleted(id: Id, at: Date | null): Promise<boolean> {
    const deletedAt = this.deletedAt!;
    return this.write(async (q) => {
      const before = this.hooks ? await this.current(q, id, true) : undefined;
      const result = await q
        .updateTable(this.name)
        .set({ [deletedAt]: at })
        .where((eb: any) => this.idExpr(eb, id))
        .where(deletedAt, at === null ? "is not" : "is", null)
        .executeTakeFirst();
      const changed = Number(result.numUpdatedRows) > 0;
      // A soft delete keeps the row, so the audit sees it as the update it is (deleted_at set).
      if (changed) await this.emit(q, "update", before, await this.current(q, id, true));
      return changed;
    });
  }

  private select(v: ReadOptions, where: Where<S, N> | undefined, q: Kysely<any> = this.q): any {
    let s: any = q.selectFrom(this.name);
    s = v.withHidden || this.hidden.length === 0 ? s.selectAll() : s.select(this.visibleKeys);
    if (this.deletedAt && !v.withDeleted) s = s.where(this.deletedAt, v.onlyDeleted ? "is not" : "is", null);
    return applyWhere(s, where);
  }

  /** Restricts an update to rows that are not soft-deleted. */
  private live<Q extends { where: (...a: any[]) => Q }>(u: Q): Q {
    return this.deletedAt ? u.where(this.deletedAt, "is", null) : u;
  }

  /**
   * The whole row as it is now, hidden columns included (hooks and the audit trail see every column).
   * `q` is the executor of the running write, which is also what the point reader uses inside it.
   */
  private async current(q: Kysely<any>, id: Id, withDeleted = false): Promise<AnyRow | undefined> {
    const key = this.keyValues(id);
    if (key && this.points.available) return this.points.read(key, withDeleted ? "all" : "live", true);
    return this.select(
      { withDeleted, withHidden: true },
      this.idWhere(id) as Where<S, N>,
      q,
    ).executeTakeFirst();
  }

  private async findIn(q: Kysely<any>, key: AnyRow): Promise<AnyRow | undefined> {
    return this.select({ withDeleted: true, withHidden: true }, key as Where<S, N>, q).executeTakeFirst();
  }

  /** The row without its hidden columns (a copy only when the table has any). */
  private visible(row: AnyRow): AnyRow {
    if (this.hidden.length === 0) return row;
    const out = { ...row };
    for (const key of this.hidden) delete out[key];
    return out;
  }

  private attach(
    rows: AnyRow[],
    include: FindOptions<S, N>["include"],
    withHidden: boolean | undefined,
  ): Promise<void> {
    if (!include || rows.length === 0) return Promise.resolve();
    const schema = this.db.schema.model;
    const q = this.q;
    const readTarget: TargetReader = (table, key) => {
      const model = schema.tables.find((t) => t.name === table)!;
      const deletedAt = roleKey(model, "deletedAt");
      const hidden = withHidden ? [] : model.columns.filter((c) => c.hidden).map((c) => c.key);
      let s: any = q.selectFrom(table);
      if (hidden.length === 0) s = s.selectAll();
      else
        s = s.select(
          readColumns(model, false)
            .map((c) => c.key)
            .concat(hidden.includes(key) ? [key] : []),
        );
      if (deletedAt) s = s.where(deletedAt, "is", null);
      return { query: s, strip: hidden.includes(key) ? [key] : [] };
    };
    return loadRelations(rows, this.relations, include, readTarget, MAX_PARAMETERS[this.db.dialect] - 100);
  }

  /** The key values of `id` in primary-key order, when it names exactly the key columns. */
  private keyValues(id: Id): unknown[] | undefined {
    if (typeof id !== "object")
      return this.pk.length === 1 && id !== null && id !== undefined ? [id] : undefined;
    if (id === null || Object.keys(id).length !== this.pk.length) return undefined;
    const values = this.pk.map((k) => (id as AnyRow)[k]);
    return values.every((v) => v !== undefined && v !== null && typeof v !== "object") ? values : undefined;
  }

  private idWhere(id: Id): AnyRow {
    if (typeof id === "object") return { ...id };
    if (this.pk.length !== 1)
      throw new PlinthError(`${this.table} has a composite key: pass an object of key columns`);
    return { [this.pk[0]!]: id };
  }

  private idExpr(eb: any, id: Id) {
    const where = this.idWhere(id);
    return eb.and(Object.entries(where).map(([k, v]) => eb(k, "=", v)));
  }

  private idOf(row: AnyRow): Id {
    return this.pk.length === 1
      ? (row[this.pk[0]!] as Id)
      : Object.fromEntries(this.pk.map((k) => [k, row[k]]));
  }

  private column(key: string): ColumnModel | undefined {
    return this.model.columns.find((c) => c.key === key);
  }

  private async emit(
    q: Kysely<any>,
    action: RowChange["action"],
    before?: AnyRow,
    after?: AnyRow,
  ): Promise<void> {
    if (this.hooks) await this.hooks.afterWrite(q, this.change(action, before, after));
  }

  /** A write as hooks see it: database column names, the key as text. */
  private change(action: RowChange["action"], before?: AnyRow, after?: AnyRow): RowChange {
    const row = (after ?? before)!;
    const change: RowChange = {
      table: this.table,
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

function liveness(v: Visibility): Liveness {
  return v.withDeleted ? "all" : v.onlyDeleted ? "deleted" : "live";
}

function roleKey(model: TableModel, role: ColumnModel["role"]): string | undefined {
  return model.columns.find((c) => c.role === role)?.key;
}

function stripUndefined(values: AnyRow): AnyRow {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
}

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

/** Consecutive runs of rows with the same columns (a multi-row VALUES needs one column list), capped by parameters. */
function batches(rows: AnyRow[], dialect: keyof typeof MAX_PARAMETERS): AnyRow[][] {
  const out: AnyRow[][] = [];
  let current: AnyRow[] = [];
  let signature = "";
  let cap = 0;
  for (const row of rows) {
    const keys = Object.keys(row).sort().join(",");
    if (keys !== signature || current.length >= cap) {
      if (current.length > 0) out.push(current);
      current = [];
      signature = keys;
      cap = rowsPerStatement(dialect, Object.keys(row).length);
    }
    current.push(row);
  }
  if (current.length > 0) out.push(current);
  return out;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
