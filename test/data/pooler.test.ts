/**
 * plinth behind a real PgBouncer in transaction mode, in front of a PostgreSQL server of the test's
 * own: repositories, many more concurrent callers than server connections, audited writes, and the
 * migration runner's refusal (its lock lives in the session, which the pooler does not keep).
 */
import { sql } from "kysely";
import type { Db } from "plinth";
import { AUDIT_TABLE, auditLog, ConnectionError, connect, MigrationError, withAuditContext } from "plinth";
import type { LoadedMigration } from "plinth/migrate";
import { autodetect, EMPTY_STATE, Migrator, migration } from "plinth/migrate";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgServer, pgBinDir, startPgServer } from "../helpers/pg-server.js";
import { type PgBouncer, pgBouncerBin, startPgBouncer } from "../helpers/pgbouncer.js";

const account = table(
  "account",
  { id: col.id(), name: col.varchar(40), balance: col.integer() },
  { audit: true },
);
const app = schema({ account, auditLog: auditLog() });

const missing = [
  pgBinDir() === undefined && "PostgreSQL server binaries (apt-get install postgresql)",
  pgBouncerBin() === undefined && "pgbouncer (apt-get install pgbouncer)",
].filter(Boolean);
const skipped = `SKIPPED: not installed: ${missing.join(", ")}`;
if (missing.length > 0 && process.env.CI) throw new Error(`PgBouncer test: ${skipped}`);
if (missing.length > 0) console.warn(`\n⚠⚠⚠ PgBouncer test ${skipped} ⚠⚠⚠\n`);

/** Server connections PgBouncer may open per database and user. */
const SERVER_CONNECTIONS = 3;

describe.skipIf(missing.length > 0)(
  `behind PgBouncer in transaction mode${missing.length ? ` — ${skipped}` : ""}`,
  () => {
    let server: PgServer;
    let bouncer: PgBouncer;
    let db: Db<typeof app>;

    beforeAll(async () => {
      server = await startPgServer();
      bouncer = await startPgBouncer(server, { poolMode: "transaction", poolSize: SERVER_CONNECTIONS });
      db = await connect(`${bouncer.url}?pooler=transaction`, app, { poolSize: 20, retry: { attempts: 1 } });
      await db.createSchema();
    }, 60_000);

    afterAll(async () => {
      await db?.close().catch(() => {});
      await bouncer?.stop();
      await server?.stop();
    });

    it("tells a caller who did not declare the pooler what to add, at once", async () => {
      // PgBouncer before 1.21 refuses the statement timeout sent at connect; later ones may accept it.
      const started = Date.now();
      const outcome = await connect(bouncer.url, app).then(
        (undeclared) => undeclared.close().then(() => undefined),
        (error: unknown) => error,
      );
      if (outcome !== undefined) {
        expect(outcome).toBeInstanceOf(ConnectionError);
        expect((outcome as Error).message).toContain("?pooler=transaction");
        expect(Date.now() - started).toBeLessThan(5000);
      }
      expect(db.pooler).toBe("transaction");
    });

    it("reads and writes through repositories", async () => {
      const accounts = db.repo("account");
      const ann = await accounts.create({ name: "ann", balance: 10 });
      expect(await accounts.getById(ann.id)).toMatchObject({ name: "ann", balance: 10 });
      const updated = await accounts.update(ann.id, { balance: 15 });
      expect(updated).toMatchObject({ balance: 15 });
      expect(await accounts.findMany({ where: { name: "ann" } })).toHaveLength(1);
      expect(await accounts.delete(ann.id)).toBe(true);
      expect(await accounts.getById(ann.id)).toBeUndefined();
    });

    it("serves many more concurrent callers than server connections, audit rows included", async () => {
      const accounts = db.repo("account");
      const seeded = await accounts.createMany(
        Array.from({ length: 20 }, (_, i) => ({ name: `a${i}`, balance: 0 })),
      );
      const auditBefore = await db.repo(AUDIT_TABLE).count();
      const failures: unknown[] = [];
      const callers = 60;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: callers }, (_, n) =>
          withAuditContext({ actor: { id: n }, requestId: `r${n}` }, async () => {
            for (let i = 0; i < 10; i++) {
              const target = seeded[(n + i) % seeded.length]!;
              try {
                // Point reads and filtered lists are the statements plinth would otherwise prepare by name.
                await accounts.getById(target.id);
                await accounts.findMany({ where: { name: target.name }, limit: 1 });
                if (i % 5 === 0) await accounts.update(target.id, { balance: n * 100 + i });
                if (i === 9)
                  await db.transaction(async () => {
                    await accounts.create({ name: `c${n}`, balance: n });
                  });
              } catch (error) {
                failures.push(error);
              }
            }
          }),
        ),
      );
      const ms = performance.now() - started;
      expect(failures).toEqual([]);
      expect(await accounts.count({ name: seeded.map((s) => s.name) })).toBe(20);
      expect(await accounts.count()).toBe(20 + callers);
      // Each update (2 per caller) and each create (1 per caller) wrote its audit row.
      expect((await db.repo(AUDIT_TABLE).count()) - auditBefore).toBe(callers * 3);
      // The server saw no more client connections than PgBouncer's pool (plus this query's own).
      const direct = await connect(server.url, app, { retry: { attempts: 1 } });
      try {
        const { rows } = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend'`.execute(
          direct.kysely,
        );
        expect(rows[0]!.n).toBeLessThanOrEqual(SERVER_CONNECTIONS + 1);
      } finally {
        await direct.close();
      }
      console.log(
        `pgbouncer ${bouncer.version}: ${callers} callers × 10 rounds through ${SERVER_CONNECTIONS} server connections in ${Math.round(ms)} ms`,
      );
    });

    it("refuses to migrate through the pooler, naming the fix; the direct URL migrates", async () => {
      const notes = schema({ note: table("note", { id: col.id(), body: col.varchar(100) }) });
      const first = migration({
        id: "0001",
        description: "notes",
        parents: [],
        operations: autodetect(EMPTY_STATE, notes.model).operations,
      });
      const migrations: LoadedMigration[] = [{ migration: first, file: "0001.ts", checksum: "0001" }];
      const pooled = await connect(`${bouncer.url}?pooler=transaction`, notes, { retry: { attempts: 1 } });
      try {
        const refused = await new Migrator({ db: pooled, migrations }).up().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(MigrationError);
        expect((refused as Error).message).toMatch(/transaction-mode pooler.*PLINTH_DIRECT_URL/);
        // Nothing ran: the history table was not even created.
        const tables = await sql<{ n: number }>`
        SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name IN ('note', 'plinth_migrations')`.execute(
          pooled.kysely,
        );
        expect(tables.rows[0]!.n).toBe(0);
      } finally {
        await pooled.close();
      }
      const direct = await connect(server.url, notes, { retry: { attempts: 1 } });
      try {
        const applied = await new Migrator({ db: direct, migrations }).up();
        expect(applied.error).toBeUndefined();
        expect(applied.applied.map((a) => a.id)).toEqual(["0001"]);
      } finally {
        await direct.close();
      }
    });
  },
);
