import { existsSync } from "node:fs";
import Module from "node:module";
import { relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CliError } from "./errors.js";

let registered: Promise<void> | undefined;

/**
 * tsx's loaders, registered once for the whole process: TypeScript compiles on the fly in ESM and in
 * CommonJS projects, with no build step. Registered globally rather than in a namespace so that a
 * user's module importing "plinth" gets the very instance the CLI runs on: one AsyncLocalStorage for
 * transactions and audit contexts, one set of error classes for instanceof.
 */
function registerTypeScript(): Promise<void> {
  registered ??= (async () => {
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    esm.register();
    const extensions = (Module as unknown as { _extensions: Record<string, JsLoader> })._extensions;
    const native = extensions[".js"]!;
    cjs.register();
    // tsx's CommonJS loader compiles every ES module a CommonJS file requires into a CommonJS copy.
    // For plinth's own files that copy would be a second plinth, with its own transaction and audit
    // contexts: leave them to Node, whose require() of an ES module returns the instance already
    // loaded. Every other file still goes through tsx.
    const compiled = extensions[".js"]!;
    extensions[".js"] = function (this: unknown, module, filename) {
      const loader = filename.startsWith(OWN_FILES) ? native : compiled;
      return loader.call(this, module, filename);
    };
  })();
  return registered;
}

type JsLoader = (this: unknown, module: unknown, filename: string) => unknown;

/** plinth's compiled files (dist/), as Node reports their paths. */
const OWN_FILES = fileURLToPath(new URL("../", import.meta.url));

/**
 * Imports a user's module (schema, seed, config) written in TypeScript or JavaScript, ESM or
 * CommonJS. `what` names it in errors: a missing file or one that does not compile is one line.
 */
export async function importModule(file: string, what: string): Promise<Record<string, unknown>> {
  const path = resolve(file);
  if (!existsSync(path)) throw new CliError(`${what} not found: ${shown(path)}`);
  await registerTypeScript();
  try {
    return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    throw new CliError(`${what} ${shown(path)} could not be loaded: ${oneLine(error)}`, { cause: error });
  }
}

/**
 * Every value a module exports, however it was compiled: ESM named and default exports, a CommonJS
 * `module.exports` (which arrives as `default`), and TypeScript's `export default` compiled to
 * CommonJS (`exports.default`, which arrives as `default.default`).
 */
export function exportedValues(mod: Record<string, unknown>): unknown[] {
  const values: unknown[] = [];
  const add = (v: unknown) => {
    if (v !== undefined && !values.includes(v)) values.push(v);
  };
  const inner = mod.default as Record<string, unknown> | undefined;
  add(inner);
  if (inner && typeof inner === "object") add(inner.default);
  for (const v of Object.values(mod)) add(v);
  if (inner && typeof inner === "object") for (const v of Object.values(inner)) add(v);
  return values;
}

/** A path as a user would type it: relative to the current folder when it is inside it. */
export function shown(path: string): string {
  const r = relative(process.cwd(), path);
  return r && !r.startsWith("..") ? r : path;
}

/**
 * A load error on one line: esbuild reports a syntax error over several, with a code frame; Node's
 * own errors carry a require stack. The first meaningful lines are kept.
 */
export function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s*[│|]/.test(l) && !/^[│|^\s]+$/.test(l) && !/^Require stack:|^- \//.test(l))
    .join(" ")
    .replace(/\s+/g, " ")
    .slice(0, 300);
}
