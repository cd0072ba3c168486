import type { Dialect, SchemaModel } from "../../schema/index.js";
import { MigrationError } from "../errors.js";
import type { Operation, Step } from "../operations.js";
import { renderMysql } from "./mysql.js";
import { renderPostgres } from "./postgres.js";
import { renderSqlite } from "./sqlite.js";

/** The steps that apply one operation to a database whose schema is `before`, on one engine. */
export function renderOperation(o: Operation, before: SchemaModel, dialect: Dialect): Step[] {
  if (o.op === "data") return [{ run: o.up, description: o.description }];
  if (o.op === "sql") {
    const text = o.up[dialect] ?? o.up.default;
    if (text === undefined)
      throw new MigrationError(`raw SQL step "${o.description ?? "sql"}" has no SQL for ${dialect}`);
    if (text.trim() === "") return [];
    return dialect === "postgres" && /\bCONCURRENTLY\b/i.test(text)
      ? [{ sql: text, outsideTransaction: true }]
      : [{ sql: text }];
  }
  switch (dialect) {
    case "sqlite":
      return renderSqlite(o, before).map((sql) => ({ sql }));
    case "postgres":
      // PostgreSQL refuses CONCURRENTLY inside a transaction block.
      return renderPostgres(o, before).map((sql) =>
        / CONCURRENTLY /.test(sql) ? { sql, outsideTransaction: true } : { sql },
      );
    case "mysql":
      return renderMysql(o, before);
  }
}
