/**
 * A PgBouncer of a test's own, in front of a PostgreSQL server, on a loopback port of its own
 * (Debian's `pgbouncer` package). Trust authentication: the user only has to be listed.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, giveToPostgres, runAsPostgres } from "./pg-server.js";

export interface PgBouncer {
  /** A URL of the same database as the server's, through the pooler. */
  url: string;
  port: number;
  version: string;
  /** The admin console (`SHOW POOLS`, `SHOW STATS`), as the server's user. */
  adminUrl: string;
  stop(): Promise<void>;
}

/** The pgbouncer binary, or undefined when it is not installed. */
export function pgBouncerBin(): string | undefined {
  const candidates = [process.env.PLINTH_TEST_PGBOUNCER, "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export async function startPgBouncer(
  server: { port: number },
  settings: { poolMode?: "transaction" | "session"; poolSize?: number } = {},
): Promise<PgBouncer> {
  const bin = pgBouncerBin();
  if (!bin) throw new Error("pgbouncer is not installed (apt-get install pgbouncer)");
  const dir = mkdtempSync(join(tmpdir(), "plinth-pgbouncer-"));
  const port = await freePort();
  const pidfile = join(dir, "pid");
  writeFileSync(join(dir, "userlist.txt"), '"postgres" ""\n');
  writeFileSync(
    join(dir, "pgbouncer.ini"),
    [
      "[databases]",
      `* = host=127.0.0.1 port=${server.port}`,
      "[pgbouncer]",
      "listen_addr = 127.0.0.1",
      `listen_port = ${port}`,
      "unix_socket_dir =",
      "auth_type = trust",
      `auth_file = ${join(dir, "userlist.txt")}`,
      `pool_mode = ${settings.poolMode ?? "transaction"}`,
      `default_pool_size = ${settings.poolSize ?? 4}`,
      "max_client_conn = 500",
      "admin_users = postgres",
      `logfile = ${join(dir, "log")}`,
      `pidfile = ${pidfile}`,
      "",
    ].join("\n"),
  );
  // PgBouncer refuses to run as root.
  await giveToPostgres(dir);
  const as = (args: string[]) => runAsPostgres(bin, args);
  const { stdout } = await as(["--version"]);
  const version = /PgBouncer (\S+)/.exec(stdout)?.[1] ?? "unknown";
  await as(["-d", join(dir, "pgbouncer.ini")]);
  const deadline = Date.now() + 10_000;
  while (!existsSync(pidfile)) {
    if (Date.now() > deadline) throw new Error(`pgbouncer did not start: ${tail(join(dir, "log"))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    adminUrl: `postgres://postgres@127.0.0.1:${port}/pgbouncer`,
    port,
    version,
    stop: async () => {
      try {
        process.kill(pid, "SIGTERM");
      } catch {}
      const until = Date.now() + 5000;
      while (alive(pid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-5).join(" | ");
  } catch {
    return "(no log)";
  }
}
