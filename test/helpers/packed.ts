/**
 * plinth as a user gets it: the tarball `npm pack` makes, installed into a throwaway project. Used
 * by the package test (test/package/pack.test.ts) and the docs test (test/docs/docs.test.ts).
 */
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { PACKAGE_ROOT, TempProject } from "./temp-project.js";

export interface Packed {
  /** The .tgz file. */
  tarball: string;
  /** The paths the tarball holds, relative to the package root ("dist/index.js"). */
  files: string[];
  remove(): void;
}

/** The newest modification time under `dir`, in ms. */
function newest(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
    ),
  );
}

/**
 * `npm pack` of this package. Scripts are ignored: `prepare` would rebuild dist/ in place, and two
 * test files packing at once would then write dist/ together. dist/ comes from `npm run build`
 * (`npm test` runs it first); a dist/ older than src/ is refused rather than tested.
 */
export function pack(): Packed {
  const main = join(PACKAGE_ROOT, "dist", "index.js");
  if (!existsSync(main) || statSync(main).mtimeMs < newest(join(PACKAGE_ROOT, "src"))) {
    throw new Error("dist/ is missing or older than src/: run `npm run build` first");
  }
  const dir = mkdtempSync(join(tmpdir(), "plinth-pack-"));
  const r = spawnSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", dir], {
    cwd: PACKAGE_ROOT,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  if (!info) throw new Error(`npm pack printed no result: ${r.stdout}`);
  return {
    tarball: join(dir, info.filename),
    files: info.files.map((f) => f.path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * A project as `npm init -y` makes one (CommonJS; "module" sets "type": "module" as a user would
 * with `npm pkg set type=module`), with the tarball installed in it.
 */
export function packedProject(
  tarball: string,
  type: "commonjs" | "module",
  { alsoInstalled = [] }: { alsoInstalled?: string[] } = {},
): TempProject {
  const app = new TempProject(type, { linked: false });
  rmSync(app.path("package.json"));
  const init = app.shell(`npm init -y${type === "module" ? " && npm pkg set type=module" : ""}`);
  if (init.code !== 0) throw new Error(`npm init failed: ${init.stderr}`);
  if (process.env.PLINTH_PACK_NPM_INSTALL === "1") installWithNpm(app, tarball);
  else installTarball(app, tarball);
  // Packages the project itself installs next to plinth (the README's zod examples), from here.
  for (const name of alsoInstalled) linkPackage(app, `node_modules/${name}`);
  return app;
}

/**
 * Installs the tarball the way npm lays it out, without npm resolving its dependencies: the package
 * is unpacked into node_modules/plinth, its bin linked into node_modules/.bin, and its runtime
 * dependencies (the lockfile's packages not marked dev, so no vitest or zod) linked from this
 * repository's node_modules, which holds exactly the versions the lockfile resolved. Why not
 * `npm install --offline <tarball>`: it resolves ~130 packages from the cache and took two minutes on
 * a loaded 2-core machine, per project; this takes well under a second. What it leaves out is npm's
 * own dependency resolution, which is npm's to test: PLINTH_PACK_NPM_INSTALL=1 runs the real one.
 */
export function installTarball(app: TempProject, tarball: string): void {
  const target = app.path("node_modules/plinth");
  mkdirSync(target, { recursive: true });
  const untar = spawnSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], {
    encoding: "utf8",
  });
  if (untar.status !== 0) throw new Error(`tar failed: ${untar.stderr}`);

  const lock = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    const topLevel = path.startsWith("node_modules/") && !path.slice(13).includes("node_modules/");
    // Optional packages for other platforms are in the lockfile but not on disk.
    if (!topLevel || entry.dev || !existsSync(join(PACKAGE_ROOT, path))) continue;
    linkPackage(app, path);
  }
  linkBins(app, "node_modules/plinth");
}

/** Links one package (`node_modules/<name>`) from this repository's node_modules, with its bins. */
function linkPackage(app: TempProject, path: string): void {
  mkdirSync(join(app.path(path), ".."), { recursive: true });
  symlinkSync(join(PACKAGE_ROOT, path), app.path(path), "dir");
  linkBins(app, path);
}

/**
 * node_modules/.bin/<name> for each bin of the package at `path`, as npm makes them: `npx tsx` must
 * find the installed tsx, or npx would fetch one from the registry.
 */
function linkBins(app: TempProject, path: string): void {
  const manifest = JSON.parse(readFileSync(app.path(`${path}/package.json`), "utf8")) as {
    name: string;
    bin?: string | Record<string, string>;
  };
  const bins =
    typeof manifest.bin === "string"
      ? { [manifest.name.replace(/^@[^/]+\//, "")]: manifest.bin }
      : (manifest.bin ?? {});
  const binDir = app.path("node_modules/.bin");
  mkdirSync(binDir, { recursive: true });
  for (const [name, file] of Object.entries(bins)) {
    const target = app.path(join(path, file));
    if (existsSync(join(binDir, name))) continue;
    // Only the unpacked package is ours to chmod (as npm does for bins); linked ones are executable.
    if (path === "node_modules/plinth") chmodSync(target, 0o755);
    symlinkSync(relative(binDir, target), join(binDir, name));
  }
}

/** The real thing, from npm's cache (no network): slow, see installTarball. */
function installWithNpm(app: TempProject, tarball: string): void {
  const r = app.shell(`npm install --offline --no-audit --no-fund ${JSON.stringify(tarball)}`);
  if (r.code !== 0) throw new Error(`npm install failed: ${r.stderr}`);
}
