import { DatabaseUrlError } from "../errors.js";
import type { Dialect } from "../schema/index.js";

export type Target =
  | { engine: "sqlite"; dialect: "sqlite"; file: string; display: string }
  | { engine: "pglite"; dialect: "postgres"; dataDir?: string; display: string }
  | {
      engine: "postgres";
      dialect: "postgres";
      url: string;
      display: string;
      /** The URL's `connect_timeout` (seconds, as libpq reads it), in milliseconds. */
      connectTimeoutMs?: number;
      /** `?pooler=transaction`: the URL reaches a pooler in transaction mode (PgBouncer). */
      pooler?: "transaction";
    }
  | { engine: "mysql"; dialect: "mysql"; url: string; display: string; database: string };

const FORMS =
  "sqlite:./file.db, sqlite::memory:, pglite:, postgres://user:password@host:5432/db or mysql://user:password@host:3306/db";

function poolerOf(url: string, value: string | null): "transaction" | undefined {
  if (value === null) return undefined;
  if (value === "transaction") return value;
  throw new DatabaseUrlError(
    `"${redact(url)}": pooler must be "transaction" (a pooler in session mode needs no setting), not "${value}"`,
  );
}

function withoutParameter(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.delete(name);
  return parsed.toString();
}

/**
 * Reads a database URL: `sqlite:./file.db`, `sqlite:/absolute/file.db`, `sqlite::memory:`, `pglite:`
 * (in memory) or `pglite:./dir`, `postgres://…` / `postgresql://…`, `mysql://…` / `mariadb://…`.
 * `display` names the database without its password, for messages. Every refusal is one line that
 * says what to write instead, because this is the first thing a new user types.
 */
export function parseDatabaseUrl(url: string): Target {
  if (url.startsWith("sqlite:")) return sqliteTarget(url);
  if (url.startsWith("pglite:")) {
    const dataDir = url.slice("pglite:".length) || undefined;
    return { engine: "pglite", dialect: "postgres", dataDir, display: `pglite ${dataDir ?? "(in memory)"}` };
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === "postgres" || scheme === "postgresql") {
    const parsed = wellFormed(url);
    const connectTimeoutMs = connectTimeout(url, parsed.searchParams.get("connect_timeout"));
    const pooler = poolerOf(url, parsed.searchParams.get("pooler"));
    return {
      engine: "postgres",
      dialect: "postgres",
      // The driver would pass a parameter it does not know on to the server, which refuses it.
      url: pooler ? withoutParameter(url, "pooler") : url,
      ...(pooler ? { pooler } : {}),
      display: `postgres at ${hostOf(parsed)}`,
      ...(connectTimeoutMs !== undefined ? { connectTimeoutMs } : {}),
    };
  }
  if (scheme === "mysql" || scheme === "mariadb") {
    const parsed = wellFormed(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
    // Without a database, GET_LOCK and information_schema queries have nothing to name: the
    // migration lock would read as held forever. Refuse at once instead.
    if (!database || database.includes("/")) {
      const user = parsed.username ? `${parsed.username}${parsed.password ? ":***" : ""}@` : "";
      throw new DatabaseUrlError(
        `"${redact(url)}" names no database: add its name after the host, e.g. ${scheme}://${user}${parsed.host}/app`,
      );
    }
    return {
      engine: "mysql",
      dialect: "mysql",
      url: url.replace(/^mariadb:/i, "mysql:"),
      display: `mysql at ${hostOf(parsed)}`,
      database,
    };
  }
  throw new DatabaseUrlError(`unsupported database URL "${redact(url)}": use ${FORMS}${hint(url)}`);
}

/**
 * `sqlite:` takes a path, not a URL authority: `sqlite://./x.db` would be the path `//./x.db`, which
 * the operating system reads as `/x.db` at the filesystem root. Only `sqlite:///absolute/path` (three
 * slashes, the usual spelling of an absolute path) is read as a URL.
 */
function sqliteTarget(url: string): Target {
  let file = url.slice("sqlite:".length);
  if (file.startsWith("//")) {
    if (!file.startsWith("///")) {
      const rest = file.slice(2);
      throw new DatabaseUrlError(
        `"${url}": write sqlite:${rest.startsWith(".") ? rest : `./${rest}`} for a file relative to the current folder, ` +
          `or sqlite:/absolute/path/${rest.split("/").pop() || "app.db"} for an absolute one`,
      );
    }
    file = file.slice(2);
  }
  if (!file) {
    throw new DatabaseUrlError(`"${url}": a sqlite URL needs a file (sqlite:./app.db) or sqlite::memory:`);
  }
  return { engine: "sqlite", dialect: "sqlite", file, display: `sqlite file ${file}` };
}

/**
 * A server URL fit for an administrative connection that only creates and drops databases (scratch
 * databases for `migrate verify`): a MySQL URL may name no database there, and then gets
 * information_schema, which every MySQL and MariaDB server has.
 */
export function adminUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== "mysql" && scheme !== "mariadb") return url;
  const u = wellFormed(url);
  if (u.pathname === "" || u.pathname === "/") u.pathname = "/information_schema";
  return u.toString();
}

export function dialectOfUrl(url: string): Dialect {
  return parseDatabaseUrl(url).dialect;
}

function wellFormed(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new DatabaseUrlError(
      `"${redact(url)}" is not a valid URL; characters such as @ : / # ? in a password must be percent-encoded (@ is %40)`,
    );
  }
}

function connectTimeout(url: string, value: string | null): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  if (value.trim() === "" || !Number.isFinite(seconds) || seconds < 0) {
    throw new DatabaseUrlError(
      `"${redact(url)}": connect_timeout must be a number of seconds (0: wait forever), not "${value}"`,
    );
  }
  return Math.round(seconds * 1000);
}

/** A likely fix for a near miss: `postgresql:` without slashes, `file:`, a bare path. */
function hint(url: string): string {
  if (/^(postgres|postgresql|mysql|mariadb):(?!\/\/)/i.test(url)) return " (the scheme is followed by //)";
  if (/^file:/i.test(url)) return ` (for a SQLite file write sqlite:${url.slice(5).replace(/^\/\//, "")})`;
  if (/\.(db|sqlite3?)$/i.test(url) && !url.includes("://")) return ` (for this SQLite file: sqlite:${url})`;
  return "";
}

function hostOf(u: URL): string {
  return `${u.hostname}:${u.port || "default port"}${u.pathname}`;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

/** Both URLs name the same engine (a replica must be its primary's engine). */
export function sameEngine(a: Target, b: Target): boolean {
  return a.engine === b.engine;
}
