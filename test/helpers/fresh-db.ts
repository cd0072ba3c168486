import type { ConnectOptions, Db, Schema } from "plinth";
import { connect } from "plinth";
import { afterAll, beforeAll } from "vitest";
import type { TestEngine } from "../engines/matrix.js";

/**
 * A fresh database for a suite: created and connected (with the schema's tables) before its tests,
 * closed and dropped after them. Read `.db` and `.url` inside tests and hooks, not at collection time.
 */
export function useFreshDb<S extends Schema>(
  engine: TestEngine,
  s: S,
  options: { create?: boolean; connect?: ConnectOptions } = {},
): { readonly db: Db<S>; readonly url: string } {
  let db: Db<S> | undefined;
  let url = "";
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    url = fresh.url;
    db = await connect(fresh.url, s, { retry: { attempts: 1 }, ...options.connect });
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
    /** The database's URL, for opening more connections to it. */
    get url() {
      return url;
    },
  };
}
