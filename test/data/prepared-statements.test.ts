/**
 * On a PostgreSQL server, plinth's hot statements (point reads, the single-statement audited update)
 * run as named prepared statements, planned once per connection, unless the handle says not to.
 */
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Db } from "plinth";
import { AuditTrail, auditLog, connect } from "plinth";
import { col, schema, table, version } from "plinth/schema";
import { expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const item = table("item", { id: col.id(), label: col.varchar(40), ...version() }, { audit: true });
const app = schema({ item, auditLog: auditLog() });

/** The plinth statements prepared on the pool's only connection. */
async function preparedNames(db: Db<typeof app>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(
    db.kysely as Kysely<any>,
  );
  return rows.map((r) => r.name).filter((n) => n.startsWith("plinth_"));
}

describeEngines("prepared statements (PostgreSQL server only)", (engine) => {
  if (engine.name !== "postgres") {
    it.skip(`prepared statements are a PostgreSQL server feature; not run on ${engine.name}`, () => {});
    return;
  }
  const fx = useFreshDb(engine, app, { connect: { poolSize: 1 } });

  it("prepares point reads and audited updates once per connection; preparedStatements: false does not", async () => {
    const prepared = await connect(fx.url, app, { poolSize: 1, hooks: new AuditTrail({ schema: app }) });
    const unprepared = await connect(fx.url, app, {
      poolSize: 1,
      preparedStatements: false,
      hooks: new AuditTrail({ schema: app }),
    });
    const unaudited = await connect(fx.url, app, { poolSize: 1, audit: false });
    try {
      const { id } = await fx.db.repo("item").create({ label: "a" });
      for (const db of [prepared, unprepared, unaudited]) {
        const items = db.repo("item");
        for (let i = 0; i < 3; i++) {
          const row = await items.getByIdOrThrow(id);
          await items.update(
            id,
            { label: `${db === prepared ? "p" : "u"}${i}` },
            { expectedVersion: row.version },
          );
        }
      }
      // One point read and one update statement, each prepared once however often it ran: the
      // audited one (update and audit row together) and the plain UPDATE are different statements.
      const audited = await preparedNames(prepared);
      const plain = await preparedNames(unaudited);
      expect(audited).toHaveLength(2);
      expect(plain).toHaveLength(2);
      expect(audited.filter((n) => plain.includes(n))).toHaveLength(1); // the point read
      expect(await preparedNames(unprepared)).toEqual([]);
      expect((await fx.db.repo("item").getByIdOrThrow(id)).version).toBe(10);
    } finally {
      await prepared.close();
      await unprepared.close();
      await unaudited.close();
    }
  });
});
