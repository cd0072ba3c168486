/**
 * Tables declared `partition: { by, interval: "month" }`: native monthly RANGE partitions on
 * PostgreSQL (created ahead, dropped whole by retention, invisible to drift checks), a plain table
 * pruned in batches elsewhere, with exactly the same rows left on every engine.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { sql } from "kysely";
import { connect } from "plinth";
import type { LoadedMigration } from "plinth/migrate";
import { autodetect, EMPTY_STATE, migration, verifyMigrations } from "plinth/migrate";
import { ensurePartitions, prune, pruneLogOf } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { comparable, describeDifferences, introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";

const jobEvent = table(
  "job_event",
  { id: col.bigId(), line: col.varchar(200), createdAt: col.timestamp().defaultNow() },
  {
    primaryKey: ["id", "createdAt"],
    partition: { by: "createdAt", interval: "month" },
    retention: { days: 90, column: "createdAt" },
    indexes: [["createdAt"]],
  },
);
const s = schema({ jobEvent });

const NOW = new Date("2026-06-15T00:00:00.000Z");
const CUTOFF = new Date(NOW.getTime() - 90 * 86_400_000); // 2026-03-17
const HOUR = 3_600_000;
/** One row every 7 hours from 2026-01-01 to the end of June: 6 months, all in partitions. */
const TIMES = Array.from(
  { length: Math.floor((Date.UTC(2026, 6, 1) - Date.UTC(2026, 0, 1)) / (7 * HOUR)) },
  (_, i) => new Date(Date.UTC(2026, 0, 1) + i * 7 * HOUR + 1000),
);

describe("partition declarations", () => {
  it("refuses a primary key without the partition column, naming table and constraint", () => {
    expect(() =>
      table(
        "job_event",
        { id: col.bigId(), createdAt: col.timestamp() },
        { partition: { by: "createdAt", interval: "month" } },
      ),
    ).toThrow(
      /job_event: partitioned by created_at, so primary key pk_job_event \(id\) must include created_at.*primaryKey: \["id", "createdAt"\]/,
    );
  });

  it("refuses a unique key without the partition column, naming it", () => {
    expect(() =>
      table(
        "job_event",
        { id: col.bigId(), token: col.varchar(40), createdAt: col.timestamp() },
        {
          primaryKey: ["id", "createdAt"],
          unique: [{ columns: ["token"], name: "uq_job_event_token" }],
          partition: { by: "createdAt", interval: "month" },
        },
      ),
    ).toThrow(
      /job_event: partitioned by created_at, so unique constraint uq_job_event_token \(token\) must include/,
    );
    expect(() =>
      table(
        "job_event",
        { id: col.bigId(), token: col.varchar(40).unique(), createdAt: col.timestamp() },
        { primaryKey: ["id", "createdAt"], partition: { by: "createdAt", interval: "month" } },
      ),
    ).toThrow(/unique constraint uq_job_event_token \(token\)/);
  });

  it("refuses a partition column that is not a timestamp or date", () => {
    expect(() =>
      table(
        "job_event",
        { id: col.bigId(), n: col.integer() },
        { primaryKey: ["id", "n"], partition: { by: "n", interval: "month" } },
      ),
    ).toThrow(/job_event: partitioned by n, a integer column/);
  });

  it("renders PARTITION BY RANGE and a default partition for PostgreSQL only", () => {
    const t = s.model.tables[0]!;
    expect(t.primaryKey.columns).toEqual(["id", "created_at"]);
    expect(t.partition).toMatchObject({ key: "RANGE (created_at)", interval: "month", column: "created_at" });
  });
});

const history = [
  migration({
    id: "0001",
    description: "job events",
    parents: [],
    operations: autodetect(EMPTY_STATE, s.model).operations,
  }),
];
const loaded: LoadedMigration[] = history.map((m) => ({ migration: m, file: `${m.id}.ts`, checksum: m.id }));

describeEngines("partitioned tables", (engine) => {
  let db: Awaited<ReturnType<typeof connect<typeof s>>>;
  let drop: () => Promise<void>;
  const dirs: string[] = [];
  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    db = await connect(fresh.url, s, { retry: { attempts: 1 } });
    await db.createSchema();
  });
  afterAll(async () => {
    await db?.close();
    await drop?.();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const native = () => db.adapter.rangePartitions !== undefined;
  const drift = async () =>
    describeDifferences(
      comparable(s.model, engine.dialect),
      comparable(await introspect(db.kysely, engine.dialect), engine.dialect),
    );

  it("the migration's round trip (up, compare, down, compare, up) shows no drift", async () => {
    // PGlite is one in-process database per open: verify needs a URL it can reach twice.
    if (engine.name === "pglite") return;
    const fresh = await engine.freshDatabase();
    try {
      const report = await verifyMigrations({
        migrations: loaded,
        targets: [{ name: engine.name, url: fresh.url }],
        declared: s.model,
      });
      const problems = report.engines.flatMap((e) => [
        ...(e.error ? [e.error] : []),
        ...e.checks.flatMap((c) => c.differences),
      ]);
      expect(problems).toEqual([]);
      expect(report.ok).toBe(true);
    } finally {
      await fresh.drop();
    }
  });

  it("creates monthly partitions ahead (idempotently) without drift", async () => {
    const first = await ensurePartitions(db, { now: new Date("2026-01-10T00:00:00Z"), ahead: 6 });
    expect(first.supported).toBe(native());
    if (native()) {
      expect(first.tables[0]!.created).toEqual([
        "job_event_p202601",
        "job_event_p202602",
        "job_event_p202603",
        "job_event_p202604",
        "job_event_p202605",
        "job_event_p202606",
        "job_event_p202607",
      ]);
      expect(first.tables[0]!.partitions).toContain("job_event_default");
      const again = await ensurePartitions(db, { now: new Date("2026-01-10T00:00:00Z"), ahead: 6 });
      expect(again.tables[0]!.created).toEqual([]);
    } else expect(first.tables).toEqual([]);
    expect(await drift()).toEqual([]);
  });

  it("prune drops whole months before the cutoff, deletes the rest in batches: exactly the rows past retention go", async () => {
    await db.kysely
      .insertInto("job_event")
      .values(TIMES.map((t, i) => ({ line: `line ${i}`, createdAt: t })))
      .execute();
    if (native()) {
      // Every row sits in its month's partition: none fell to the default one.
      const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM job_event_default`.execute(
        db.kysely,
      );
      expect(Number(rows[0]!.n)).toBe(0);
    }
    const expected = TIMES.filter((t) => t.getTime() >= CUTOFF.getTime()).length;
    const dir = mkdtempSync(join(tmpdir(), "plinth-partition-archive-"));
    dirs.push(dir);
    const dry = await prune(db, { now: NOW, dryRun: true });
    expect(dry.tables[0]!.candidates).toBe(TIMES.length - expected);

    const r = await prune(db, { now: NOW, archiveDir: dir, batchSize: 100 });
    expect(r.tables[0]!.deleted).toBe(TIMES.length - expected);
    const left = await db.kysely.selectFrom("job_event").select("createdAt").orderBy("createdAt").execute();
    expect(left).toHaveLength(expected);
    expect(left.every((row) => new Date(row.createdAt).getTime() >= CUTOFF.getTime())).toBe(true);
    // Every removed row is in the archives, once.
    const archived = readdirSync(dir, { recursive: true, encoding: "utf8" })
      .filter((f) => f.endsWith(".jsonl.gz"))
      .flatMap((f) =>
        gunzipSync(readFileSync(join(dir, f)))
          .toString("utf8")
          .split("\n")
          .filter(Boolean),
      );
    expect(archived).toHaveLength(TIMES.length - expected);
    expect(new Set(archived).size).toBe(archived.length);

    const log = await pruneLogOf(db.kysely.withoutPlugins(), "job_event");
    if (native()) {
      expect(r.tables[0]!.partitions).toEqual(["job_event_p202601", "job_event_p202602"]);
      expect(log.filter((l) => l.event === "partition").map((l) => l.firstKey)).toEqual([
        "job_event_p202601",
        "job_event_p202602",
      ]);
      const names = (await db.adapter.rangePartitions!.list(db.kysely, "job_event")).map((p) => p.name);
      expect(names).not.toContain("job_event_p202601");
      expect(names).toContain("job_event_p202603");
    } else {
      expect(r.tables[0]!.partitions).toBeUndefined();
      expect(log.filter((l) => l.event === "partition")).toEqual([]);
    }
    // Partitions created ahead and dropped by retention are not drift.
    expect(await drift()).toEqual([]);
  });

  it("names the table and partition when a month's rows already sit in the default partition", async () => {
    // No partition for March 2027 yet: the row goes to the default one (or the plain table).
    await db.kysely
      .insertInto("job_event")
      .values({ line: "early", createdAt: new Date("2027-03-15T00:00:00Z") })
      .execute();
    const attempt = ensurePartitions(db, { now: new Date("2027-03-01T00:00:00Z"), ahead: 0 });
    if (native())
      await expect(attempt).rejects.toThrow(
        /job_event: cannot create partition job_event_p202703 \(2027-03-01 to 2027-04-01\)/,
      );
    else expect((await attempt).supported).toBe(false);
  });
});

describeEngines("MySQL partitioning and foreign keys", (engine) => {
  it("the server refuses RANGE partitioning on a table with a foreign key (so plinth prunes such tables in batches)", async () => {
    if (engine.name !== "mysql") return;
    const { url, drop } = await engine.freshDatabase();
    const db = await connect(url, schema({}), { retry: { attempts: 1 } });
    try {
      await sql`CREATE TABLE job (id BIGINT PRIMARY KEY)`.execute(db.kysely);
      const partitioned = sql`CREATE TABLE job_log (id BIGINT NOT NULL, job_id BIGINT NOT NULL,
        created_at DATETIME(3) NOT NULL, PRIMARY KEY (id, created_at),
        CONSTRAINT fk_job_log_job FOREIGN KEY (job_id) REFERENCES job (id))
        PARTITION BY RANGE COLUMNS (created_at) (PARTITION p202601 VALUES LESS THAN ('2026-02-01'),
        PARTITION pmax VALUES LESS THAN (MAXVALUE))`;
      await expect(partitioned.execute(db.kysely)).rejects.toThrow(/foreign key/i);
      // Without the foreign key the same table partitions: the rule is the foreign key's.
      await sql`CREATE TABLE job_log2 (id BIGINT NOT NULL, job_id BIGINT NOT NULL,
        created_at DATETIME(3) NOT NULL, PRIMARY KEY (id, created_at))
        PARTITION BY RANGE COLUMNS (created_at) (PARTITION p202601 VALUES LESS THAN ('2026-02-01'),
        PARTITION pmax VALUES LESS THAN (MAXVALUE))`.execute(db.kysely);
    } finally {
      await db.close();
      await drop();
    }
  });
});
