/**
 * A PostgreSQL server of a test's own, for tests that must stop, restart or reconfigure the server
 * (the shared one from global-setup serves every other test file and must stay up).
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const isRoot = process.getuid?.() === 0;

/**
 * Runs a server binary as the `postgres` user when the tests run as root (PostgreSQL and PgBouncer
 * both refuse root), and as the current user otherwise.
 */
export function runAsPostgres(file: string, args: string[], cwd?: string) {
  return isRoot ? run("runuser", ["-u", "postgres", "--", file, ...args], { cwd }) : run(file, args, { cwd });
}

/** Hands `dir` to the `postgres` user when the tests run as root, so the server can write in it. */
export async function giveToPostgres(dir: string): Promise<void> {
  if (isRoot) await run("chown", ["-R", "postgres:", dir]);
}

export interface PgServer {
  url: string;
  port: number;
  dataDir: string;
  /** pg_ctl with these arguments, as the server's owner. */
  ctl(...args: string[]): Promise<void>;
  /** Stops (fast: active sessions are terminated) and starts again; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Starts it again after `ctl("-m", "immediate", "stop")`, with the options it first started with. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The directory of initdb and pg_ctl, or undefined when PostgreSQL's server binaries are not installed. */
export function pgBinDir(): string | undefined {
  const override = process.env.PLINTH_TEST_PG_BIN_DIR;
  if (override) return existsSync(join(override, "initdb")) ? override : undefined;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return undefined;
}

export async function startPgServer(settings: string[] = []): Promise<PgServer> {
  return ownServer(
    "plinth-own-pg-",
    (as, data) => as("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-N"]),
    ["-c fsync=off -c synchronous_commit=off -c full_page_writes=off", ...settings],
  );
}

type AsOwner = (cmd: string, args: string[]) => Promise<unknown>;

/**
 * A server in a temporary directory of its own, on a free loopback port: `prepare` makes its data
 * directory (initdb, a base backup), then it starts with `settings` and is ready to connect to.
 */
async function ownServer(
  prefix: string,
  prepare: (as: AsOwner, data: string) => Promise<unknown>,
  settings: string[],
): Promise<PgServer> {
  const bin = pgBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries (initdb, pg_ctl) are not installed");
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const data = join(dir, "data");
  const as: AsOwner = (cmd, args) => runAsPostgres(join(bin, cmd), args, dir);
  await giveToPostgres(dir);
  const port = await freePort();
  await prepare(as, data);
  const options = [`-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`, ...settings].join(" ");
  const ctl = async (...args: string[]) => {
    await as("pg_ctl", ["-D", data, "-l", join(dir, "log"), ...args]);
  };
  await ctl("-w", "start", "-o", options);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir: data,
    ctl,
    restart: () => ctl("-w", "-m", "fast", "restart", "-o", options),
    start: () => ctl("-w", "start", "-o", options),
    stop: async () => {
      await ctl("-m", "immediate", "stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/**
 * A streaming replica of `primary` (started with `wal_level=replica`, the default): a base backup
 * taken with `pg_basebackup -R`, which writes standby.signal and the primary's connection settings,
 * then started on a port of its own. initdb's pg_hba.conf already lets loopback replicate. `settings`
 * that the primary was started with and a standby must match (max_connections) go here too.
 */
export async function startPgReplica(primary: PgServer, settings: string[] = []): Promise<PgServer> {
  return ownServer(
    "plinth-own-pg-replica-",
    (as, data) =>
      as("pg_basebackup", [
        "-h",
        "127.0.0.1",
        "-p",
        String(primary.port),
        "-U",
        "postgres",
        "-D",
        data,
        "-R",
        "-X",
        "stream",
        "--no-sync",
      ]),
    [
      "-c fsync=off -c hot_standby=on -c wal_receiver_status_interval=1",
      // A hot standby needs max_connections and the like at least as high as its primary's.
      ...settings,
    ],
  );
}
