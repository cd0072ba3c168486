/**
 * The review report as one self-contained HTML file: inline CSS, no script, nothing fetched; the ER
 * diagram is inline SVG laid out by plinth (er-svg.ts), with its Mermaid source in a <details>.
 */
import type { SchemaModel } from "../../schema/index.js";
import { erSvg, esc } from "./er-svg.js";
import type { BoxStatus, ReportFinding, ReviewReport, SectionStatus } from "./types.js";

/**
 * Marks drawn from plain text glyphs, coloured by CSS: colour emoji need a font many systems (and
 * headless browsers) lack, and would show as empty boxes.
 */
const SECTION_MARK: Record<SectionStatus, string> = { pass: "✓", warn: "⚠", fail: "✗", "not-checked": "–" };
const BOX_MARK: Record<BoxStatus, string> = {
  verified: "✓ verified",
  failed: "✗ failed",
  "not-applicable": "– not applicable",
  "not-checked": "○ not checked",
};

const CSS = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;padding:1.5rem;color:#1d2733;background:#f7f8fa}
h1{font-size:1.6rem}h2{border-bottom:1px solid #d5dae1;padding-bottom:.2rem;margin-top:2rem}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#eef1f5;padding:.6rem;overflow:auto}
.card{background:#fff;border:1px solid #d5dae1;border-radius:6px;padding:.6rem 1rem;margin:.8rem 0}
.error{color:#b3261e}.warning{color:#8a5a00}.info{color:#41617f}
.mark-pass,.box-verified{color:#1e7b34}.mark-fail{color:#b3261e}.mark-warn{color:#8a5a00}.mark-not-checked{color:#66707c}.box-failed{color:#b3261e}.box-not-checked,.box-not-applicable{color:#66707c}
ul.evidence{font-size:.85em;color:#4a5563;margin:.1rem 0 .4rem}
.diagram{overflow:auto;background:#fff;border:1px solid #d5dae1;padding:.5rem}
table.grid{border-collapse:collapse}table.grid td,table.grid th{border:1px solid #d5dae1;padding:.2rem .5rem;text-align:left;vertical-align:top}
`;

/** A whole HTML document around `body`: the page both the report and the schema docs use. */
export function htmlPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** The diagram as inline SVG, and the Mermaid text it stands for. */
export function diagramHtml(model: SchemaModel, mermaid: string): string {
  return `<div class="diagram">${erSvg(model)}</div>
<details class="mermaid-source"><summary>Mermaid source</summary><pre>${esc(mermaid)}</pre></details>`;
}

export function reportHtml(r: ReviewReport, model: SchemaModel): string {
  const s = r.summary;
  const out: string[] = [`<h1>${esc(r.title)}</h1>`];
  out.push(
    `<p>Engine: <b>${esc(r.engine ?? "none (declaration only)")}</b> · evidence: ${esc(r.evidence.join(", ") || "none")}</p>`,
    '<h2 id="summary">Executive Summary</h2><div class="card"><ul>',
    `<li>Schema quality: <b class="mark-${{ excellent: "pass", good: "warn", "needs-work": "fail" }[s.verdict]}">${esc({ excellent: "✓ Excellent", good: "⚠ Good", "needs-work": "✗ Needs Work" }[s.verdict])}</b></li>`,
    `<li>Findings: <span class="error">${s.counts.error} error(s)</span>, <span class="warning">${s.counts.warning} warning(s)</span>, <span class="info">${s.counts.info} info</span>${s.counts.suppressed ? `, ${s.counts.suppressed} suppressed` : ""}</li>`,
    `<li>Critical issues: ${s.critical.length}${list(s.critical)}</li>`,
    `<li>Performance concerns: ${s.performanceConcerns}</li>`,
    `<li>Migration risks: ${s.migrationRisks.length === 0 ? "none found" : list(s.migrationRisks)}</li>`,
    `<li>Checklist: ${s.boxes.verified} verified, ${s.boxes.failed} failed, ${s.boxes["not-checked"]} not checked, ${s.boxes["not-applicable"]} not applicable</li>`,
    "</ul></div>",
    '<h2 id="model-analysis">Model Analysis</h2>',
  );
  for (const section of r.sections) {
    out.push(
      `<div class="card section" id="section-${section.number}"><h3>${section.number}. ${esc(section.title)} <span class="mark-${section.status}" title="${section.status}">${SECTION_MARK[section.status]} ${section.status}</span></h3>`,
    );
    out.push(
      section.findings.length === 0
        ? "<p>Findings: none</p>"
        : `<ul>${section.findings.map((f) => `<li>${findingHtml(f)}</li>`).join("")}</ul>`,
    );
    if (section.boxes.length > 0) {
      out.push('<ul class="boxes">');
      for (const b of section.boxes)
        out.push(
          `<li class="box-${b.status}">${esc(BOX_MARK[b.status])} — ${esc(b.id)} ${esc(b.text)}<ul class="evidence">${b.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></li>`,
        );
      out.push("</ul>");
    }
    out.push("</div>");
  }
  out.push('<h2 id="p0">Critical Issues (P0)</h2>');
  out.push(
    r.p0.length === 0
      ? "<p>None: no open error-level finding.</p>"
      : `<ol>${r.p0.map((f) => `<li>${findingHtml(f)}<br><small>Impact: ${esc(f.impact ?? "")}</small>${f.fix ? `<pre>${esc(f.fix)}</pre>` : ""}</li>`).join("")}</ol>`,
  );
  out.push('<h2 id="performance">Performance Recommendations</h2>');
  out.push(
    r.performance.length === 0
      ? "<p>None: no hot query was EXPLAINed and no index finding is open.</p>"
      : `<ol>${r.performance
          .map(
            (p) =>
              `<li><code>${esc(p.object)}</code> (${esc(p.status)}): ${esc(p.recommendation)}${p.fix ? `<pre>${esc(p.fix)}</pre>` : ""}${p.plan ? `<details><summary>EXPLAIN</summary><pre>${esc(p.plan)}</pre></details>` : ""}</li>`,
          )
          .join("")}</ol>`,
  );
  const m = r.migrations;
  out.push(
    '<h2 id="migrations">Migration Plan</h2><ul>',
    `<li>Current schema version: ${esc(m.current.join(", ") || "unknown")}</li>`,
    `<li>Applied migrations: ${esc(m.applied.join(", ") || "none known")}</li>`,
    `<li>Pending migrations: ${esc(m.pending.join(", ") || "none")}</li>`,
    `<li>Breaking changes / risky migrations: ${m.risky.length === 0 ? "none found" : list(m.risky.map((x) => `${x.migration} (${x.rule}): ${x.message}`))}</li>`,
    m.note ? `<li>Note: ${esc(m.note)}</li>` : "",
    "</ul>",
    '<h2 id="er-diagram">ER Diagram</h2>',
    diagramHtml(model, r.erDiagram),
    '<h2 id="references">Code References</h2>',
    r.references.length === 0
      ? "<p>None: no finding points at a declaration.</p>"
      : `<ul>${r.references.map((x) => `<li><code>${esc(`${x.location.file}:${x.location.line}`)}</code> — ${esc(x.rule)} ${esc(x.object)}: ${esc(x.message)}</li>`).join("")}</ul>`,
    '<h2 id="not-run">Rules Not Run</h2>',
    r.notRun.length === 0
      ? "<p>Every rule ran.</p>"
      : `<ul>${r.notRun.map((x) => `<li><code>${esc(x.rule)}</code>: ${esc(x.reason)}</li>`).join("")}</ul>`,
  );
  return htmlPage(r.title, out.join("\n"));
}

function findingHtml(f: ReportFinding): string {
  const where = f.location ? ` <small>(${esc(`${f.location.file}:${f.location.line}`)})</small>` : "";
  const suppressed = f.suppressed ? ` <i>(suppressed: ${esc(f.suppressed)})</i>` : "";
  return `<b class="${f.severity}">${f.severity}</b> <code>${esc(f.rule)}</code> <code>${esc(f.object)}</code>${where}: ${esc(f.message)}${suppressed}`;
}

function list(items: readonly string[]): string {
  return items.length === 0 ? "" : `<ul>${items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`;
}
