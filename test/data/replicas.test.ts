/**
 * Read replicas on real servers: a PostgreSQL primary and a streaming replica made with
 * `pg_basebackup -R`, both on loopback. Reads outside transactions go to the replica, writes and
 * transactions to the primary, a caller reads its own writes for the window after them, and a
 * replica killed mid-test leaves the rotation without a read failing.
 */
import { sql } from "kysely";
import type { Db } from "plinth";
import { connect, withAuditContext } from "plinth";
import { health, replicaMetrics } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgServer, pgBinDir, startPgReplica, startPgServer } from "../helpers/pg-server.js";

const item = table("item", { id: col.id(), name: col.varchar(40) });
const app = schema({ item });

const binaries = pgBinDir() !== undefined;
const skipped = "SKIPPED: PostgreSQL server binaries are not installed (apt-get install postgresql)";
if (!binaries && process.env.CI) throw new Error(`read replica test: ${skipped}`);
if (!binaries) console.warn(`\n⚠⚠⚠ read replica test ${skipped} ⚠⚠⚠\n`);

const WINDOW_MS = 800;

/** The port of the server that answers a SELECT built with Kysely (the kind of statement that is routed). */
async function servedBy(db: Db<typeof app>): Promise<{ port: number; replica: boolean }> {
  const row = await db.kysely
    .selectNoFrom([
      sql<number>`inet_server_port()`.as("port"),
      sql<boolean>`pg_is_in_recovery()`.as("replica"),
    ])
    .executeTakeFirstOrThrow();
  return { port: Number(row.port), replica: row.replica };
}

async function until(what: string, test: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await test().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!binaries)(
  `read replicas (PostgreSQL streaming replication)${binaries ? "" : ` — ${skipped}`}`,
  () => {
    let primary: PgServer;
    let replica: PgServer;
    let db: Db<typeof app>;
    let direct: Db<typeof app>;
    const registry = new Registry();

    beforeAll(async () => {
      primary = await startPgServer(["-c wal_level=replica", "-c max_wal_senders=4"]);
      replica = await startPgReplica(primary);
      db = await connect({ primary: primary.url, replicas: [replica.url] }, app, {
        retry: { attempts: 1 },
        replication: { readYourWritesMs: WINDOW_MS, checkIntervalMs: 200, maxLagMs: 5000 },
      });
      // The replica alone, to see what it has replayed.
      direct = await connect(replica.url, app, { retry: { attempts: 1 } });
      replicaMetrics(db, { registry });
      await db.createSchema();
      await until("the replica has the table", async () => {
        await direct.kysely.selectFrom("item").select("id").execute();
        return true;
      });
    }, 60_000);

    afterAll(async () => {
      await db?.close().catch(() => {});
      await direct?.close().catch(() => {});
      await replica?.stop();
      await primary?.stop();
    });

    it("measures the replica and reads from it, outside the window after a write", async () => {
      const [status] = await db.checkReplicas();
      expect(status).toMatchObject({ state: "healthy" });
      expect(status!.lagSeconds).toBeLessThan(5);
      const report = await health(db);
      expect(report.replicas?.[0]).toMatchObject({ state: "healthy" });
      expect(await registry.getSingleMetricAsString("db_replica_up")).toMatch(
        /db_replica_up\{replica="[^"]+"\} 1/,
      );
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      expect(await servedBy(db)).toEqual({ port: replica.port, replica: true });
    });

    it("writes and transactional reads go to the primary (the replica is read-only)", async () => {
      const created = await db.repo("item").create({ name: "first" });
      expect(created.id).toBeGreaterThan(0);
      const inside = await db.transaction(async (trx) =>
        trx.selectNoFrom(sql<number>`inet_server_port()`.as("port")).executeTakeFirstOrThrow(),
      );
      expect(Number(inside.port)).toBe(primary.port);
    });

    it("reads its own writes for the window, then goes back to the replica", async () => {
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      const readsBefore = db.replicas()[0]!.reads;
      const row = await db.repo("item").create({ name: "mine" });
      // Within the window: on the primary, whatever the replica has replayed.
      expect(await servedBy(db)).toEqual({ port: primary.port, replica: false });
      expect(await db.repo("item").getById(row.id)).toMatchObject({ name: "mine" });
      expect(db.replicas()[0]!.reads).toBe(readsBefore);
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      expect(await servedBy(db)).toEqual({ port: replica.port, replica: true });
      await until(
        "the replica has replayed the row",
        async () => (await direct.repo("item").getById(row.id)) !== undefined,
      );
      // Repositories route too: the point read (a prepared statement on the pool) is served by the replica.
      expect(await db.repo("item").getById(row.id)).toMatchObject({ name: "mine" });
      expect(db.replicas()[0]!.reads).toBeGreaterThan(readsBefore + 1);
    });

    it("scopes the window to the unit of work that wrote", async () => {
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      let writerRead = 0;
      await withAuditContext({ requestId: "writer" }, async () => {
        await db.repo("item").create({ name: "scoped" });
        writerRead = (await servedBy(db)).port;
      });
      const otherRead = await withAuditContext({ requestId: "other" }, async () => (await servedBy(db)).port);
      expect(writerRead).toBe(primary.port);
      expect(otherRead).toBe(replica.port);
    });

    it("drops a replica killed mid-test: reads continue on the primary without an error", async () => {
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      expect((await servedBy(db)).port).toBe(replica.port);
      let running = true;
      const failures: unknown[] = [];
      const served: number[] = [];
      const reader = async () => {
        while (running) {
          try {
            served.push((await servedBy(db)).port);
            await db.repo("item").getById(1);
            await db.repo("item").findMany({ where: { name: "first" }, limit: 1 });
          } catch (error) {
            failures.push(error);
          }
        }
      };
      const readers = Array.from({ length: 4 }, reader);
      await new Promise((r) => setTimeout(r, 200));
      await replica.ctl("-m", "immediate", "stop");
      const killedAt = served.length;
      await new Promise((r) => setTimeout(r, 1000));
      running = false;
      await Promise.all(readers);

      expect(failures).toEqual([]);
      expect(served.slice(0, killedAt)).toContain(replica.port);
      // Once the replica is gone every read is the primary's.
      expect(served.slice(-20).every((port) => port === primary.port)).toBe(true);
      expect(db.replicas()[0]).toMatchObject({ state: "down" });
      expect(await db.repo("item").getById(1)).toMatchObject({ name: "first" });
      const report = await health(db);
      expect(report.status).toBe("degraded");
      expect(report.replicas?.[0]).toMatchObject({ state: "down" });
      expect(await registry.getSingleMetricAsString("db_replica_up")).toMatch(
        /db_replica_up\{replica="[^"]+"\} 0/,
      );
    });

    it("puts the replica back in rotation once a measurement finds it well again", async () => {
      await replica.start();
      await until("the replica is healthy again", async () => db.replicas()[0]!.state === "healthy");
      await new Promise((r) => setTimeout(r, WINDOW_MS + 50));
      expect(await servedBy(db)).toEqual({ port: replica.port, replica: true });
    });
  },
);
