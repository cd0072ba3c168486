import type { Db, Schema } from "plinth";
import { connect } from "plinth";
import { afterAll, beforeAll } from "vitest";
import type { TestEngine } from "../engines/matrix.js";

/**
 * A fresh database for a suite: created and connected (with the schema's tables) before its tests,
 * closed and dropped after them. Read `.db` inside tests and hooks, not at collection time.
 */
export function useFreshDb<S extends Schema>(
  engine: TestEngine,
  s: S,
  options: { create?: boolean } = {},
): { readonly db: Db<S> } {
  let db: Db<S> | undefined;
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, s, { retry: { attempts: 1 } });
    if (options.create ?? true) await db.createSchema();
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
  });
  return {
    get db() {
      if (!db) throw new Error("useFreshDb: the database is only there inside tests and hooks");
      return db;
    },
  };
}
