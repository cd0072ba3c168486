import type { CompiledQuery, Transaction } from "kysely";
import { CamelCasePlugin, Kysely, sql } from "kysely";
import type { SqlDialect } from "../dialect/index.js";
import { ConstraintCatalog, dialectOf } from "../dialect/index.js";
import type { StatementContext } from "../dialect/violation.js";
import { ConnectionError } from "../errors.js";
import type { Database, Dialect, Schema } from "../schema/index.js";
import { CodecPlugin } from "./codec-plugin.js";
import type { CreateSchemaResult } from "./create-schema.js";
import { createSchema } from "./create-schema.js";
import type { EngineOptions } from "./engines.js";
import { engineDialect } from "./engines.js";
import type { RetryOptions } from "./retry.js";
import { describeCause, retry } from "./retry.js";
import { statementKind, TranslatingDialect, targetTable } from "./translating-dialect.js";
import { parseDatabaseUrl } from "./url.js";

export interface ConnectOptions extends EngineOptions {
  /** Waiting for the database at start-up: 5 attempts, 5 s apart, unless told otherwise. */
  retry?: RetryOptions;
}

/** A connected database: the typed Kysely handle plus what plinth adds around it. */
export interface Db<S extends Schema = Schema> {
  /** Typed Kysely: table names as declared, columns by their camelCase keys. */
  readonly kysely: Kysely<Database<S>>;
  readonly schema: S;
  readonly dialect: Dialect;
  /** Which engine serves the URL: sqlite, pglite, postgres or mysql. */
  readonly engine: string;
  /** Runs `fn` in a transaction; it commits when `fn` resolves and rolls back when it throws. */
  transaction<T>(fn: (trx: Transaction<Database<S>>) => Promise<T>): Promise<T>;
  /** Creates every declared table that does not exist yet; safe to call again. */
  createSchema(): Promise<CreateSchemaResult>;
  close(): Promise<void>;
}

/**
 * Connects to `url` and waits until the database answers: with bounded retries, because in
 * deployments the database container often starts after the service. Fails with a message naming
 * the host and the cause.
 */
export async function connect<S extends Schema>(
  url: string,
  schema: S,
  options: ConnectOptions = {},
): Promise<Db<S>> {
  const target = parseDatabaseUrl(url);
  const dialect = dialectOf(target.dialect);
  const catalog = new ConstraintCatalog(schema.model, dialect);
  const inner = await engineDialect(target, options);
  const kysely = new Kysely<Database<S>>({
    dialect: new TranslatingDialect(inner, {
      parameters: target.dialect === "sqlite" ? sqliteParameters : undefined,
      translateError: (error: unknown, query: CompiledQuery) => {
        const context: StatementContext = {
          catalog,
          table: targetTable(query.query),
          statement: statementKind(query.query),
        };
        return dialect.translateError(error, context) ?? error;
      },
    }),
    // CamelCase first: the codec then sees database names in queries and TypeScript keys in results.
    // maintainNestedObjectKeys: keys inside JSON values are data, not column names.
    plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true }), new CodecPlugin(schema, target.dialect)],
  });

  const attempts = options.retry?.attempts ?? 5;
  try {
    await retry(() => sql`SELECT 1`.execute(kysely), options.retry);
  } catch (error) {
    await kysely.destroy().catch(() => {});
    throw new ConnectionError(
      `could not connect to ${target.display} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describeCause(error)}`,
      { cause: error },
    );
  }
  return handle(kysely, schema, dialect, target.engine);
}

function handle<S extends Schema>(
  kysely: Kysely<Database<S>>,
  schema: S,
  dialect: SqlDialect,
  engine: string,
): Db<S> {
  return {
    kysely,
    schema,
    dialect: dialect.name,
    engine,
    transaction: (fn) => kysely.transaction().execute(fn),
    createSchema: () => createSchema(kysely as Kysely<any>, schema.model, dialect),
    close: () => kysely.destroy(),
  };
}

/** better-sqlite3 binds neither booleans nor Dates; store them as SQLite's conventions (0/1, ISO text). */
function sqliteParameters(parameters: readonly unknown[]): readonly unknown[] {
  if (!parameters.some((p) => typeof p === "boolean" || p instanceof Date)) return parameters;
  return parameters.map((p) =>
    typeof p === "boolean" ? (p ? 1 : 0) : p instanceof Date ? p.toISOString() : p,
  );
}
