/**
 * Renderers of a review result. Each takes the whole ReviewResult and returns text. Markdown and
 * HTML are the review report (src/review/report/); SARIF and GitHub annotations carry a finding's
 * file and line when the report located its declaration.
 */
import type { Finding, ReviewResult, Rule, Severity } from "../engine/types.js";
import { buildReport } from "../report/build.js";
import { reportHtml } from "../report/html.js";
import { reportMarkdown } from "../report/markdown.js";
import type { SourceLocation } from "../report/types.js";

export type ReviewFormat = "md" | "html" | "json" | "sarif" | "github";
export const REVIEW_FORMATS: readonly ReviewFormat[] = ["md", "html", "json", "sarif", "github"];

/** A finding, with where its object is declared when that is known. */
type Located = Finding & { location?: SourceLocation };

/**
 * One format of a review result alone (no declaration text, no migration status): the report
 * without file:line references. `renderReport` gives the full report.
 */
export function formatReview(result: ReviewResult, format: ReviewFormat, rules: readonly Rule[]): string {
  switch (format) {
    case "md":
      return reportMarkdown(buildReport({ result, rules }));
    case "html":
      return reportHtml(buildReport({ result, rules }), { tables: [] });
    case "json":
      return `${JSON.stringify(result, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(sarif(result, rules), null, 2)}\n`;
    case "github":
      return github(result);
  }
}

/** GitHub Actions workflow commands: one annotation per open finding. */
export function github(r: ReviewResult): string {
  const level: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };
  const escaped = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return r.findings
    .filter((f) => !f.suppressed)
    .map((f: Located) => {
      const at = f.location ? ` file=${escaped(f.location.file)},line=${f.location.line},` : " ";
      return `::${level[f.severity]}${at}title=${escaped(f.rule)}::${escaped(`${f.object}: ${f.message}`)}\n`;
    })
    .join("");
}

/**
 * SARIF 2.1.0, the format code-scanning dashboards read; objects are logical locations, and a
 * physical one (file, line) where the declaration was located.
 */
export function sarif(r: ReviewResult, rules: readonly Rule[]): unknown {
  const level: Record<Severity, string> = { error: "error", warning: "warning", info: "note" };
  const used = rules.filter((rule) => r.ran.includes(rule.id));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: {
            name: "plinth review",
            rules: used.map((rule) => ({
              id: rule.id,
              shortDescription: { text: rule.summary },
              fullDescription: { text: rule.why },
              help: { text: rule.recipe },
              defaultConfiguration: { level: level[rule.severity] },
              properties: { group: rule.group },
            })),
          },
        },
        results: r.findings.map((f: Located) => ({
          ruleId: f.rule,
          level: level[f.severity],
          message: { text: f.message },
          locations: [
            {
              ...(f.location
                ? {
                    physicalLocation: {
                      artifactLocation: { uri: f.location.file },
                      region: { startLine: f.location.line },
                    },
                  }
                : {}),
              logicalLocations: [{ fullyQualifiedName: f.object }],
            },
          ],
          partialFingerprints: { plinthReview: f.fingerprint },
          ...(f.suppressed
            ? { suppressions: [{ kind: f.suppressed === "inline" ? "inSource" : "external" }] }
            : {}),
        })),
      },
    ],
  };
}
