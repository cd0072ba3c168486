/**
 * Renderers of a review result. Each takes the whole ReviewResult and returns text; a report
 * (seed 000's sections, HTML) is another renderer over the same Finding list.
 */
import type { Finding, ReviewResult, Rule, Severity } from "../engine/types.js";

export type ReviewFormat = "md" | "json" | "sarif" | "github";
export const REVIEW_FORMATS: readonly ReviewFormat[] = ["md", "json", "sarif", "github"];

export function formatReview(result: ReviewResult, format: ReviewFormat, rules: readonly Rule[]): string {
  switch (format) {
    case "md":
      return markdown(result);
    case "json":
      return `${JSON.stringify(result, null, 2)}\n`;
    case "sarif":
      return `${JSON.stringify(sarif(result, rules), null, 2)}\n`;
    case "github":
      return github(result);
  }
}

const MARK: Record<Severity, string> = { error: "error", warning: "warning", info: "info" };

function counts(findings: readonly Finding[]): string {
  const open = findings.filter((f) => !f.suppressed);
  const n = (s: Severity) => open.filter((f) => f.severity === s).length;
  const suppressed = findings.length - open.length;
  return `${n("error")} error(s), ${n("warning")} warning(s), ${n("info")} info${suppressed ? `, ${suppressed} suppressed` : ""}`;
}

/** A findings list, then the rules that did not run: the input a fuller report is built from. */
export function markdown(r: ReviewResult): string {
  const lines = [
    "# Schema review",
    "",
    `Engine: ${r.dialect ?? "none (declaration only)"} · evidence: ${r.evidence.join(", ") || "none"} · ${r.ran.length} rule(s) run · ${counts(r.findings)}`,
    "",
    "## Findings",
    "",
  ];
  if (r.findings.length === 0) lines.push("No findings.");
  for (const f of r.findings) {
    const suppressed = f.suppressed ? ` _(suppressed: ${f.suppressed})_` : "";
    lines.push(`- **${MARK[f.severity]}** \`${f.rule}\` ${f.object}: ${f.message}${suppressed}`);
    lines.push(`  - fix: ${f.recipe}`);
    if (f.fix) lines.push(`  - sql: \`${f.fix.replace(/\s+/g, " ")}\``);
    lines.push(`  - fingerprint: ${f.fingerprint}`);
  }
  lines.push("", "## Rules not run", "");
  if (r.skipped.length === 0) lines.push("Every rule ran.");
  for (const s of r.skipped) lines.push(`- \`${s.rule}\`: ${s.reason}`);
  return `${lines.join("\n")}\n`;
}

/** GitHub Actions workflow commands: one annotation per open finding. */
function github(r: ReviewResult): string {
  const level: Record<Severity, string> = { error: "error", warning: "warning", info: "notice" };
  const escaped = (s: string) => s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
  return r.findings
    .filter((f) => !f.suppressed)
    .map((f) => `::${level[f.severity]} title=${escaped(f.rule)}::${escaped(`${f.object}: ${f.message}`)}\n`)
    .join("");
}

/** SARIF 2.1.0, the format code-scanning dashboards read; objects are logical locations. */
function sarif(r: ReviewResult, rules: readonly Rule[]): unknown {
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
        results: r.findings.map((f) => ({
          ruleId: f.rule,
          level: level[f.severity],
          message: { text: f.message },
          locations: [{ logicalLocations: [{ fullyQualifiedName: f.object }] }],
          partialFingerprints: { plinthReview: f.fingerprint },
          ...(f.suppressed
            ? { suppressions: [{ kind: f.suppressed === "inline" ? "inSource" : "external" }] }
            : {}),
        })),
      },
    ],
  };
}
