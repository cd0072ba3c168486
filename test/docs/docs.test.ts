/**
 * The docs cannot rot: every shell command and code block of the getting-started guide and of the
 * README runs, in order, in a throwaway project that installed the tarball `npm pack` makes (on
 * embedded SQLite, so no server is needed). Blocks meant only to be read say so (see blocks.ts);
 * an unmarked block that does not run fails here. Needs dist/ (`npm run build`; `npm test` does it).
 *
 * Budget: each step spawns npx/tsx (1–5 s on a loaded 2-core machine; `plinth review` and PGlite
 * blocks up to ~30 s), so steps get minutes, not the suite's 60 s default.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Packed, pack, packedProject } from "../helpers/packed.js";
import { type CliResult, PACKAGE_ROOT, type TempProject } from "../helpers/temp-project.js";
import { type Block, blocksOf, commandsOf } from "./blocks.js";

const STEP_TIMEOUT = 240_000;

interface Doc {
  file: string;
  /** The project the document starts from; the guide makes its own choices with npm commands. */
  type: "commonjs" | "module";
  /** Packages the document's examples import besides plinth, as its readers install them. */
  alsoInstalled?: string[];
}

const DOCS: Doc[] = [
  { file: "docs/getting-started.md", type: "commonjs" },
  { file: "README.md", type: "module", alsoInstalled: ["zod"] },
];

const read = (file: string) => readFileSync(join(PACKAGE_ROOT, file), "utf8");

function failure(what: string, r: CliResult): string {
  return `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Runs one block in the project; throws with the output when it does not run. */
function run(app: TempProject, block: Block): void {
  switch (block.kind) {
    case "shown":
      return;
    case "invalid":
      throw new Error(block.error);
    case "shell":
      for (const command of block.commands) {
        const r = app.shell(command);
        if (r.code !== 0) throw new Error(failure(command, r));
      }
      return;
    case "file": {
      app.write(block.path, block.code);
      const r = app.shell(`npx tsx ${block.path}`);
      if (r.code !== 0) throw new Error(failure(`npx tsx ${block.path} (loading the file)`, r));
      return;
    }
    case "module": {
      // In the project's root, so the block's relative imports (./schema.js) resolve as they read.
      const file = `doc-block-${block.line}.ts`;
      app.write(file, `${block.setup}\n${block.code}`);
      const r = app.shell(`npx tsx ${file}`);
      if (r.code !== 0) throw new Error(failure(`the block (${file})`, r));
    }
  }
}

let packed: Packed;
beforeAll(() => {
  packed = pack();
}, STEP_TIMEOUT);
afterAll(() => packed?.remove());

describe.each(DOCS)("$file", (doc) => {
  const blocks = blocksOf(read(doc.file));
  let app: TempProject;
  beforeAll(() => {
    app = packedProject(packed.tarball, doc.type, { alsoInstalled: doc.alsoInstalled ?? [] });
  }, STEP_TIMEOUT);
  afterAll(() => app?.remove());

  it("has blocks, most of which run", () => {
    const shown = blocks.filter((b) => b.kind === "shown").length;
    expect(blocks.length).toBeGreaterThan(0);
    expect(shown).toBeLessThan(blocks.length / 2);
  });

  it.each(blocks.map((b) => [`line ${b.line}: ${b.kind}`, b] as const))(
    "%s",
    (_name, block) => run(app, block),
    STEP_TIMEOUT,
  );
});

describe("the README starts with two commands that work on a fresh machine", () => {
  const first = blocksOf(read("README.md"))[0];
  const pkg = JSON.parse(read("package.json")) as { scripts: Record<string, string> };

  it("its main job on embedded SQLite, then npm test (which builds first)", () => {
    expect(first?.kind).toBe("shown"); // it runs in a clone of this repository, not in a project
    const text = read("README.md").split("\n```sh\n")[1]?.split("\n```")[0] ?? "";
    expect(commandsOf(text)).toEqual(["npm ci && npx plinth up --blueprint dns-filter", "npm test"]);
    // npm ci builds dist/ (prepare), so bin/plinth.js finds the CLI; npm test builds it again first.
    expect(pkg.scripts.prepare).toBe("npm run build");
    expect(pkg.scripts.pretest).toBe("npm run build");
  });

  it("the same plinth command runs from the package a user installs", () => {
    const readme = blocksOf(read("README.md"));
    const run = readme.filter((b) => b.kind === "shell").flatMap((b) => b.commands);
    expect(run).toContain("npx plinth up --blueprint dns-filter");
  });
});
