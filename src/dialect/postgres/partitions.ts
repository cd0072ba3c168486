import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { TableModel } from "../../schema/index.js";
import type { RangePartition, RangePartitions } from "../types.js";
import { postgresDdl } from "./ddl.js";

const q = postgresDdl.quote;

/** `FOR VALUES FROM ('…') TO ('…')` as PostgreSQL prints it back (pg_get_expr). */
const BOUND = /^FOR VALUES FROM \('([^']+)'\) TO \('([^']+)'\)$/;

/** A bound value in the partition column's type: midnight UTC, or the date alone for a date column. */
function boundLiteral(table: TableModel, at: Date): string {
  const column = table.columns.find((c) => c.name === table.partition?.column);
  const day = at.toISOString().slice(0, 10);
  return postgresDdl.literal(column?.type.kind === "date" ? day : `${day} 00:00:00+00`);
}

/** Bounds print in the session's time zone (`2026-01-01 00:00:00+00`); Date reads the offset. */
function parseBound(text: string): Date {
  const iso = text.replace(" ", "T").replace(/([+-]\d\d)$/, "$1:00");
  return new Date(/T/.test(iso) ? iso : `${iso}T00:00:00Z`);
}

export const postgresRangePartitions: RangePartitions = {
  async list(db, table) {
    const { rows } = await sql<{ name: string; bound: string }>`
      SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      JOIN pg_class p ON p.oid = i.inhparent
      JOIN pg_namespace n ON n.oid = p.relnamespace
      WHERE n.nspname = current_schema() AND p.relname = ${table}
      ORDER BY c.relname`.execute(db);
    return rows.map((r): RangePartition => {
      const m = BOUND.exec(r.bound);
      return m ? { name: r.name, from: parseBound(m[1]!), to: parseBound(m[2]!) } : { name: r.name };
    });
  },
  async create(db, table, p) {
    await sql
      .raw(
        `CREATE TABLE IF NOT EXISTS ${q(p.name)} PARTITION OF ${q(table.name)} ` +
          `FOR VALUES FROM (${boundLiteral(table, p.from)}) TO (${boundLiteral(table, p.to)})`,
      )
      .execute(db);
  },
  async detachAndDrop(trx: Kysely<any>, table, name) {
    await sql.raw(`ALTER TABLE ${q(table)} DETACH PARTITION ${q(name)}`).execute(trx);
    await sql.raw(`DROP TABLE ${q(name)}`).execute(trx);
  },
};
