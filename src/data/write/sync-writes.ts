import { NotFoundError } from "../../errors.js";
import { invalidateCounts } from "../count-cache.js";
import type { Id } from "../repository-types.js";
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

  /** Hooks must hand over their statements rather than run them, and the driver must be free. */
  private runsOnDriver(): boolean {
    const { hooks, points } = this.t;
    return points.nativeReads && (!hooks || hooks.statementsFor !== undefined) && this.sync.usable();
  }

  private async updateOnDriver(
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
    const updated = (): AnyRow => {
      const row = filled ? filled.statement.rowsNow(filled.values)[0] : sync.getCompiled(statement!);
      if (row) return filled ? row : t.decodeNamed(row);
      throw t.notUpdated(id, t.points.readNow(key, "live", true), expectedVersion);
    };
    let after: AnyRow;
    try {
      after = !hooks
        ? updated()
        : sync.atomic(() => {
            const before = t.points.readNow(key, "live", true);
            if (!before) throw new NotFoundError(t.name, id);
            const row = updated();
            for (const s of hooks.statementsFor!(t.root, t.change("update", before, row)))
              sync.runCompiled(s);
            return row;
          });
    } finally {
      await invalidateCounts(t.root, t.db.counts, t.name);
    }
    return t.visible(after);
  }
}
