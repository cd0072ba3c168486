/**
 * The schema review: one rule engine over a declaration, a live database and the migrations, and
 * views of a declaration meant for people (diagrams).
 */

export type { ColumnDoc, SchemaDocs, TableDoc } from "./docs.js";
export { docsHtml, docsMarkdown, predicateText, schemaDocs } from "./docs.js";
export { fingerprint } from "./engine/fingerprint.js";
export { EvidenceNotAvailable } from "./engine/not-available.js";
export type { ReviewOptions } from "./engine/runner.js";
export { runReview } from "./engine/runner.js";
export type { Baseline, RuleSettings, SuppressionRule } from "./engine/suppressions.js";
export {
  applySuppressions,
  baselineOf,
  failing,
  globMatches,
  readBaseline,
  writeBaseline,
} from "./engine/suppressions.js";
export type {
  Evidence,
  Finding,
  Observation,
  ReviewContext,
  ReviewResult,
  Rule,
  RuleGroup,
  RuleHit,
  Severity,
  SkippedRule,
  Suppression,
} from "./engine/types.js";
export type { ReviewFormat } from "./format/index.js";
export { formatReview, REVIEW_FORMATS } from "./format/index.js";
export type { Cardinality, ErDiagramOptions, ErRelationship } from "./mermaid.js";
export { erDiagram, erRelationships } from "./mermaid.js";
export { queryPlan } from "./query-plan.js";
export type {
  BoxSpec,
  BoxStatus,
  MigrationPlan,
  PerformanceItem,
  ReportBox,
  ReportFinding,
  ReportInput,
  ReportSection,
  ReviewReport,
  SectionStatus,
  SourceLocation,
} from "./report/index.js";
export {
  BOXES,
  buildReport,
  erSvg,
  REVIEW_REPORT_SCHEMA_ID,
  renderReport,
  reportHtml,
  reportMarkdown,
  SECTIONS,
} from "./report/index.js";
export { migrationSafetyRule, REVIEW_RULES } from "./rules/index.js";
