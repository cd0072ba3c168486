/**
 * The code base's own rules, checked on its source text: engine differences live in src/dialect/,
 * layers import downwards only, and no module imports itself back at run time. See
 * docs/architecture.md for why.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const SRC = join(ROOT, "src");

function files(dir: string, keep: (path: string) => boolean): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return files(path, keep);
    return keep(path) ? [path] : [];
  });
}

const sourceFiles = files(SRC, (p) => p.endsWith(".ts"));
const blueprintCode = files(join(ROOT, "blueprints"), (p) => p.endsWith(".ts") && !p.endsWith(".test.ts"));
const rel = (p: string) => relative(ROOT, p);

const ENGINE = `(?:sqlite|postgres|postgresql|pglite|mysql|mariadb)`;
/** Comparisons that choose behaviour by an engine's name. */
const NAME_CHECKS = [
  new RegExp(`[!=]==\\s*["'\`]${ENGINE}["'\`]`),
  new RegExp(`["'\`]${ENGINE}["'\`]\\s*[!=]==`),
  new RegExp(`case\\s+["'\`]${ENGINE}["'\`]\\s*:`),
  /\b(?:dialect|engine)(?:\.name)?\s*[!=]==/,
];

/** Lines of `file` that compare engine names, comments left out. */
function nameChecks(file: string): string[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line, i) => ({ line: line.replace(/\/\/.*$/, ""), at: `${rel(file)}:${i + 1}` }))
    .filter(({ line }) => !/^\s*\*/.test(line) && NAME_CHECKS.some((re) => re.test(line)))
    .map(({ line, at }) => `${at}: ${line.trim()}`);
}

describe("engine differences", () => {
  it("the check recognises a comparison of engine names", () => {
    const samples = [
      `if (db.dialect === "mysql") run();`,
      `case "postgres":`,
      `return "sqlite" !== d ? a : b;`,
      `if (target.engine !== x) return;`,
    ];
    for (const sample of samples)
      expect(
        NAME_CHECKS.some((re) => re.test(sample)),
        sample,
      ).toBe(true);
    expect(NAME_CHECKS.some((re) => re.test(`if (d.capabilities.returning) run();`))).toBe(false);
  });

  it("no code outside src/dialect/ chooses behaviour by an engine's name", () => {
    const outside = sourceFiles.filter((f) => !rel(f).startsWith("src/dialect/"));
    expect(outside.length).toBeGreaterThan(50);
    expect(outside.flatMap(nameChecks)).toEqual([]);
  });

  it("blueprints use plinth's adapter, not engine names", () => {
    expect(blueprintCode.length).toBeGreaterThan(10);
    expect(blueprintCode.flatMap(nameChecks)).toEqual([]);
  });

  it("each engine's adapter sits in its own folder with the same parts", () => {
    for (const engine of ["sqlite", "postgres", "mysql"]) {
      const dir = join(SRC, "dialect", engine);
      const parts = readdirSync(dir).filter((n) => n.endsWith(".ts"));
      for (const part of [
        "index.ts",
        "ddl.ts",
        "editor.ts",
        "driver.ts",
        "introspect.ts",
        "errors.ts",
        "runtime.ts",
      ])
        expect(parts, `${engine}/${part}`).toContain(part);
    }
  });
});

/** Layers, lowest first; a module may import its own layer and those listed for it. */
const LAYERS: Record<string, string[]> = {
  errors: [],
  schema: ["errors"],
  dialect: ["errors", "schema"],
  crypto: ["errors", "schema"],
  data: ["errors", "schema", "dialect", "crypto"],
  audit: ["errors", "schema", "dialect", "data"],
  security: ["errors", "schema", "crypto", "data"],
  migrate: ["errors", "schema", "dialect", "data"],
  review: ["errors", "schema", "dialect", "data", "migrate"],
  ops: ["errors", "schema", "dialect", "data", "migrate"],
  config: [],
  cli: [
    "errors",
    "schema",
    "dialect",
    "crypto",
    "data",
    "audit",
    "security",
    "migrate",
    "review",
    "ops",
    "config",
  ],
  index: ["errors", "schema", "dialect", "data", "audit", "config"],
};

const layerOf = (file: string) => {
  const [first] = relative(SRC, file).split("/");
  return first!.replace(/\.ts$/, "");
};

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8");
  const found: Import[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?[^;]*?from\s+"(\.[^"]+)"/gms)) {
    const target = resolve(dirname(file), m[3]!.replace(/\.js$/, ".ts"));
    found.push({ from: file, to: target, typeOnly: m[2] !== undefined });
  }
  return found;
}

const imports = sourceFiles.flatMap(importsOf);

describe("layers", () => {
  it("every module imports only its own layer and the layers below it", () => {
    const wrong = imports
      .filter(({ from, to }) => {
        const [a, b] = [layerOf(from), layerOf(to)];
        return a !== b && !(LAYERS[a] ?? []).includes(b);
      })
      .map(({ from, to }) => `${rel(from)} → ${rel(to)}`);
    expect(Object.keys(LAYERS)).toEqual(expect.arrayContaining([...new Set(sourceFiles.map(layerOf))]));
    expect(wrong).toEqual([]);
  });

  it("the cycle check finds a cycle", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(cyclesIn(graph)).toEqual(["a → b → c → a"]);
  });

  it("no module imports itself back at run time", () => {
    const graph = new Map<string, string[]>();
    for (const { from, to, typeOnly } of imports) {
      if (typeOnly) continue;
      graph.set(relative(SRC, from), [...(graph.get(relative(SRC, from)) ?? []), relative(SRC, to)]);
    }
    expect(graph.size).toBeGreaterThan(50);
    expect(cyclesIn(graph)).toEqual([]);
  });
});

/** Every cycle a depth-first walk meets, each as `a → b → a`. */
function cyclesIn(graph: Map<string, string[]>): string[] {
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const visit = (node: string, path: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      cycles.push([...path.slice(path.indexOf(node)), node].join(" → "));
      return;
    }
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) visit(next, [...path, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  return cycles;
}
