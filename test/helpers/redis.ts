/**
 * A throwaway Redis for a suite: `redis-server` on a unix socket in a temp directory, without
 * persistence, started before the suite's tests and stopped after them.
 *
 *   describeRedis("counts in redis", (redis) => {
 *     it("...", async () => { const client = redis.client(); ... });
 *   });
 *
 * Without redis-server the suite is skipped with a loud notice; with CI set it fails instead.
 * PLINTH_TEST_REDIS_SERVER names the binary when it is not on PATH.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { Redis } from "ioredis";
import pc from "picocolors";
import { afterAll, beforeAll, describe } from "vitest";

export interface TestRedis {
  /** A new client on the server, closed with the suite. */
  client(): Redis;
}

export function describeRedis(title: string, body: (redis: TestRedis) => void): void {
  const bin = findRedisServer();
  if (!bin) {
    const reason = "redis-server not found (apt-get install redis-server, or set PLINTH_TEST_REDIS_SERVER)";
    if (process.env.CI) throw new Error(`CI is set, refusing to skip the Redis tests: ${reason}`);
    console.log(skipNotice(title, reason));
    describe.skip(`${title} — SKIPPED: ${reason}`, () => body({ client: () => unavailable(reason) }));
    return;
  }
  describe(title, () => body(useRedis(bin)));
}

function useRedis(bin: string): TestRedis {
  let server: { socket: string; stop(): Promise<void> } | undefined;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis(bin);
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.quit()));
    await server?.stop();
  });
  return {
    client() {
      if (!server) throw new Error("describeRedis: the server is only there inside tests and hooks");
      const client = new Redis({ path: server.socket, maxRetriesPerRequest: 1 });
      clients.push(client);
      return client;
    },
  };
}

async function startRedis(bin: string): Promise<{ socket: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "plinth-redis-"));
  const socket = join(dir, "redis.sock");
  const log = join(dir, "redis.log");
  // Port 0: no TCP listener at all, so parallel test files never compete for a port.
  const child = spawn(
    bin,
    [
      "--port",
      "0",
      "--unixsocket",
      socket,
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
      "--logfile",
      log,
    ],
    { stdio: "ignore" },
  );
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const stop = async () => {
    process.off("exit", kill);
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRedis(child, socket);
    return { socket, stop };
  } catch (error) {
    const tail = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").slice(-5).join("\n  ") : "";
    await stop();
    throw new Error(`redis-server failed to start: ${(error as Error).message}${tail ? `\n  ${tail}` : ""}`);
  }
}

async function waitForRedis(child: ChildProcess, socket: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`redis-server exited early (code ${child.exitCode ?? child.signalCode})`);
    if (existsSync(socket)) {
      const probe = new Redis({
        path: socket,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
      });
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") return;
      } catch {
        // not accepting yet
      } finally {
        probe.disconnect();
      }
    }
    if (Date.now() > deadline) throw new Error("redis-server not ready after 10 s");
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
}

function findRedisServer(): string | null {
  const override = process.env.PLINTH_TEST_REDIS_SERVER;
  if (override) return existsSync(override) ? override : null;
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/bin", "/usr/bin", "/usr/sbin"];
  const dir = dirs.find((d) => d && existsSync(join(d, "redis-server")));
  return dir ? join(dir, "redis-server") : null;
}

function unavailable(reason: string): never {
  throw new Error(reason);
}

function skipNotice(title: string, reason: string): string {
  const bar = pc.yellow("⚠".repeat(36));
  return [
    bar,
    pc.bold(pc.red(`⚠  REDIS TESTS SKIPPED: ${title}`)),
    pc.yellow(`   reason: ${reason}`),
    pc.yellow("   The Redis count cache is NOT tested in this run."),
    bar,
  ].join("\n");
}
