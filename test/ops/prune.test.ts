/**
 * Retention: prune removes exactly the rows older than a table's declared retention, in batches,
 * archiving and verifying each batch first when asked, resuming a stopped run, and on an
 * append-only audit table through the one path its triggers let through, recorded in the log.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sql } from "kysely";
import { AUDIT_TABLE, asImmutableRowError, auditLog, installAuditTrail } from "plinth";
import { ArchiveVerificationError, PruneError, prune, pruneLogOf } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { useFreshDb } from "../helpers/fresh-db.js";

const jobLog = table(
  "job_log",
  { id: col.bigId(), line: col.varchar(200), createdAt: col.timestamp().defaultNow() },
  { retention: { days: 90, column: "createdAt" }, indexes: [["createdAt"]] },
);
const s = schema({ jobLog, auditLog: auditLog({ retention: { days: 365 } }) });

const NOW = new Date("2026-06-01T00:00:00.000Z");
const DAY = 86_400_000;
/** Row i is i days old: 0 … 199 days, so 110 rows (90 … 199 days) are past a 90-day retention. */
const AGES = Array.from({ length: 200 }, (_, i) => i);

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure, but it succeeded");
}

/** Every row in the archives under `dir`, read back from the gzip files. */
function archivedRows(dir: string): Record<string, unknown>[] {
  const files = readdirSync(dir, { recursive: true, encoding: "utf8" }).filter((f) =>
    f.endsWith(".jsonl.gz"),
  );
  return files.flatMap((f) =>
    gunzipSync(readFileSync(join(dir, f)))
      .toString("utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>),
  );
}

describeEngines("prune", (engine) => {
  const fx = useFreshDb(engine, s);
  const dirs: string[] = [];
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), "plinth-archive-"));
    dirs.push(d);
    return d;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  const ids = async () =>
    (await fx.db.kysely.selectFrom("job_log").select("id").orderBy("id").execute()).map((r) => Number(r.id));

  beforeEach(async () => {
    await fx.db.kysely.deleteFrom("job_log").execute();
    await fx.db.kysely
      .insertInto("job_log")
      .values(
        AGES.map((a) => ({
          line: `line ${a}`,
          // Half a day off the boundary, so the cutoff never meets a row exactly.
          createdAt: new Date(NOW.getTime() - a * DAY - DAY / 2),
        })),
      )
      .execute();
  });

  it("--dry-run counts what would go and deletes nothing", async () => {
    const before = await ids();
    const r = await prune(fx.db, { table: "job_log", dryRun: true, now: NOW });
    expect(r.tables).toMatchObject([{ table: "job_log", candidates: 110, deleted: 0, batches: 0 }]);
    expect(await ids()).toEqual(before);
  });

  it("deletes exactly the rows past retention, in batches, each archived and recorded", async () => {
    const all = await fx.db.kysely.selectFrom("job_log").select(["id", "createdAt"]).execute();
    const keep = all
      .filter((r) => new Date(r.createdAt).getTime() >= NOW.getTime() - 90 * DAY)
      .map((r) => Number(r.id));
    const dir = tempDir();
    const r = await prune(fx.db, { table: "job_log", archiveDir: dir, batchSize: 25, now: NOW });
    expect(r.complete).toBe(true);
    expect(r.tables[0]).toMatchObject({ candidates: 110, deleted: 110, batches: 5 });
    expect(keep).toHaveLength(90);
    expect(await ids()).toEqual(keep.sort((a, b) => a - b));
    const archived = archivedRows(dir);
    expect(archived).toHaveLength(110);
    expect(new Set(archived.map((row) => Number(row.id))).size).toBe(110);
    expect(archived.some((row) => keep.includes(Number(row.id)))).toBe(false);
    const log = await pruneLogOf(fx.db.kysely.withoutPlugins(), "job_log");
    expect(log.filter((l) => l.event === "batch").map((l) => l.rowCount)).toEqual([25, 25, 25, 25, 10]);
    expect(log.at(-1)).toMatchObject({ event: "done", rowCount: 110 });
  });

  it("refuses to delete a batch whose archive does not read back as written", async () => {
    const before = await ids();
    const dir = tempDir();
    const error = await failure(
      prune(fx.db, {
        table: "job_log",
        archiveDir: dir,
        batchSize: 30,
        now: NOW,
        // One flipped byte in the middle of the gzip stream.
        onArchiveWritten: (file) => {
          const bytes = readFileSync(file);
          bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
          writeFileSync(file, bytes);
        },
      }),
    );
    expect(error).toBeInstanceOf(ArchiveVerificationError);
    expect(error.message).toMatch(/sha256/);
    expect(await ids()).toEqual(before);
  });

  it("resumes a run stopped mid-way (with its cutoff) and never deletes an unarchived row", async () => {
    const dir = tempDir();
    // The process dies inside batch 3, after its archive is written, before its DELETE commits.
    const crash = await failure(
      prune(fx.db, {
        table: "job_log",
        archiveDir: dir,
        batchSize: 20,
        now: NOW,
        beforeDelete: (n) => {
          if (n === 3) throw new Error("simulated crash");
        },
      }),
    );
    expect(crash.message).toBe("simulated crash");
    expect(await ids()).toHaveLength(200 - 40);
    // Run again later, without an archive folder: refused, the run it resumes archived.
    await expect(prune(fx.db, { table: "job_log", now: NOW })).rejects.toBeInstanceOf(PruneError);
    // A day later: the resumed run keeps its own cutoff, so exactly the same rows go.
    const r = await prune(fx.db, {
      table: "job_log",
      archiveDir: dir,
      batchSize: 20,
      now: new Date(NOW.getTime() + DAY),
    });
    expect(r.tables[0]).toMatchObject({
      resumed: true,
      deleted: 70,
      cutoff: new Date(NOW.getTime() - 90 * DAY).toISOString(),
    });
    expect(await ids()).toHaveLength(90);
    const archivedIds = archivedRows(dir).map((row) => Number(row.id));
    const remaining = new Set(await ids());
    // Every deleted row is in exactly one archive, and no kept row is.
    expect(archivedIds).toHaveLength(110);
    expect(new Set(archivedIds).size).toBe(110);
    expect(archivedIds.some((id) => remaining.has(id))).toBe(false);
    const log = await pruneLogOf(fx.db.kysely.withoutPlugins(), "job_log");
    const runs = new Set(log.filter((l) => l.event === "batch").map((l) => l.runId));
    expect(runs.size).toBeGreaterThanOrEqual(1);
    expect(
      log
        .filter((l) => l.event === "batch")
        .map((l) => l.batch)
        .slice(-6),
    ).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("stops after maxBatches and a later run continues", async () => {
    const first = await prune(fx.db, { table: "job_log", batchSize: 50, maxBatches: 1, now: NOW });
    expect(first).toMatchObject({ complete: false, tables: [{ deleted: 50 }] });
    const second = await prune(fx.db, { table: "job_log", batchSize: 50, now: NOW });
    expect(second).toMatchObject({ complete: true, tables: [{ deleted: 60, resumed: true }] });
    expect(await ids()).toHaveLength(90);
  });

  describe("on the append-only audit table", () => {
    const audit = () => fx.db.kysely.withoutPlugins() as any;
    const auditCount = async () =>
      Number(
        (
          await fx.db.kysely
            .selectFrom(AUDIT_TABLE)
            .select((eb) => eb.fn.countAll().as("n"))
            .executeTakeFirstOrThrow()
        ).n,
      );

    it("removes only rows past the declared retention, through prune alone, and records it", async () => {
      await installAuditTrail(fx.db);
      await fx.db.kysely
        .insertInto(AUDIT_TABLE)
        .values(
          [10, 200, 400, 500, 800].map((age, i) => ({
            tableName: "account",
            rowId: String(i),
            action: "create" as const,
            changes: {},
            createdAt: new Date(NOW.getTime() - age * DAY),
          })),
        )
        .execute();
      const oldest = await fx.db.kysely
        .selectFrom(AUDIT_TABLE)
        .select("id")
        .where("rowId", "=", "4")
        .executeTakeFirstOrThrow();

      // A direct DELETE, even of a row past retention, is refused by the triggers.
      const direct = await failure(
        fx.db.kysely.deleteFrom(AUDIT_TABLE).where("id", "=", oldest.id).execute(),
      );
      expect(asImmutableRowError(direct)).toMatchObject({ table: AUDIT_TABLE, operation: "DELETE" });
      // So is one inside a transaction, without the retention path opened.
      const inTrx = await failure(
        fx.db.transaction((trx) => trx.deleteFrom(AUDIT_TABLE).where("id", "=", oldest.id).execute()),
      );
      expect(asImmutableRowError(inTrx)?.operation).toBe("DELETE");
      // With the path opened, a row younger than the cutoff is still refused.
      const young = await failure(
        audit()
          .transaction()
          .execute(async (trx: any) => {
            await fx.db.adapter.openRetention(trx, AUDIT_TABLE, new Date(NOW.getTime() - 365 * DAY));
            await trx.deleteFrom(AUDIT_TABLE).where("row_id", "=", "0").execute();
          }),
      );
      expect(asImmutableRowError(young)?.operation).toBe("DELETE");
      expect(await auditCount()).toBe(5);

      const r = await prune(fx.db, { table: AUDIT_TABLE, now: NOW, batchSize: 2 });
      expect(r.tables[0]).toMatchObject({ candidates: 3, deleted: 3 });
      const left = await fx.db.kysely.selectFrom(AUDIT_TABLE).select("rowId").orderBy("rowId").execute();
      expect(left.map((x) => x.rowId)).toEqual(["0", "1"]);
      const log = await pruneLogOf(audit(), AUDIT_TABLE);
      expect(log.filter((l) => l.event === "batch").reduce((n, l) => n + l.rowCount, 0)).toBe(3);
      expect(log.at(-1)?.event).toBe("done");

      // After the prune the path is closed again: a direct DELETE is refused as before.
      const after = await failure(fx.db.kysely.deleteFrom(AUDIT_TABLE).where("rowId", "=", "1").execute());
      expect(asImmutableRowError(after)?.operation).toBe("DELETE");
      expect(await auditCount()).toBe(2);
    });
  });
});

describe("prune's arguments", () => {
  it("names the table that declares no retention", async () => {
    const { connect } = await import("plinth");
    const dir = mkdtempSync(join(tmpdir(), "plinth-prune-"));
    const plain = table("plain", { id: col.id() });
    const db = await connect(`sqlite:${join(dir, "x.db")}`, schema({ plain }));
    try {
      await db.createSchema();
      await expect(prune(db, { table: "plain" })).rejects.toThrow(/plain: declares no retention/);
      await expect(prune(db, { table: "nope" })).rejects.toThrow(/nope: no such table/);
      await sql`SELECT 1`.execute(db.kysely);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
