import type { EngineOptions, OpenedEngine } from "./driver.js";
import { openMysql } from "./mysql/driver.js";
import { openPglite, openPostgres } from "./postgres/driver.js";
import { openSqlite } from "./sqlite/driver.js";
import type { Target } from "./url.js";

/** Opens the engine a parsed URL names, configured so every engine reads and writes the same values. */
export function openEngine(target: Target, options: EngineOptions): Promise<OpenedEngine> {
  switch (target.engine) {
    case "sqlite":
      return openSqlite(target.file, options);
    case "pglite":
      return openPglite(target.dataDir, options);
    case "postgres":
      return openPostgres(target.url, options, target.connectTimeoutMs);
    case "mysql":
      return openMysql(target.url, options);
  }
}
