import { AsyncLocalStorage } from "node:async_hooks";
import type { ControlledTransaction, Kysely, Transaction } from "kysely";

/**
 * The transaction in progress, per database handle. Kept in AsyncLocalStorage so repositories called
 * anywhere inside `db.transaction(fn)` join it without the caller threading `trx` through every call.
 * Keyed by the root Kysely instance, so transactions on two databases never mix.
 */
interface Frame {
  trx: ControlledTransaction<any, any>;
  depth: number;
  /** Work for after the outermost commit, registered at this level (a savepoint has its own). */
  hooks: Map<object, () => unknown>;
}
type Frames = Map<Kysely<any>, Frame>;

// One store per process, not per copy of this module: when a program ends up with two copies of
// plinth (a CLI from dist/ loading a seed that resolves plinth to src/, or two installs in a
// monorepo), a repository from one copy must still join a transaction opened by the other.
const STORE = Symbol.for("plinth.transactionContext");
const shared = globalThis as { [STORE]?: { storage: AsyncLocalStorage<Frames>; savepoints: number } };
shared[STORE] ??= { storage: new AsyncLocalStorage<Frames>(), savepoints: 0 };
const context = shared[STORE];
const storage = context.storage;

/** The executor a query on `root` should use now: the open transaction, or the root itself. */
export function executorFor(root: Kysely<any>): Kysely<any> {
  return storage.getStore()?.get(root)?.trx ?? root;
}

export function inTransaction(root: Kysely<any>): boolean {
  return storage.getStore()?.has(root) ?? false;
}

/**
 * Runs `fn` once the outermost transaction on `root` has committed; at once when none is open.
 * Work registered in a savepoint that rolls back is dropped with it, and a rollback of the whole
 * transaction drops everything. `key` makes a registration count once per transaction.
 * A hook that throws does not undo the commit: its error is raised from `db.transaction` after
 * every hook has run.
 */
export async function afterCommit(root: Kysely<any>, fn: () => unknown, key: object = {}): Promise<void> {
  const frame = storage.getStore()?.get(root);
  if (!frame) {
    await fn();
    return;
  }
  if (!frame.hooks.has(key)) frame.hooks.set(key, fn);
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
    const name = `plinth_sp_${++context.savepoints}`;
    const sp: ControlledTransaction<any, any> = await (outer.trx as ControlledTransaction<any>)
      .savepoint(name)
      .execute();
    const frame: Frame = { trx: sp, depth: outer.depth + 1, hooks: new Map() };
    const next: Frames = new Map(frames);
    next.set(root, frame);
    try {
      const result = await storage.run(next, () => fn(sp as unknown as Transaction<DB>));
      await (sp as any).releaseSavepoint(name).execute();
      // Released work now stands or falls with the enclosing transaction.
      for (const [key, hook] of frame.hooks) if (!outer.hooks.has(key)) outer.hooks.set(key, hook);
      return result;
    } catch (error) {
      await (sp as any).rollbackToSavepoint(name).execute();
      throw error;
    }
  }
  const trx = await root.startTransaction().execute();
  const frame: Frame = { trx, depth: 0, hooks: new Map() };
  const next: Frames = new Map(frames ?? []);
  next.set(root, frame);
  let result: T;
  try {
    result = await storage.run(next, () => fn(trx));
    await trx.commit().execute();
  } catch (error) {
    await trx.rollback().execute();
    throw error;
  }
  await runHooks([...frame.hooks.values()]);
  return result;
}

async function runHooks(hooks: (() => unknown)[]): Promise<void> {
  const errors: unknown[] = [];
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      errors.push(error);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, "after-commit work failed after the commit");
}
