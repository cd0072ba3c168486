import type { CompiledQuery } from "kysely";
import { NotFoundError } from "../../errors.js";
import { invalidateCounts } from "../count-cache.js";
import type { Id } from "../repository-types.js";
import type { ReusableStatement } from "../reusable-statement.js";
import type { SyncExecutor } from "../sync-executor.js";
import type { AnyRow, TableAccess } from "../table-access.js";
import { Writes } from "./writes.js";

/**
 * Writes on a driver that runs statements synchronously (better-sqlite3). An update runs whole on
 * the driver when it can: the read before (for hooks), the UPDATE … RETURNING and the hooks'
 * statements in one synchronous transaction, which nothing can interleave with and which holds no
 * lock across an await. The UPDATE is still built and compiled by Kysely with the handle's plugins,
 * so values are encoded as on every path.
 */
export class SyncWrites extends Writes {
  constructor(
    t: TableAccess,
    private readonly sync: SyncExecutor,
  ) {
    super(t);
  }

  protected override updateRow(id: Id, set: AnyRow, expectedVersion: number | undefined): Promise<AnyRow> {
    const key = this.t.keyValues(id);
    if (!key || !this.runsOnDriver()) return super.updateRow(id, set, expectedVersion);
    return this.updateOnDriver(id, key, set, expectedVersion);
  }

  /**
   * A one-row insert without hooks runs whole on the driver, as an update does: the compiled INSERT
   * … RETURNING, then the count cache, with no promise in between.
   */
  protected override createRow(row: AnyRow): Promise<AnyRow> {
    const { t } = this;
    const explicitKey = t.identityKey() && row[t.pk[0]!] !== undefined;
    const filled =
      !t.hooks && !explicitKey && this.runsOnDriver() ? this.statements?.insert([row]) : undefined;
    if (!filled?.statement.synchronous) return super.createRow(row);
    return this.finish(() => filled.statement.rowNow(filled.values)!);
  }

  /** Hooks must hand over their statements rather than run them, and the driver must be free. */
  private runsOnDriver(): boolean {
    const { hooks, points } = this.t;
    return points.nativeReads && (!hooks || hooks.statementsFor !== undefined) && this.sync.usable();
  }

  /**
   * Not an async function: when the count cache is synchronous too (the default), the update
   * settles without a detour through the event loop, as the driver's own statements do.
   */
  private updateOnDriver(
    id: Id,
    key: readonly unknown[],
    set: AnyRow,
    expectedVersion: number | undefined,
  ): Promise<AnyRow> {
    const { t, sync } = this;
    const hooks = t.hooks;
    const compiled = this.statements?.update(key, set, expectedVersion);
    const filled = compiled?.statement.synchronous ? compiled : undefined;
    const statement = filled
      ? undefined
      : t.updateOne(t.q, id, set, expectedVersion).returningAll().compile();
    if (!hooks) return this.finish(() => this.updated(id, key, expectedVersion, filled, statement));
    return this.finish(() =>
      sync.atomic(() => {
        const before = t.points.readNow(key, "live", true);
        if (!before) throw new NotFoundError(t.name, id);
        const row = this.updated(id, key, expectedVersion, filled, statement);
        for (const s of hooks.statementsFor!(t.root, t.change("update", before, row))) sync.runCompiled(s);
        return row;
      }),
    );
  }

  /**
   * Runs a synchronous write, then invalidates the table's cached counts however it ended: the row
   * as callers see it, or the write's error. Not async: with the memory count cache (the default)
   * nothing waits for the event loop.
   */
  private finish(write: () => AnyRow): Promise<AnyRow> {
    const { t } = this;
    let row: AnyRow | undefined;
    let failed = false;
    let error: unknown;
    try {
      row = write();
    } catch (thrown) {
      failed = true;
      error = thrown;
    }
    const outcome = () => (failed ? Promise.reject(error) : Promise.resolve(t.visible(row!)));
    const pending = invalidateCounts(t.root, t.db.counts, t.name);
    return pending instanceof Promise ? pending.then(outcome) : outcome();
  }

  /** Runs the UPDATE: the row after it, or the typed error of a row that is missing or was changed. */
  private updated(
    id: Id,
    key: readonly unknown[],
    expectedVersion: number | undefined,
    filled: { statement: ReusableStatement; values: unknown[] } | undefined,
    statement: CompiledQuery | undefined,
  ): AnyRow {
    const { t } = this;
    const row = filled ? filled.statement.rowNow(filled.values) : this.sync.getCompiled(statement!);
    if (row) return filled ? row : t.decodeNamed(row);
    throw t.notUpdated(id, t.points.readNow(key, "live", true), expectedVersion);
  }
}
