/// <reference lib="dom" />
/**
 * The HTML review report and schema documentation opened from disk in headless Chromium: the ER
 * diagram renders as SVG with a box per table and a line per foreign key, nothing is fetched from
 * the network, and the console stays free of errors. A screenshot of each is kept in a temp folder.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser } from "playwright-core";
import { connect } from "plinth";
import { docsHtml, REVIEW_RULES, renderReport, runReview, schemaDocs } from "plinth/review";
import { beforeAll, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { describeWithChromium } from "../helpers/chromium.js";

const dir = mkdtempSync(join(tmpdir(), "plinth-report-html-"));
const schemaFile = "blueprints/dns-filter/schema.ts";
const FOREIGN_KEYS = dnsFilter.model.tables.reduce((n, t) => n + t.foreignKeys.length, 0);

/** Opens `file` and returns what a reader would see, and what went wrong on the way. */
async function open(browser: Browser, file: string, screenshot: string) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  const seen = await page.evaluate(() => {
    const svg = document.querySelector("svg.er") as SVGSVGElement | null;
    const boxes = Array.from(document.querySelectorAll("svg.er g.table")).map((g) => {
      const r = (g as SVGGElement).getBBox();
      return { table: g.getAttribute("data-table"), width: r.width, height: r.height };
    });
    return {
      svg: svg
        ? { width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height }
        : null,
      boxes,
      relationships: document.querySelectorAll("svg.er path.rel").length,
      mermaid: document.querySelector("details.mermaid-source pre")?.textContent ?? "",
      title: document.title,
    };
  });
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.close();
  return { ...seen, errors, requests };
}

describeWithChromium("HTML report and docs in headless Chromium", (browser) => {
  let reportFile: string;
  let docsFile: string;
  beforeAll(async () => {
    const db = await connect("sqlite::memory:", dnsFilter, { retry: { attempts: 1 } });
    try {
      await db.createSchema();
      const result = await runReview({
        schema: dnsFilter,
        db: db.kysely,
        dialect: db.dialect,
        rules: REVIEW_RULES,
      });
      const text = readFileSync(fileURLToPath(new URL(`../../${schemaFile}`, import.meta.url)), "utf8");
      const { text: html } = renderReport(
        { result, rules: REVIEW_RULES, schema: dnsFilter, source: { file: schemaFile, text } },
        "html",
      );
      reportFile = join(dir, "review.html");
      writeFileSync(reportFile, html);
    } finally {
      await db.close();
    }
    docsFile = join(dir, "docs.html");
    writeFileSync(docsFile, docsHtml(schemaDocs(dnsFilter, "dns-filter schema"), dnsFilter.model));
  });

  for (const [name, file] of [
    ["the review report", () => reportFile],
    ["the schema documentation", () => docsFile],
  ] as const) {
    it(`${name}: the ER diagram renders a box per table and a line per foreign key, with no console error`, async () => {
      const screenshot = join(dir, `${name.replace(/\W+/g, "-")}.png`);
      const seen = await open(browser(), file(), screenshot);
      console.info(`screenshot of ${name}: ${screenshot}`);
      expect(seen.errors).toEqual([]);
      expect(seen.requests).toEqual([]);
      expect(seen.svg!.width).toBeGreaterThan(100);
      expect(seen.svg!.height).toBeGreaterThan(100);
      expect(seen.boxes.map((b) => b.table).sort()).toEqual(dnsFilter.model.tables.map((t) => t.name).sort());
      for (const b of seen.boxes) {
        expect(b.width, b.table!).toBeGreaterThan(50);
        expect(b.height, b.table!).toBeGreaterThan(20);
      }
      expect(seen.relationships).toBe(FOREIGN_KEYS);
      expect(seen.mermaid).toMatch(/^erDiagram\n/);
      expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe("PNG");
    });
  }

  it("the report is one file: no script, no stylesheet or image fetched", () => {
    const html = readFileSync(reportFile, "utf8");
    expect(html).not.toMatch(/<script|<link|src=["']http|mermaid\.js/i);
    expect(html).toContain("<style>");
  });
});
