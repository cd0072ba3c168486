import { existsSync, readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { Gauge } from "prom-client";
import type { Db } from "../data/index.js";
import { translatingDialectOf } from "../data/translating-dialect.js";
import type { HealthOptions } from "./health.js";
import { health } from "./health.js";

export interface ServeOptions {
  /** The registry `/metrics` prints: the one the handle's queryMetrics() registers in. */
  registry: Registry;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** What `/health` checks (pending migrations, thresholds). */
  health?: HealthOptions;
  /** The review report `/report` serves (HTML or Markdown), read at each request. */
  report?: string;
}

export interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The operations endpoints of a service's database, over plain HTTP:
 * `/health` (JSON; 200 when healthy or degraded, 503 when unhealthy), `/metrics` (Prometheus text
 * format) and `/report` (the latest review). Pool gauges are read at each scrape.
 */
export async function serve(db: Db<any>, options: ServeOptions): Promise<Served> {
  const { registry } = options;
  const pool = translatingDialectOf(db.kysely)?.engine.poolStats;
  if (pool && !registry.getSingleMetric("db_pool_connections")) {
    new Gauge({
      name: "db_pool_connections",
      help: "Connections of the pool by state (busy, idle, waiting callers), read at each scrape",
      labelNames: ["state"],
      registers: [registry],
      collect() {
        const s = pool();
        this.set({ state: "busy" }, s.total - s.idle);
        this.set({ state: "idle" }, s.idle);
        this.set({ state: "waiting" }, s.waiting);
      },
    });
  }
  const routes: Record<string, (res: ServerResponse) => Promise<void>> = {
    "/health": async (res) => {
      const report = await health(db, options.health);
      send(res, report.status === "unhealthy" ? 503 : 200, "application/json", JSON.stringify(report));
    },
    "/metrics": async (res) => send(res, 200, registry.contentType, await registry.metrics()),
    "/report": async (res) => {
      const file = options.report;
      if (!file || !existsSync(file)) {
        send(
          res,
          404,
          "text/plain; charset=utf-8",
          "no review report yet: run `plinth review --out <file>` and serve it with --report <file>\n",
        );
        return;
      }
      const text = readFileSync(file, "utf8");
      const html = /^\s*</.test(text)
        ? text
        : `<!doctype html><meta charset="utf-8"><title>plinth review</title><pre>${escapeHtml(text)}</pre>`;
      send(res, 200, "text/html; charset=utf-8", html);
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const route = req.method === "GET" || req.method === "HEAD" ? routes[path] : undefined;
    if (!route) {
      send(res, 404, "text/plain; charset=utf-8", `not found: try ${Object.keys(routes).join(", ")}\n`);
      return;
    }
    route(res).catch((error: unknown) => {
      send(
        res,
        500,
        "text/plain; charset=utf-8",
        `${error instanceof Error ? error.message : String(error)}\n`,
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
}
