import { Command } from "commander";
import pc from "picocolors";
import { Registry } from "prom-client";
import type { Diagnostics, HealthReport } from "../ops/index.js";
import { doctor, health, queryMetrics, serve } from "../ops/index.js";
import { CliError } from "./errors.js";
import { databaseOptions, jsonOption, migrationsOption, print, schemaOptions } from "./options.js";
import type { ProjectOptions } from "./project.js";
import { connectFor, logger, migrationsIfAny, redactUrl } from "./project.js";

interface DoctorOptions extends ProjectOptions {
  longRunning: string;
}

/**
 * `plinth doctor`: the database's health and what its statistics say, for an operator at a
 * terminal (or a script with --json). Reads only; never creates a database.
 */
export function doctorCommand(): Command {
  const c = new Command("doctor").description(
    "health, table and index sizes, index usage, connections and long-running statements of the database",
  );
  // --blueprint chooses its database and migrations, as in every command.
  schemaOptions(c);
  databaseOptions(c);
  migrationsOption(c);
  jsonOption(c)
    .option("--long-running <seconds>", "list statements running at least this long", "5")
    .action((o: DoctorOptions) => runDoctor(o));
  return c;
}

async function runDoctor(o: DoctorOptions): Promise<void> {
  const longRunningSeconds = Number(o.longRunning);
  if (!(longRunningSeconds >= 0)) throw new CliError(`--long-running takes seconds, not "${o.longRunning}"`);
  const migrations = (await migrationsIfAny(o)) ?? undefined;
  const { db, url } = await connectFor(o, undefined, { mustExist: true });
  try {
    const report = {
      database: redactUrl(url),
      health: await health(db, { migrations }),
      ...(await doctor(db, { longRunningSeconds })),
    };
    print(o, report, () => doctorText(report.database, report.health, report));
    if (report.health.status === "unhealthy") process.exitCode = 1;
  } finally {
    await db.close();
  }
}

function doctorText(database: string, h: HealthReport, d: Diagnostics): string[] {
  const mark = {
    healthy: pc.green("healthy"),
    degraded: pc.yellow("degraded"),
    unhealthy: pc.red("unhealthy"),
  }[h.status];
  const lines = [
    `${database} (${h.version ?? h.engine}): ${mark}${h.latencyMs !== undefined ? `, round trip ${h.latencyMs} ms` : ""}`,
  ];
  for (const r of h.reasons) lines.push(`  ${pc.yellow("!")} ${r}`);
  if (h.pool)
    lines.push(
      `  pool: ${h.pool.total - h.pool.idle} busy, ${h.pool.idle} idle, ${h.pool.waiting} waiting (max ${h.pool.max})`,
    );
  if (h.cacheHitRatio !== undefined)
    lines.push(`  buffer cache hit ratio: ${(h.cacheHitRatio * 100).toFixed(2)} %`);
  if (h.replicationLagSeconds !== undefined) lines.push(`  replication lag: ${h.replicationLagSeconds} s`);
  lines.push("", "tables (largest first):");
  for (const t of d.tables)
    lines.push(
      `  ${t.table.padEnd(32)} ${fmt(t.rows, "rows").padStart(14)} ${bytes(t.bytes).padStart(10)} data ${bytes(t.indexBytes).padStart(10)} indexes`,
    );
  lines.push("", "indexes:");
  for (const i of d.indexes)
    lines.push(
      `  ${`${i.table}.${i.index}`.padEnd(48)} ${bytes(i.bytes).padStart(10)} ${i.scans === undefined ? "" : fmt(i.scans, "scans")}${i.enforcesUniqueness ? " (unique)" : ""}`,
    );
  if (d.unusedIndexes.length > 0) {
    lines.push("", pc.yellow("unused since statistics were reset (and enforcing nothing):"));
    for (const i of d.unusedIndexes) lines.push(`  ${i.table}.${i.index} ${bytes(i.bytes)}`);
  }
  if (d.connections.length > 0)
    lines.push("", `connections: ${d.connections.map((c) => `${c.count} ${c.state}`).join(", ")}`);
  if (d.longRunning.length > 0) {
    lines.push("", pc.yellow("long-running statements:"));
    for (const q of d.longRunning)
      lines.push(
        `  ${q.id} ${q.seconds.toFixed(1)} s ${q.state}: ${q.query.replace(/\s+/g, " ").slice(0, 120)}`,
      );
  }
  const notes = [...h.notes, ...d.notes];
  if (notes.length > 0) lines.push("", pc.dim("notes:"), ...notes.map((n) => pc.dim(`  ${n}`)));
  return lines;
}

function fmt(n: number | undefined, unit: string): string {
  return n === undefined ? "?" : `${Math.round(n).toLocaleString("en")} ${unit}`;
}

function bytes(n: number | undefined): string {
  if (n === undefined) return "?";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

interface ServeOptions extends ProjectOptions {
  port: string;
  host: string;
  report?: string;
  slowQuery: string;
  for?: string;
}

/** `plinth serve`: /health, /metrics and /report over HTTP, until interrupted (or --for seconds). */
export function serveCommand(): Command {
  const c = new Command("serve").description(
    "serve /health (JSON, 503 when unhealthy), /metrics (Prometheus) and /report (the latest review) over HTTP",
  );
  schemaOptions(c);
  databaseOptions(c);
  migrationsOption(c);
  jsonOption(c)
    .option("-p, --port <port>", "port to listen on (0: any free one)", "9464")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--report <file>", "the review report /report serves (from plinth review --out)")
    .option("--slow-query <ms>", "statements slower than this are counted and logged", "100")
    .option("--for <seconds>", "stop after this many seconds (default: until interrupted)")
    .action((o: ServeOptions) => runServe(o));
  return c;
}

async function runServe(o: ServeOptions): Promise<void> {
  const port = Number(o.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`--port takes a port number, not "${o.port}"`);
  const slowQueryMs = Number(o.slowQuery);
  if (!(slowQueryMs >= 0)) throw new CliError(`--slow-query takes milliseconds, not "${o.slowQuery}"`);
  const registry = new Registry();
  const migrations = (await migrationsIfAny(o)) ?? undefined;
  const { db, url } = await connectFor(o, undefined, {
    mustExist: true,
    observer: queryMetrics({ registry, slowQueryMs }),
  });
  const served = await serve(db, { registry, port, host: o.host, report: o.report, health: { migrations } });
  const endpoints = ["/health", "/metrics", "/report"].map((p) => `${served.url}${p}`);
  print(
    o,
    { url: served.url, database: redactUrl(url), endpoints },
    () => `serving ${redactUrl(url)} on ${endpoints.join(", ")}`,
  );
  const stop = async () => {
    await served.close();
    await db.close();
  };
  if (o.for !== undefined) {
    await new Promise((r) => setTimeout(r, Number(o.for) * 1000));
    await stop();
    return;
  }
  const say = logger(o);
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      say(pc.dim("stopping …"));
      stop().then(resolve, resolve);
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
}
