/**
 * plinth.config.ts: what the `plinth` command works on, written once per project (`plinth init`
 * writes one) instead of repeated as flags on every command. Paths are relative to the config file.
 *
 * Precedence, for every command: a flag wins over the environment (DATABASE_URL, from the process
 * environment or `.env`), which wins over this file, which wins over plinth's defaults.
 */
export interface PlinthConfig {
  /**
   * The database URL: `sqlite:./data/app.db`, `pglite:./data/pg`, `postgres://…` or `mysql://…`.
   * DATABASE_URL, when set, takes precedence; `--db` over both.
   */
  database?: string;
  /** The schema module, TypeScript or JavaScript (`--schema`). */
  schema?: string;
  /** The migrations folder (`--migrations`; default `./migrations`). */
  migrations?: string;
  /** A module exporting an idempotent `seed(db)`, run by `plinth up` after the migrations (`--seed`). */
  seed?: string;
  /** How commands connect to the database. */
  connection?: ConnectionSettings;
  /** What `plinth review` checks, and `plinth migrate verify` uses. */
  review?: ReviewSettings;
}

export interface ConnectionSettings {
  /** Connection attempts before giving up, for failures waiting can fix (`--attempts`; default 5). */
  attempts?: number;
  /** Milliseconds between attempts (`--retry-delay`; default 5000). */
  retryDelayMs?: number;
  /** How long opening a connection may take (`--connect-timeout`; default 10000; 0: no limit). */
  connectTimeoutMs?: number;
  /** PostgreSQL: how long one statement may run (`--statement-timeout`; default 60000; 0: no limit). */
  statementTimeoutMs?: number;
}

export interface ReviewSettings {
  /** Also prove the migrations on this PostgreSQL server (a scratch database is created and dropped). */
  postgres?: string;
  /** Also prove the migrations on this MySQL or MariaDB server (likewise). */
  mysql?: string;
  /** Prove them on PGlite, PostgreSQL in process (default true). */
  pglite?: boolean;
  /** Lint rules not to report, by the id findings print (e.g. "drop-column"). */
  ignoreLint?: string[];
  /** Compare the declaration with the configured database (default true). */
  drift?: boolean;
  /** Review rules by id: another severity, or "off" (`{ "naming-case": "off" }`). */
  rules?: Record<string, "error" | "warning" | "info" | "off">;
  /**
   * Findings not to count: a rule, on objects matching a glob (`{ rule: "fk-without-index",
   * object: "audit_*" }`); without `object`, everywhere.
   */
  ignore?: { rule: string; object?: string }[];
  /** A baseline file of accepted findings (`--baseline`), relative to the folder plinth runs in. */
  baseline?: string;
  /** The lowest severity that fails `plinth review` (`--fail-on`; default "error"). */
  failOn?: "error" | "warning";
}

/** Gives a config file its types; returns it unchanged. */
export function defineConfig(config: PlinthConfig): PlinthConfig {
  return config;
}
