import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";

/** The package under test: its root, whose bin/ and dist/ a temporary project runs. */
export const PACKAGE_ROOT = resolve(import.meta.dirname, "..", "..");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * A throwaway application folder outside the repository, as `npm init -y` leaves one (CommonJS by
 * default, or ESM), with plinth installed as a link to this package: `import "plinth"` resolves
 * through node_modules exactly as after `npm install plinth`, to the same files the CLI runs. The
 * environment is a clean one: no DATABASE_URL, no encryption keys unless a test sets them.
 */
export class TempProject {
  readonly dir: string;

  /** `linked: false` leaves node_modules empty, for a project that installs the packed package. */
  constructor(type: "commonjs" | "module" = "commonjs", { linked = true }: { linked?: boolean } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), "plinth-project-"));
    this.write(
      "package.json",
      `${JSON.stringify({ name: "app", version: "1.0.0", type, scripts: {} }, null, 2)}\n`,
    );
    mkdirSync(join(this.dir, "node_modules"));
    if (linked) symlinkSync(PACKAGE_ROOT, join(this.dir, "node_modules", "plinth"), "dir");
  }

  /** Runs the shipped CLI (bin/plinth.js over dist/) in this folder. */
  plinth(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
    return this.run(process.execPath, [join(PACKAGE_ROOT, "bin", "plinth.js"), ...args], env);
  }

  /** Runs node with a script in this folder. */
  node(args: string[], env: NodeJS.ProcessEnv = {}): CliResult {
    return this.run(process.execPath, args, env);
  }

  /** Runs a shell command line in this folder, as a user types it (`npx plinth up`, `node app.js`). */
  shell(line: string, env: NodeJS.ProcessEnv = {}): CliResult {
    return this.run("bash", ["-c", line], env);
  }

  private run(command: string, args: string[], env: NodeJS.ProcessEnv): CliResult {
    // npm offline: an npx that does not find a command installed fails instead of fetching one.
    const base: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1", npm_config_offline: "true" };
    delete base.DATABASE_URL;
    delete base.PLINTH_ENCRYPTION_KEYS;
    const r = spawnSync(command, args, { cwd: this.dir, encoding: "utf8", env: { ...base, ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  path(file: string): string {
    return join(this.dir, file);
  }

  write(file: string, text: string): void {
    mkdirSync(dirname(this.path(file)), { recursive: true });
    writeFileSync(this.path(file), text);
  }

  read(file: string): string {
    return readFileSync(this.path(file), "utf8");
  }

  exists(file: string): boolean {
    return existsSync(this.path(file));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The JSON a command printed with --json. */
export function json(r: CliResult): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
}
