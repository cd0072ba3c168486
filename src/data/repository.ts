import type { Kysely } from "kysely";
import { sql } from "kysely";
import { InvalidOptionError, NotFoundError, PlinthError } from "../errors.js";
import type { Schema, TableModel } from "../schema/index.js";
import type { Db } from "./connect.js";
import { readThroughCount } from "./count-cache.js";
import type { CursorMeta, PageMeta } from "./pagination.js";
import {
  afterPredicate,
  decodeCursor,
  encodeCursor,
  normalizeOrder,
  requireCount,
  uniqueOrder,
} from "./pagination.js";
import type { IncludeOf, WithIncluded } from "./relation-types.js";
import type { Relation, TargetReader } from "./relations.js";
import { loadRelations, relationsOf } from "./relations.js";
import type {
  CursorOptions,
  FindOptions,
  Id,
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
import type { AnyRow } from "./table-access.js";
import { liveness, refuseUnrecorded, TableAccess } from "./table-access.js";
import { inTransaction } from "./tx-context.js";
import type { Writes } from "./write/index.js";
import { writesFor } from "./write/index.js";

export { rowsPerStatement } from "./write/index.js";

/** Options of a read by primary key. */
type ByIdOptions<S extends Schema, N extends TableName<S>, I = IncludeOf<S, N>> = ReadOptions & {
  include?: I | undefined;
};
/** Reads given this get every column, hidden ones included, in their type too. */
type WithHidden = { withHidden: true };

/**
 * Typed access to one declared table. Subclass it for table-specific queries; the plumbing
 * (transactions, soft delete, versions, validation, hooks, count cache) stays here:
 *
 *   class AccountRepo extends Repository<typeof app, "account"> {
 *     byUsername(username: string) { return this.findOne({ username }); }
 *   }
 *   const accounts = new AccountRepo(db, "account");
 *
 * Reads are built here; writes go to the table's write path, chosen once for the engine (see
 * writesFor), so this class reads the same on every engine.
 */
export class Repository<S extends Schema, N extends TableName<S>> {
  protected readonly model: TableModel;
  protected readonly pk: string[];
  protected readonly deletedAt?: string;
  protected readonly version?: string;
  readonly #access: TableAccess;
  readonly #writes: Writes;
  readonly #relations: Map<string, Relation>;

  constructor(
    protected readonly db: Db<S>,
    readonly table: N,
  ) {
    this.#access = TableAccess.of(db as unknown as Db<Schema>, table);
    this.model = this.#access.model;
    this.pk = this.#access.pk;
    this.deletedAt = this.#access.deletedAt;
    this.version = this.#access.version;
    this.#relations = relationsOf(db.schema.model, this.model);
    this.#writes = writesFor(this.#access);
  }

  /** The open transaction when inside `db.transaction`, else the database. */
  protected get q(): Kysely<any> {
    return this.#access.q;
  }

  // ---- reads ----

  /**
   * The row with this primary key, or undefined. The hot path: a statement compiled once per table
   * (see PointReader), and no async function of its own when nothing is included.
   */
  getById<const I extends IncludeOf<S, N> = never>(
    id: Id,
    options: ByIdOptions<S, N, I> & WithHidden,
  ): Promise<WithIncluded<RowOf<S, N>, S, N, I, true> | undefined>;
  getById<const I extends IncludeOf<S, N> = never>(
    id: Id,
    options?: ByIdOptions<S, N, I>,
  ): Promise<WithIncluded<VisibleRowOf<S, N>, S, N, I> | undefined>;
  getById(id: Id, options: ByIdOptions<S, N> = {}): Promise<AnyRow | undefined> {
    const key = this.#access.keyValues(id);
    if (!key || !this.#access.points.available || options.include) return this.findById(id, options);
    return this.#access.points.read(key, liveness(options), options.withHidden === true);
  }

  private async findById(id: Id, options: ByIdOptions<S, N>) {
    const rows = await this.findMany({
      ...options,
      where: this.#access.idWhere(id) as Where<S, N>,
      limit: 1,
    });
    return rows[0];
  }

  getByIdOrThrow<const I extends IncludeOf<S, N> = never>(
    id: Id,
    options: ByIdOptions<S, N, I> & WithHidden,
  ): Promise<WithIncluded<RowOf<S, N>, S, N, I, true>>;
  getByIdOrThrow<const I extends IncludeOf<S, N> = never>(
    id: Id,
    options?: ByIdOptions<S, N, I>,
  ): Promise<WithIncluded<VisibleRowOf<S, N>, S, N, I>>;
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

  findMany<const I extends IncludeOf<S, N> = never>(
    options: FindOptions<S, N, I> & WithHidden,
  ): Promise<WithIncluded<RowOf<S, N>, S, N, I, true>[]>;
  findMany<const I extends IncludeOf<S, N> = never>(
    options?: FindOptions<S, N, I>,
  ): Promise<WithIncluded<VisibleRowOf<S, N>, S, N, I>[]>;
  // Not async: a compiled read without relations is returned as it is, without the extra turns of
  // the event loop an async wrapper adds (on SQLite it has settled already).
  findMany(options: FindOptions<S, N> = {}): Promise<AnyRow[]> {
    let rows: Promise<AnyRow[]>;
    try {
      requireCount("limit", options.limit, 0);
      requireCount("offset", options.offset, 0);
      const listed = this.#access.lists?.read({
        where: options.where,
        orderBy: options.orderBy,
        limit: options.limit,
        offset: options.offset,
        liveness: liveness(options),
        withHidden: options.withHidden === true,
      });
      rows = listed ?? this.buildList(options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!options.include) return rows;
    return rows.then(async (found) => {
      await this.attach(found, options.include, options.withHidden);
      return found;
    });
  }

  /** findMany built with the query builder, for reads the compiled lists do not take (see ListReader). */
  private buildList(options: FindOptions<S, N>): Promise<AnyRow[]> {
    let q = this.#access.select(options, options.where);
    for (const [column, direction] of normalizeOrder(options.orderBy)) q = q.orderBy(column, direction);
    if (options.limit !== undefined) q = q.limit(options.limit);
    // SQLite and MySQL accept OFFSET only after a LIMIT.
    else if (options.offset !== undefined) q = q.limit(Number.MAX_SAFE_INTEGER);
    if (options.offset !== undefined) q = q.offset(options.offset);
    return q.execute();
  }

  async exists(where: Where<S, N>, options: Visibility = {}): Promise<boolean> {
    const row = await this.#access
      .select(options, where)
      .clearSelect()
      .select(sql.lit(1).as("one"))
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  async count(where?: Where<S, N>, options: Visibility = {}): Promise<number> {
    const counted = this.#access.lists?.count({ where, liveness: liveness(options) });
    if (counted) return counted;
    const row = await this.#access
      .select(options, where)
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
  paginate<const I extends IncludeOf<S, N> = never>(
    options: PageOptions<S, N, I> & WithHidden,
  ): Promise<{ items: WithIncluded<RowOf<S, N>, S, N, I, true>[]; meta: PageMeta }>;
  paginate<const I extends IncludeOf<S, N> = never>(
    options: PageOptions<S, N, I>,
  ): Promise<{ items: WithIncluded<VisibleRowOf<S, N>, S, N, I>[]; meta: PageMeta }>;
  paginate<const I extends IncludeOf<S, N> = never>(
    options: CursorOptions<S, N, I> & WithHidden,
  ): Promise<{ items: WithIncluded<RowOf<S, N>, S, N, I, true>[]; meta: CursorMeta }>;
  paginate<const I extends IncludeOf<S, N> = never>(
    options: CursorOptions<S, N, I>,
  ): Promise<{ items: WithIncluded<VisibleRowOf<S, N>, S, N, I>[]; meta: CursorMeta }>;
  async paginate(options: PageOptions<S, N> | CursorOptions<S, N>): Promise<unknown> {
    if ("page" in options) return this.pageByOffset(options);
    return this.pageByCursor(options);
  }

  private async pageByOffset(o: PageOptions<S, N>) {
    requireCount("page", o.page, 1);
    requireCount("perPage", o.perPage, 1);
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
    if (o.limit === undefined) throw new InvalidOptionError("limit", o.limit, "an integer of at least 1");
    requireCount("limit", o.limit, 1);
    const order = uniqueOrder(normalizeOrder(o.orderBy), this.pk);
    // The cursor carries the ordering columns' values: a secret one would leave in it.
    const secret = order.find(([c]) => {
      const column = this.#access.column(c);
      return column?.secret || column?.hidden || column?.encrypted;
    });
    if (secret)
      throw new InvalidOptionError(
        "orderBy",
        secret[0],
        "a column that is not hidden, secret or encrypted (its value would travel in the cursor)",
      );
    let q = this.#access.select(o, o.where);
    if (o.after !== undefined) {
      const values = decodeCursor(o.after, order, (key) => this.#access.column(key));
      q = q.where((eb: any) => afterPredicate(eb, order, values));
    }
    for (const [column, direction] of order) q = q.orderBy(column, direction);
    const rows = (await q.limit(o.limit + 1).execute()) as AnyRow[];
    const items = rows.slice(0, o.limit);
    const meta: CursorMeta = { limit: o.limit, hasNext: rows.length > o.limit };
    const last = items[items.length - 1];
    if (meta.hasNext && last) meta.nextCursor = encodeCursor(order, last);
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

  // Not async, for the reason update gives.
  create(values: NewRowOf<S, N>): Promise<VisibleRowOf<S, N>> {
    try {
      refuseUnrecorded(this.#access, "write");
      return this.#writes.create(values as AnyRow) as Promise<VisibleRowOf<S, N>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Inserts many rows in one transaction, split into statements that stay below the engine's
   * bound-parameter limit. Returns the rows as read back, in input order.
   */
  async createMany(values: readonly NewRowOf<S, N>[]): Promise<VisibleRowOf<S, N>[]> {
    refuseUnrecorded(this.#access, "write");
    return (await this.#writes.createMany(values as readonly AnyRow[])) as VisibleRowOf<S, N>[];
  }

  /**
   * Updates one row. Tables with a version column get it incremented; with `expectedVersion` the
   * update only applies to that version (`WHERE id = ? AND version = ?`), else StaleVersionError.
   */
  // Not async: an async wrapper would add its own turns of the event loop to a write that the
  // SQLite driver completes synchronously. Throws still arrive as rejections.
  update(
    id: Id,
    patch: PatchOf<S, N>,
    options: { expectedVersion?: number } = {},
  ): Promise<VisibleRowOf<S, N>> {
    try {
      refuseUnrecorded(this.#access, "write");
      return this.#writes.update(id, patch as AnyRow, options.expectedVersion) as Promise<VisibleRowOf<S, N>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Updates every (live) row matching `where`; returns how many. */
  async updateMany(where: Where<S, N>, patch: PatchOf<S, N>): Promise<number> {
    refuseUnrecorded(this.#access, "write");
    return this.#writes.updateMany(where, patch as AnyRow);
  }

  /** Deletes a row: sets deleted_at on soft-delete tables, else removes it. False when there was none. */
  async delete(id: Id): Promise<boolean> {
    refuseUnrecorded(this.#access, this.deletedAt ? "write" : "delete");
    if (!this.deletedAt) return this.hardDelete(id);
    return this.#writes.setDeleted(id, new Date());
  }

  /** Clears deleted_at. False when the row is missing or not deleted. */
  async restore(id: Id): Promise<boolean> {
    refuseUnrecorded(this.#access, "write");
    if (!this.deletedAt) throw new PlinthError(`${this.table} has no soft-delete column`);
    return this.#writes.setDeleted(id, null);
  }

  /** Removes the row, soft-delete table or not. */
  async hardDelete(id: Id): Promise<boolean> {
    refuseUnrecorded(this.#access, "delete");
    return this.#writes.hardDelete(id);
  }

  /**
   * Inserts, or updates the row that has the same `conflict` columns (which must be a primary key or
   * unique constraint): ON CONFLICT on PostgreSQL and SQLite, ON DUPLICATE KEY UPDATE on MySQL.
   */
  async upsert(
    values: NewRowOf<S, N>,
    options: { conflict: (keyof RowOf<S, N> & string)[] },
  ): Promise<VisibleRowOf<S, N>> {
    refuseUnrecorded(this.#access, "write");
    return (await this.#writes.upsert(values as AnyRow, options.conflict)) as VisibleRowOf<S, N>;
  }

  // ---- plumbing ----

  private attach(
    rows: AnyRow[],
    include: FindOptions<S, N>["include"],
    withHidden: boolean | undefined,
  ): Promise<void> {
    if (!include || rows.length === 0) return Promise.resolve();
    const q = this.q;
    const readTarget: TargetReader = (table, key) => {
      const target = TableAccess.of(this.db as unknown as Db<Schema>, table);
      const hidden = withHidden ? [] : target.hidden;
      // A hidden key is read to match rows and dropped after: a shape the compiled lists do not have.
      const strip = hidden.includes(key) ? [key] : [];
      const built = (values: unknown[]) => {
        let s: any = q.selectFrom(table);
        if (hidden.length === 0) s = s.selectAll();
        else s = s.select(target.visibleKeys.concat(strip));
        if (target.deletedAt) s = s.where(target.deletedAt, "is", null);
        return s.where(key, "in", values).execute() as Promise<AnyRow[]>;
      };
      const read = (values: unknown[]) =>
        (strip.length === 0
          ? target.lists?.read({
              where: { [key]: values },
              liveness: "live",
              withHidden: withHidden === true,
            })
          : undefined) ?? built(values);
      return { read, strip };
    };
    return loadRelations(
      rows,
      this.#relations,
      include,
      readTarget,
      this.db.adapter.capabilities.maxParameters - 100,
    );
  }
}
