/**
 * Vitest globalSetup: starts throwaway PostgreSQL and MariaDB servers (one each, shared by
 * all test files) so the engine matrix in ./matrix.ts can run against real servers.
 *
 * Env vars:
 *   CI                      non-empty → a server engine that cannot be started is an error, not a skip
 *   PLINTH_TEST_ENGINES     comma list restricting engines (e.g. "sqlite,pglite")
 *   PLINTH_TEST_PG_URL      admin URL of an existing PostgreSQL server (nothing is started)
 *   PLINTH_TEST_MYSQL_URL   admin URL of an existing MySQL/MariaDB server (nothing is started)
 *   PLINTH_TEST_PG_BIN_DIR  directory holding initdb/pg_ctl (default: /usr/lib/postgresql/<newest>/bin, then PATH)
 *   PLINTH_TEST_MYSQL_BIN_DIR directory holding mariadbd/mariadb-install-db (default: PATH, /usr/sbin)
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import mysql from "mysql2/promise";
import pc from "picocolors";
import type { TestProject } from "vitest/node";
import type { EngineName } from "./matrix.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin URL (may CREATE DATABASE) of the PostgreSQL server, or null when not running. */
    pgAdminUrl: string | null;
    /** Admin URL (may CREATE DATABASE) of the MySQL/MariaDB server, or null when not running. */
    mysqlAdminUrl: string | null;
    /** Why an engine is not available, for visible describe.skip titles. */
    engineSkipReasons: Partial<Record<EngineName, string>>;
  }
}

const run = promisify(execFile);
const ALL: EngineName[] = ["sqlite", "pglite", "postgres", "mysql"];
const isRoot = process.getuid?.() === 0;
const INSTALL_HINT = "apt-get install postgresql mariadb-server";

/** A started server: its admin URL and a synchronous-safe way to stop it. */
interface Server {
  url: string;
  stop(): Promise<void>;
  /** Last-resort synchronous kill, used from process 'exit' if teardown never ran. */
  killSync(): void;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const requested = new Set<string>(
    process.env.PLINTH_TEST_ENGINES ? process.env.PLINTH_TEST_ENGINES.split(",").map((s) => s.trim()) : ALL,
  );
  const unknown = [...requested].filter((n) => !ALL.includes(n as EngineName));
  if (unknown.length > 0) throw new Error(`PLINTH_TEST_ENGINES: unknown engine(s) ${unknown.join(", ")}`);
  const skips: Partial<Record<EngineName, string>> = {};
  for (const name of ALL) {
    if (!requested.has(name))
      skips[name] = `excluded by PLINTH_TEST_ENGINES=${process.env.PLINTH_TEST_ENGINES}`;
  }

  // Start both servers concurrently: each takes a few seconds to initialise.
  const [pg, my] = await Promise.allSettled([
    requested.has("postgres") ? startPostgres() : Promise.resolve(null),
    requested.has("mysql") ? startMariadb() : Promise.resolve(null),
  ]);
  const servers: Server[] = [];
  const urlOf = (r: PromiseSettledResult<Server | string | null>, name: EngineName): string | null => {
    if (r.status === "rejected") {
      skips[name] = (r.reason as Error).message;
      return null;
    }
    if (r.value && typeof r.value === "object") servers.push(r.value);
    return typeof r.value === "string" ? r.value : (r.value?.url ?? null);
  };
  const pgAdminUrl = urlOf(pg, "postgres");
  const mysqlAdminUrl = urlOf(my, "mysql");

  // Backstop: if vitest dies without calling teardown, don't leave daemons running.
  const onExit = () => {
    for (const s of servers) s.killSync();
  };
  process.once("exit", onExit);
  const teardown = async () => {
    process.off("exit", onExit);
    await Promise.allSettled(servers.map((s) => s.stop()));
    // Repeat the skip notice after the results: the opening banner is long scrolled away.
    const notice = skipNotice(skips);
    if (notice) console.log(notice);
  };

  console.log(`\n${banner(skips)}\n${skipNotice(skips)}`);

  // Only engines that were wanted but failed are fatal in CI; an explicit PLINTH_TEST_ENGINES
  // exclusion is a deliberate choice.
  const failed = (["postgres", "mysql"] as const).filter((n) => requested.has(n) && skips[n]);
  if (process.env.CI && failed.length > 0) {
    await teardown();
    throw new Error(
      `CI is set, refusing to skip server engine(s): ${failed.map((n) => `${n} (${skips[n]})`).join("; ")}`,
    );
  }

  project.provide("pgAdminUrl", pgAdminUrl);
  project.provide("mysqlAdminUrl", mysqlAdminUrl);
  project.provide("engineSkipReasons", skips);
  return teardown;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

async function startPostgres(): Promise<Server | string> {
  if (process.env.PLINTH_TEST_PG_URL) return process.env.PLINTH_TEST_PG_URL;
  const bin = findPgBin();
  if (!bin) throw new Error("PostgreSQL binaries (initdb, pg_ctl) not found");

  const dir = mkdtempSync(join(tmpdir(), "plinth-pg-"));
  // PostgreSQL refuses to run as root, so as root everything runs as the `postgres` user.
  const asPg = (cmd: string, args: string[]) =>
    isRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, cmd), ...args], { cwd: dir })
      : run(join(bin, cmd), args, { cwd: dir });
  const data = join(dir, "data");
  const pgCtlStop = ["-D", data, "stop", "-m", "immediate"];
  try {
    if (isRoot) await run("chown", ["postgres:", dir]);
    const port = await freePort();
    // -N: skip fsync during initdb; it is a throwaway cluster.
    await asPg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "-N"]);
    // Durability off: nothing here needs to survive a crash, and it makes DDL-heavy tests fast.
    const opts = [
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
    ];
    await asPg("pg_ctl", ["-D", data, "-l", join(dir, "log"), "-w", "start", "-o", opts.join(" ")]);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      stop: async () => {
        await asPg("pg_ctl", pgCtlStop).catch(() => {});
        rmSync(dir, { recursive: true, force: true });
      },
      killSync: () => {
        try {
          const cmd = join(bin, "pg_ctl");
          if (isRoot)
            execFileSync("runuser", ["-u", "postgres", "--", cmd, ...pgCtlStop], { stdio: "ignore" });
          else execFileSync(cmd, pgCtlStop, { stdio: "ignore" });
        } catch {}
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const log = tail(join(dir, "log"));
    await asPg("pg_ctl", pgCtlStop).catch(() => {}); // in case it got as far as starting
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`PostgreSQL failed to start: ${errText(err)}${log}`);
  }
}

function findPgBin(): string | null {
  const override = process.env.PLINTH_TEST_PG_BIN_DIR;
  if (override) return existsSync(join(override, "initdb")) ? override : null;
  // Debian keeps server binaries off PATH, under a versioned directory; prefer the newest.
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, "bin", "initdb"))) return join(root, v, "bin");
  return whichDir("initdb");
}

// ---------------------------------------------------------------------------------------------
// MariaDB

const MYSQL_USER = "plinth";
const MYSQL_PASSWORD = "plinth";

async function startMariadb(): Promise<Server | string> {
  if (process.env.PLINTH_TEST_MYSQL_URL) return process.env.PLINTH_TEST_MYSQL_URL;
  const override = process.env.PLINTH_TEST_MYSQL_BIN_DIR;
  const find = (cmd: string) =>
    override ? (existsSync(join(override, cmd)) ? override : null) : whichDir(cmd);
  const serverDir = find("mariadbd");
  const installDir = find("mariadb-install-db");
  if (!serverDir || !installDir) throw new Error("MariaDB binaries (mariadbd, mariadb-install-db) not found");

  const dir = mkdtempSync(join(tmpdir(), "plinth-my-"));
  const sock = join(dir, "sock");
  const errLog = join(dir, "error.log");
  const userArgs = isRoot ? ["--user=root"] : [];
  let child: ChildProcess | undefined;
  const kill = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once("exit", r));
      child.kill("SIGTERM");
      // Clean shutdown is normally sub-second; don't let a wedged server block teardown.
      const timer = setTimeout(() => child?.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await freePort();
    // --no-defaults everywhere: ignore /etc/mysql config (system socket, ports, bind address).
    await run(join(installDir, "mariadb-install-db"), [
      "--no-defaults",
      ...userArgs,
      `--datadir=${join(dir, "data")}`,
      "--auth-root-authentication-method=normal",
      "--skip-test-db",
    ]);
    child = spawn(
      join(serverDir, "mariadbd"),
      [
        "--no-defaults",
        ...userArgs,
        `--datadir=${join(dir, "data")}`,
        `--socket=${sock}`,
        `--port=${port}`,
        "--bind-address=127.0.0.1",
        `--pid-file=${join(dir, "pid")}`,
        `--log-error=${errLog}`,
        "--skip-log-bin",
        "--skip-name-resolve",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        "--max-connections=500",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
      ],
      { stdio: "ignore" },
    );
    const root = await waitForMariadb(child, sock);
    try {
      // root only works over the socket; tests get a TCP user, like a real deployment.
      await root.query(`CREATE USER '${MYSQL_USER}'@'127.0.0.1' IDENTIFIED BY '${MYSQL_PASSWORD}'`);
      await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${MYSQL_USER}'@'127.0.0.1' WITH GRANT OPTION`);
    } finally {
      await root.end();
    }
    return {
      url: `mysql://${MYSQL_USER}:${MYSQL_PASSWORD}@127.0.0.1:${port}/`,
      stop: kill,
      killSync: () => {
        child?.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    const log = tail(errLog);
    await kill();
    throw new Error(`MariaDB failed to start: ${errText(err)}${log}`);
  }
}

async function waitForMariadb(child: ChildProcess, socketPath: string): Promise<mysql.Connection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`mariadbd exited early (code ${child.exitCode ?? child.signalCode})`);
    }
    try {
      return await mysql.createConnection({ socketPath, user: "root" });
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`mariadbd not ready after 60s: ${errText(err)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Asks the kernel for a free loopback port. Racy in theory, fine for a test run. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Directory on PATH (plus the sbin dirs non-root shells often lack) containing `cmd`. */
function whichDir(cmd: string): string | null {
  const dirs = [...(process.env.PATH ?? "").split(delimiter), "/usr/local/sbin", "/usr/sbin", "/sbin"];
  return dirs.find((d) => d && existsSync(join(d, cmd))) ?? null;
}

function errText(err: unknown): string {
  const e = err as { message?: string; stderr?: string };
  return (e.stderr?.trim() || e.message || String(err)).split("\n").slice(0, 5).join(" | ");
}

/** Last lines of a server log, to make start failures diagnosable from the test output. */
function tail(file: string): string {
  try {
    const lines = readFileSync(file, "utf8").trim().split("\n").slice(-5);
    return lines.length ? `\n      log tail:\n        ${lines.join("\n        ")}` : "";
  } catch {
    return "";
  }
}

function banner(skips: Partial<Record<EngineName, string>>): string {
  const running = ALL.filter((n) => !skips[n]);
  const line = pc.cyan("═".repeat(72));
  return [line, pc.cyan(pc.bold(`  plinth test engines: ${running.join(", ") || "(none)"}`)), line].join(
    "\n",
  );
}

/** The loud part: one block per skipped engine, plus how to fix it. Empty when nothing skipped. */
function skipNotice(skips: Partial<Record<EngineName, string>>): string {
  const skipped = ALL.filter((n) => skips[n]);
  if (skipped.length === 0) return "";
  const bar = pc.yellow("⚠".repeat(36));
  const out = [bar];
  for (const n of skipped) {
    out.push(pc.bold(pc.red(`⚠  ENGINE SKIPPED: ${n}`)), pc.yellow(`   reason: ${skips[n]}`));
  }
  if (skipped.some((n) => (n === "postgres" || n === "mysql") && !skips[n]?.startsWith("excluded"))) {
    out.push(
      pc.yellow("   Tests for skipped engines are NOT run. To run them install the servers:"),
      pc.bold(pc.yellow(`     ${INSTALL_HINT}`)),
      pc.yellow("   or point PLINTH_TEST_PG_URL / PLINTH_TEST_MYSQL_URL at existing servers."),
    );
  }
  out.push(bar);
  return `${out.join("\n")}\n`;
}
