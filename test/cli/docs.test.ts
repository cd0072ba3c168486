/**
 * `plinth docs` and the report formats of `plinth review`, run from the shipped CLI in a throwaway
 * project: the documentation is the same bytes each time and a changed doc string changes only the
 * lines about that column; the HTML is one file with the diagram inline; the review's JSON follows
 * the published schema and its SARIF is 2.1.0 with the declaration's file and line.
 */
import { readFileSync } from "node:fs";
import { Ajv } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PACKAGE_ROOT, TempProject } from "../helpers/temp-project.js";

const KEY = "k1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

describe("plinth docs and plinth review --format", () => {
  let app: TempProject;
  const plinth = (...args: string[]) => app.plinth(args, { PLINTH_ENCRYPTION_KEYS: KEY });
  beforeAll(() => {
    app = new TempProject("commonjs");
    expect(plinth("init").code).toBe(0);
    expect(plinth("up").code).toBe(0);
  });
  afterAll(() => app.remove());

  it("documents every table, column, constraint and the diagram, the same bytes on every run", () => {
    const first = plinth("docs");
    expect(first.code).toBe(0);
    expect(plinth("docs").stdout).toBe(first.stdout);
    const md = first.stdout;
    expect(md).toMatch(/^# app schema\n/);
    for (const heading of ["## ER Diagram", "## note", "## plinth_audit_log"])
      expect(md).toContain(`\n${heading}\n`);
    expect(md).toContain("```mermaid\nerDiagram\n");
    expect(md).toMatch(/\| `id` \| integer \| no \| generated \(identity\) \| PK \|/);
    expect(md).toMatch(/\| `body` \| text \| yes \|/);
  });

  it("a changed doc string changes only the lines about that column", () => {
    const before = plinth("docs").stdout.split("\n");
    const schema = app.read("db/schema.ts");
    app.write(
      "db/schema.ts",
      schema.replace(
        "body: col.text().nullable(),",
        'body: col.text().nullable().doc("What the note says."),',
      ),
    );
    try {
      const after = plinth("docs").stdout.split("\n");
      expect(after.length).toBe(before.length);
      const changed = after.filter((line, i) => line !== before[i]);
      expect(changed.length).toBeGreaterThan(0);
      for (const line of changed) expect(line).toMatch(/body.*What the note says\./);
    } finally {
      app.write("db/schema.ts", schema);
    }
  });

  it("--format html --out writes one self-contained file with the diagram as inline SVG", () => {
    const r = plinth("docs", "--format", "html", "--out", "docs.html");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const html = app.read("docs.html");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="er"');
    expect(html).toContain('data-table="note"');
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it("review --format json follows schema/review-report.schema.json", () => {
    const r = plinth("review", "--no-pglite", "--format", "json", "--out", "review.json");
    expect(r.code).toBe(0);
    const report = JSON.parse(app.read("review.json"));
    const validate = new Ajv({ allErrors: true }).compile(
      JSON.parse(readFileSync(`${PACKAGE_ROOT}/schema/review-report.schema.json`, "utf8")),
    );
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.sections).toHaveLength(15);
    expect(report.migrations).toMatchObject({ checked: "database", pending: [], current: ["0001_initial"] });
  });

  it("review --format md is the report, --format html one file, --format sarif 2.1.0", () => {
    const md = plinth("review", "--no-prove", "--format", "md");
    expect(md.stdout).toMatch(/^# Database Models & Schema Architecture - Technical Review\n/);
    expect(md.stdout).toContain("## Critical Issues (P0)");
    expect(md.stdout).toContain("- Applied migrations: 0001_initial");
    expect(plinth("review", "--no-prove", "--format", "html", "--out", "review.html").code).toBe(0);
    expect(app.read("review.html")).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="er"');
    const sarif = JSON.parse(plinth("review", "--no-prove", "--format", "sarif").stdout);
    expect(sarif.version).toBe("2.1.0");
  });
});
