/**
 * Every blueprint has one folder shape: whoever knows one blueprint finds their way in the others,
 * the CLI finds schema, seed and migrations in fixed places, and the npm package can leave the tests
 * out by one pattern. Checked on the file tree, so the shape cannot drift.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { blueprintNames } from "../../src/cli/load.js";
import { isSchema } from "../../src/schema/index.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BLUEPRINTS = join(ROOT, "blueprints");

const folders = readdirSync(BLUEPRINTS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

/** The entries of a blueprint folder, folders with a trailing slash. */
const TOP_LEVEL = ["README.md", "migrations/", "repositories/", "schema.ts", "seed.ts", "tests/"];
const REQUIRED_TESTS = ["repositories.test.ts", "schema.test.ts"];
const TEST_FILE = /\.(test|spec)(-d)?\.[cm]?[jt]sx?$/;

function entries(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .map((e) => (e.isDirectory() ? `${e.name}/` : e.name))
    .sort();
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Relative import specifiers of a module: static, side-effect only and dynamic. */
function relativeImports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/(?:from\s+|import\s*\(?\s*)"(\.[^"]+)"/g)].map((m) => m[1]!);
}

describe("blueprint layout", () => {
  it("every folder under blueprints/ is a blueprint the CLI finds", () => {
    expect(folders).toEqual(
      expect.arrayContaining([
        "dns-filter",
        "infra-automation",
        "knowledge-hub",
        "service-audit",
        "ta-generator",
      ]),
    );
    expect(blueprintNames()).toEqual(folders);
  });

  it("the npm package ships the blueprints without their tests", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] };
    expect(pkg.files).toEqual(expect.arrayContaining(["blueprints", "!blueprints/*/tests"]));
  });

  describe.each(folders)("%s", (name) => {
    const dir = join(BLUEPRINTS, name);

    it("holds exactly README.md, schema.ts, seed.ts, migrations/, repositories/ and tests/", () => {
      expect(entries(dir)).toEqual(TOP_LEVEL);
    });

    it("keeps its migrations as modules directly in migrations/", () => {
      const migrations = entries(join(dir, "migrations"));
      expect(migrations.length).toBeGreaterThan(0);
      for (const m of migrations) expect(m, `migrations/${m}`).toMatch(/^\d+_[\w-]+\.ts$/);
    });

    it("exports its repositories from repositories/index.ts", () => {
      const modules = entries(join(dir, "repositories"));
      expect(modules).toContain("index.ts");
      for (const m of modules) expect(m, `repositories/${m}`).toMatch(/^[\w-]+\.ts$/);
    });

    it("keeps every test and fixture in tests/, with a schema and a repositories test", () => {
      const tests = entries(join(dir, "tests"));
      expect(tests).toEqual(expect.arrayContaining(REQUIRED_TESTS));
      for (const t of tests) expect(t, `tests/${t}`).toMatch(/^[\w-]+(\.test)?\.ts$/);
      const strays = filesUnder(dir)
        .map((f) => relative(dir, f))
        .filter((f) => TEST_FILE.test(f) && !f.startsWith("tests/"));
      expect(strays).toEqual([]);
    });

    it("ships code that imports nothing from tests/ or the repository's test/ folder", () => {
      const shipped = filesUnder(dir).filter(
        (f) => f.endsWith(".ts") && !relative(dir, f).startsWith("tests/"),
      );
      const wrong = shipped.flatMap((file) =>
        relativeImports(file)
          .map((spec) => relative(ROOT, resolve(join(file, ".."), spec)))
          .filter((target) => target.startsWith("test/") || target.startsWith(`blueprints/${name}/tests/`))
          .map((target) => `${relative(ROOT, file)} → ${target}`),
      );
      expect(wrong).toEqual([]);
    });

    it("names each repository module and each test file in its README", () => {
      const readme = readFileSync(join(dir, "README.md"), "utf8");
      expect(/^## Files$/m.test(readme), "README.md has a Files section").toBe(true);
      const modules = entries(join(dir, "repositories")).filter((m) => m !== "index.ts");
      const tests = entries(join(dir, "tests"));
      const unnamed = [
        ...modules
          .filter((m) => !new RegExp(`[\`/]${m.replace(/\.ts$/, "")}(\\.ts)?\``).test(readme))
          .map((m) => `repositories/${m}`),
        ...tests.filter((t) => !readme.includes(t)).map((t) => `tests/${t}`),
      ];
      expect(unnamed).toEqual([]);
    });

    it("default-exports its schema from schema.ts", async () => {
      const mod = (await import(pathToFileURL(join(dir, "schema.ts")).href)) as { default?: unknown };
      expect(isSchema(mod.default)).toBe(true);
    });
  });
});
