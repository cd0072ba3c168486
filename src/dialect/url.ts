import { DatabaseUrlError } from "../errors.js";
import type { Dialect } from "../schema/index.js";

export type Target =
  | { engine: "sqlite"; dialect: "sqlite"; file: string; display: string }
  | { engine: "pglite"; dialect: "postgres"; dataDir?: string; display: string }
  | { engine: "postgres"; dialect: "postgres"; url: string; display: string }
  | { engine: "mysql"; dialect: "mysql"; url: string; display: string };

/**
 * Reads a database URL: `sqlite:./file.db`, `sqlite::memory:`, `pglite:` (in memory) or
 * `pglite:./dir`, `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`. `display` names the
 * database without its password, for messages.
 */
export function parseDatabaseUrl(url: string): Target {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (!file)
      throw new DatabaseUrlError(`"${url}": sqlite URL needs a file (sqlite:./app.db) or sqlite::memory:`);
    return { engine: "sqlite", dialect: "sqlite", file, display: `sqlite file ${file}` };
  }
  if (url.startsWith("pglite:")) {
    const dataDir = url.slice("pglite:".length) || undefined;
    return { engine: "pglite", dialect: "postgres", dataDir, display: `pglite ${dataDir ?? "(in memory)"}` };
  }
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  if (scheme === "postgres" || scheme === "postgresql") {
    return { engine: "postgres", dialect: "postgres", url, display: `postgres at ${hostOf(url)}` };
  }
  if (scheme === "mysql" || scheme === "mariadb") {
    return {
      engine: "mysql",
      dialect: "mysql",
      url: url.replace(/^mariadb:/, "mysql:"),
      display: `mysql at ${hostOf(url)}`,
    };
  }
  throw new DatabaseUrlError(
    `unsupported database URL "${redact(url)}": use sqlite:./file.db, sqlite::memory:, pglite:, postgres://… or mysql://…`,
  );
}

export function dialectOfUrl(url: string): Dialect {
  return parseDatabaseUrl(url).dialect;
}

function hostOf(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "default port"}${u.pathname}`;
  } catch {
    return redact(url);
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}
