/**
 * The review report: seed 000's structure over a review's result, in Markdown, HTML, JSON (see
 * schema/review-report.schema.json), SARIF and GitHub annotations.
 */
import { github, sarif } from "../format/index.js";
import type { ReportInput } from "./build.js";
import { buildReport } from "./build.js";
import { reportHtml } from "./html.js";
import { reportMarkdown } from "./markdown.js";
import type { ReviewReport } from "./types.js";

export type { ReportInput } from "./build.js";
export { buildReport } from "./build.js";
export type { Applicability, BoxSpec, Expectation } from "./checklist.js";
export { BOXES, RULE_SECTION, SECTIONS } from "./checklist.js";
export { erSvg } from "./er-svg.js";
export { diagramHtml, htmlPage, reportHtml } from "./html.js";
export { reportMarkdown } from "./markdown.js";
export type * from "./types.js";

/** The JSON Schema `--format json` output follows, as published in the package. */
export const REVIEW_REPORT_SCHEMA_ID = "https://plinth.dev/schema/review-report.schema.json";

/** The report in one format; the report itself is returned too, for callers that need its data. */
export function renderReport(
  input: ReportInput,
  format: "md" | "html" | "json" | "sarif" | "github",
): { text: string; report: ReviewReport } {
  const report = buildReport(input);
  const where = new Map(report.sections.flatMap((s) => s.findings).map((f) => [f.fingerprint, f.location]));
  const located = {
    ...input.result,
    findings: input.result.findings.map((f) => {
      const location = where.get(f.fingerprint);
      return location ? { ...f, location } : f;
    }),
  };
  switch (format) {
    case "md":
      return { report, text: reportMarkdown(report) };
    case "html":
      return { report, text: reportHtml(report, input.schema?.model ?? input.model ?? { tables: [] }) };
    case "json":
      return {
        report,
        text: `${JSON.stringify({ $schema: REVIEW_REPORT_SCHEMA_ID, ...report }, null, 2)}\n`,
      };
    case "sarif":
      return { report, text: `${JSON.stringify(sarif(located, input.rules), null, 2)}\n` };
    case "github":
      return { report, text: github(located) };
  }
}
