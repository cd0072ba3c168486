/**
 * The review report as data: what `plinth review --format json` prints and
 * schema/review-report.schema.json describes. Every statement in it comes from a finding, a rule
 * that ran and found nothing, or a query plan; nothing is asserted.
 */
import type { Evidence, Finding, Severity, SkippedRule } from "../engine/types.js";

/** ✅ pass, ⚠️ warnings only, ❌ errors, or no rule of the area ran. */
export type SectionStatus = "pass" | "warn" | "fail" | "not-checked";

export type BoxStatus = "verified" | "failed" | "not-applicable" | "not-checked";

/** Where a finding's object is declared: the schema module's file and line. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface ReportFinding extends Finding {
  location?: SourceLocation;
  /** For a P0 item: why it matters (the rule's explanation). */
  impact?: string;
}

export interface ReportBox {
  id: string;
  text: string;
  status: BoxStatus;
  /** The rules that back the box (empty: none does, and the box is not checked). */
  rules: string[];
  /** Why the box has its status: rules run clean, findings, declaration facts, or why not checked. */
  evidence: string[];
  /** Fingerprints of the findings that failed it. */
  findings: string[];
}

export interface ReportSection {
  number: number;
  title: string;
  status: SectionStatus;
  findings: ReportFinding[];
  boxes: ReportBox[];
}

export interface PerformanceItem {
  /** `table:query` of a declared hot query. */
  object: string;
  table?: string;
  /** ok: the plan neither scans the table nor sorts; otherwise the finding's recommendation. */
  status: "ok" | "scan" | "sort" | "scan-and-sort" | "finding";
  recommendation: string;
  fix?: string;
  /** The engine's plan, as EXPLAIN gave it. */
  plan?: string;
}

export interface MigrationPlan {
  /** Whether the migrations were read (a folder) and compared with a database. */
  checked: "none" | "files" | "database";
  /** The latest applied migration(s), the schema's version. */
  current: string[];
  applied: string[];
  pending: string[];
  /** Migration-safety findings: what could lock, break or lose data. */
  risky: { migration: string; rule: string; message: string }[];
  note?: string;
}

export interface ReviewReport {
  title: string;
  /** The engine reviewed, when there was a database. */
  engine: string | null;
  evidence: Evidence[];
  summary: {
    verdict: "excellent" | "good" | "needs-work";
    counts: Record<Severity, number> & { suppressed: number };
    critical: string[];
    performanceConcerns: number;
    migrationRisks: string[];
    boxes: Record<BoxStatus, number>;
  };
  sections: ReportSection[];
  /** Open error-level findings: what must be fixed before shipping. */
  p0: ReportFinding[];
  performance: PerformanceItem[];
  migrations: MigrationPlan;
  /** Mermaid `erDiagram` source, when there is a declaration or a catalog. */
  erDiagram: string;
  references: { location: SourceLocation; object: string; rule: string; message: string }[];
  notRun: SkippedRule[];
}
