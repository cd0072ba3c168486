/**
 * The public API, entry point by entry point: every name a user can import (values and types), as a
 * snapshot. Adding or removing an export shows up here as a diff, so the surface changes only on
 * purpose. Anything not listed is internal and may change without notice.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, { types?: string; import?: string }>;
};

/** Each public entry point and its source file (the `exports` map, with dist/*.d.ts mapped back to src/*.ts). */
const ENTRIES = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === "object" && target.types)
  .map(([subpath, target]) => ({
    name: subpath === "." ? "plinth" : `plinth/${subpath.slice(2)}`,
    file: resolve(ROOT, target.types!.replace(/^\.\/dist\//, "src/").replace(/\.d\.ts$/, ".ts")),
  }));

const program = ts.createProgram(
  ENTRIES.map((e) => e.file),
  {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
  },
);
const checker = program.getTypeChecker();

function exportsOf(file: string): string[] {
  const source = program.getSourceFile(file);
  if (!source) throw new Error(`not in the program: ${file}`);
  const module = checker.getSymbolAtLocation(source)!;
  return checker
    .getExportsOfModule(module)
    .map((s) => {
      const target = s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s;
      const kind = target.flags & ts.SymbolFlags.Value ? "value" : "type";
      return `${s.getName()} (${kind})`;
    })
    .sort();
}

describe("public API", () => {
  it("has the six entry points", () => {
    expect(ENTRIES.map((e) => e.name)).toEqual([
      "plinth",
      "plinth/schema",
      "plinth/migrate",
      "plinth/security",
      "plinth/review",
      "plinth/ops",
    ]);
  });

  for (const entry of ENTRIES) {
    it(`${entry.name} exports exactly these names`, () => {
      expect(exportsOf(entry.file)).toMatchSnapshot();
    });
  }

  it("one Direction: migrations go up or down, sorting is SortDirection", () => {
    const all = ENTRIES.flatMap((e) => exportsOf(e.file));
    expect(all.filter((n) => n.startsWith("Direction "))).toEqual(["Direction (type)"]);
  });

  it("the declarations leave out what is marked @internal", () => {
    const build = JSON.parse(readFileSync(resolve(ROOT, "tsconfig.build.json"), "utf8"));
    expect(build.compilerOptions.stripInternal).toBe(true);
  });
});
