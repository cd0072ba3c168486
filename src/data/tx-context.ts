import { AsyncLocalStorage } from "node:async_hooks";
import type { ControlledTransaction, Kysely, Transaction } from "kysely";

/**
 * The transaction in progress, per database handle. Kept in AsyncLocalStorage so repositories called
 * anywhere inside `db.transaction(fn)` join it without the caller threading `trx` through every call.
 * Keyed by the root Kysely instance, so transactions on two databases never mix.
 */
type Frames = Map<Kysely<any>, { trx: ControlledTransaction<any, any>; depth: number }>;

const storage = new AsyncLocalStorage<Frames>();
let savepoints = 0;

/** The executor a query on `root` should use now: the open transaction, or the root itself. */
export function executorFor(root: Kysely<any>): Kysely<any> {
  return storage.getStore()?.get(root)?.trx ?? root;
}

export function inTransaction(root: Kysely<any>): boolean {
  return storage.getStore()?.has(root) ?? false;
}

/**
 * Runs `fn` in a transaction on `root`; inside another transaction on the same database it uses a
 * savepoint, so an inner failure that the caller catches undoes only the inner work, while an error
 * that escapes the outer `fn` rolls everything back.
 */
export async function runTransaction<DB, T>(
  root: Kysely<DB>,
  fn: (trx: Transaction<DB>) => Promise<T>,
): Promise<T> {
  const frames = storage.getStore();
  const outer = frames?.get(root);
  if (outer) {
    const name = `plinth_sp_${++savepoints}`;
    const sp: ControlledTransaction<any, any> = await (outer.trx as ControlledTransaction<any>)
      .savepoint(name)
      .execute();
    const next: Frames = new Map(frames);
    next.set(root, { trx: sp, depth: outer.depth + 1 });
    try {
      const result = await storage.run(next, () => fn(sp as unknown as Transaction<DB>));
      await (sp as any).releaseSavepoint(name).execute();
      return result;
    } catch (error) {
      await (sp as any).rollbackToSavepoint(name).execute();
      throw error;
    }
  }
  const trx = await root.startTransaction().execute();
  const next: Frames = new Map(frames ?? []);
  next.set(root, { trx, depth: 0 });
  try {
    const result = await storage.run(next, () => fn(trx));
    await trx.commit().execute();
    return result;
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
}
