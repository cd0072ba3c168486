/**
 * plinth serve's endpoints, in process: /health answers 200 while the database answers and 503
 * once it does not, /metrics is Prometheus text with the statements the handle ran, /report serves
 * a review file. A bounded load on loopback completes without an error; p50 and p99 are printed.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Db } from "plinth";
import { connect } from "plinth";
import type { Served } from "plinth/ops";
import { queryMetrics, serve } from "plinth/ops";
import { col, schema, table } from "plinth/schema";
import { Registry } from "prom-client";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";

const app = schema({ item: table("item", { id: col.id(), name: col.varchar(40) }) });
const LOAD = { requests: 400, concurrency: 16 };

describeEngines("plinth serve", (engine) => {
  let db: Db<typeof app>;
  let served: Served;
  let drop: () => Promise<void>;
  const dir = mkdtempSync(join(tmpdir(), "plinth-serve-"));
  const report = join(dir, "review.md");

  beforeAll(async () => {
    const fresh = await engine.freshDatabase();
    drop = fresh.drop;
    const registry = new Registry();
    db = await connect(fresh.url, app, {
      retry: { attempts: 1 },
      observer: queryMetrics({ registry, logger: false }),
    });
    await db.createSchema();
    served = await serve(db, { registry, report });
  });
  afterAll(async () => {
    await served?.close();
    await db?.close().catch(() => {});
    await drop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers /health with the measured report, and /metrics with the statements run", async () => {
    await db.repo("item").create({ name: "a" });
    const health = await fetch(`${served.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "healthy", engine: engine.name });
    const metrics = await fetch(`${served.url}/metrics`);
    expect(metrics.headers.get("content-type")).toMatch(/text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/db_query_duration_seconds_count\{operation="insert",table="item"\} [1-9]/);
    expect(text).toMatch(/# TYPE db_slow_queries_total counter/);
  });

  it("serves the review report as HTML, escaped, and says how to make one when there is none", async () => {
    const none = await fetch(`${served.url}/report`);
    expect(none.status).toBe(404);
    expect(await none.text()).toMatch(/plinth review/);
    writeFileSync(report, "# Review\n<script>x</script>\n");
    const page = await fetch(`${served.url}/report`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("&lt;script&gt;");
    expect(html).not.toContain("<script>");
    // The HTML report (plinth review --format html) is a whole document: served as it is.
    const document = '<!doctype html>\n<html lang="en"><title>review</title><svg class="er"></svg></html>\n';
    writeFileSync(report, document);
    expect(await (await fetch(`${served.url}/report`)).text()).toBe(document);
  });

  it(`takes ${LOAD.requests} requests, ${LOAD.concurrency} at a time, without an error`, async () => {
    const latencies: number[] = [];
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < LOAD.requests) {
        const path = next++ % 2 === 0 ? "/health" : "/metrics";
        const started = performance.now();
        const res = await fetch(`${served.url}${path}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - started);
        if (res.status !== 200) failures.push(`${path}: ${res.status}`);
      }
    };
    await Promise.all(Array.from({ length: LOAD.concurrency }, worker));
    latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!.toFixed(1);
    console.log(
      `plinth serve [${engine.name}]: ${latencies.length} requests, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
    );
    expect(failures).toEqual([]);
    expect(latencies).toHaveLength(LOAD.requests);
  });

  it("answers 503 once the database is gone", async () => {
    await db.close();
    const res = await fetch(`${served.url}/health`);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "unhealthy" });
  });
});
