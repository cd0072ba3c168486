/**
 * The review report as Markdown: the structure a reviewer writes by hand, in a stable order and
 * with no timestamp, so that two runs on the same schema give the same bytes and a change in the
 * schema shows as a small diff.
 */
import type { BoxStatus, ReportFinding, ReviewReport, SectionStatus } from "./types.js";

export const SECTION_MARK: Record<SectionStatus, string> = {
  pass: "✅",
  warn: "⚠️",
  fail: "❌",
  "not-checked": "➖",
};

export const BOX_MARK: Record<BoxStatus, string> = {
  verified: "[x] ✅ verified",
  failed: "[ ] ❌ failed",
  "not-applicable": "[ ] n/a",
  "not-checked": "[ ] ➖ not checked",
};

const VERDICT: Record<ReviewReport["summary"]["verdict"], string> = {
  excellent: "✅ Excellent",
  good: "⚠️ Good",
  "needs-work": "❌ Needs Work",
};

export function reportMarkdown(r: ReviewReport): string {
  const s = r.summary;
  const out: string[] = [`# ${r.title}`, ""];
  out.push(
    `Engine: ${r.engine ?? "none (declaration only)"} · evidence: ${r.evidence.join(", ") || "none"}`,
    "",
    "## Executive Summary",
    "",
    `- Schema quality: ${VERDICT[s.verdict]}`,
    `- Findings: ${s.counts.error} error(s), ${s.counts.warning} warning(s), ${s.counts.info} info${s.counts.suppressed ? `, ${s.counts.suppressed} suppressed` : ""}`,
    `- Critical issues: ${s.critical.length}`,
    ...s.critical.map((c) => `  - ${inline(c)}`),
    `- Performance concerns: ${s.performanceConcerns}`,
    `- Migration risks:${s.migrationRisks.length === 0 ? " none found" : ""}`,
    ...s.migrationRisks.map((m) => `  - ${inline(m)}`),
    `- Checklist: ${s.boxes.verified} verified, ${s.boxes.failed} failed, ${s.boxes["not-checked"]} not checked, ${s.boxes["not-applicable"]} not applicable`,
    "",
    "## Model Analysis",
    "",
  );
  for (const section of r.sections) {
    out.push(
      `### ${section.number}. ${section.title}`,
      "",
      `- Status: ${SECTION_MARK[section.status]} ${section.status}`,
    );
    out.push(section.findings.length === 0 ? "- Findings: none" : "- Findings:");
    for (const f of section.findings) out.push(`  - ${findingLine(f)}`);
    if (section.boxes.length > 0) out.push("- Checklist:");
    for (const b of section.boxes) {
      out.push(`  - ${BOX_MARK[b.status]} — ${b.id} ${b.text}`);
      for (const e of b.evidence) out.push(`    - ${inline(e)}`);
    }
    out.push("");
  }
  out.push("## Critical Issues (P0)", "");
  if (r.p0.length === 0) out.push("None: no open error-level finding.");
  r.p0.forEach((f, i) => {
    out.push(
      `${i + 1}. ${inline(f.message)} - Object: \`${f.object}\`${where(f)} - Rule: \`${f.rule}\` - Impact: ${inline(f.impact ?? "")}`,
    );
    if (f.fix) out.push(`   - Fix: \`${oneLine(f.fix)}\``);
  });
  out.push("", "## Performance Recommendations", "");
  if (r.performance.length === 0) out.push("None: no hot query was EXPLAINed and no index finding is open.");
  r.performance.forEach((p, i) => {
    out.push(`${i + 1}. \`${p.object}\` (${p.status}): ${inline(p.recommendation)}`);
    if (p.fix) out.push(`   - Fix: \`${oneLine(p.fix)}\``);
    if (p.plan)
      out.push(
        "   - EXPLAIN:",
        "",
        "     ```text",
        ...p.plan.split("\n").map((l) => `     ${l}`),
        "     ```",
        "",
      );
  });
  const m = r.migrations;
  out.push(
    "",
    "## Migration Plan",
    "",
    `- Current schema version: ${m.current.length > 0 ? m.current.join(", ") : "unknown"}`,
    `- Applied migrations: ${m.applied.length > 0 ? m.applied.join(", ") : "none known"}`,
    `- Pending migrations: ${m.pending.length > 0 ? m.pending.join(", ") : "none"}`,
    `- Breaking changes / risky migrations:${m.risky.length === 0 ? " none found" : ""}`,
    ...m.risky.map((x) => `  - ${x.migration} (\`${x.rule}\`): ${inline(x.message)}`),
  );
  if (m.note) out.push(`- Note: ${m.note}`);
  out.push("", "## ER Diagram", "", "```mermaid", r.erDiagram.trimEnd(), "```", "", "## Code References", "");
  if (r.references.length === 0) out.push("None: no finding points at a declaration.");
  for (const ref of r.references)
    out.push(
      `- ${ref.location.file}:${ref.location.line} - \`${ref.rule}\` ${ref.object}: ${inline(ref.message)}`,
    );
  out.push("", "## Rules Not Run", "");
  if (r.notRun.length === 0) out.push("Every rule ran.");
  for (const s of r.notRun) out.push(`- \`${s.rule}\`: ${inline(s.reason)}`);
  return `${out.join("\n")}\n`;
}

function findingLine(f: ReportFinding): string {
  const suppressed = f.suppressed ? ` _(suppressed: ${f.suppressed})_` : "";
  return `**${f.severity}** \`${f.rule}\` ${f.object}${where(f)}: ${inline(f.message)}${suppressed}`;
}

function where(f: ReportFinding): string {
  return f.location ? ` (${f.location.file}:${f.location.line})` : "";
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** One line of Markdown: no line break can open a new block. */
function inline(text: string): string {
  return oneLine(text);
}
