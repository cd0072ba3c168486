/**
 * The review report built from a review's result: an executive summary, the fifteen areas with
 * their findings and checklist boxes, the P0 list, the hot queries' plans, the migration plan and
 * the ER diagram. It reads only what the rules found (or ran and did not find), the plans they
 * observed and the declaration; a box nothing backs is said to be not checked.
 */
import type { Migration, StatusReport } from "../../migrate/index.js";
import type { ColumnModel, Schema, SchemaModel, TableModel } from "../../schema/index.js";
import { isLiveUnique } from "../../schema/schema.js";
import type { Finding, ReviewResult, Rule, RuleGroup } from "../engine/types.js";
import { erDiagram } from "../mermaid.js";
import { isAuditTable, isCovered, isHighGrowth, sameSet } from "../rules/model.js";
import type { Applicability, BoxSpec, Expectation } from "./checklist.js";
import { BOXES, RULE_SECTION, SECTIONS } from "./checklist.js";
import type { Locator } from "./locate.js";
import { NO_LOCATOR, objectParts, sourceLocator } from "./locate.js";
import type {
  BoxStatus,
  MigrationPlan,
  PerformanceItem,
  ReportBox,
  ReportFinding,
  ReportSection,
  ReviewReport,
  SectionStatus,
} from "./types.js";

export interface ReportInput {
  result: ReviewResult;
  /** The rules the review ran with (their explanations become the P0 items' impact). */
  rules: readonly Rule[];
  /** The declaration, when there is one. */
  schema?: Schema;
  /** The introspected model, for the diagram of a database reviewed without a declaration. */
  model?: SchemaModel;
  /** The schema module's path (as the report should print it) and text, for file:line references. */
  source?: { file: string; text: string };
  migrations?: readonly Migration[];
  migrationStatus?: StatusReport;
  title?: string;
}

const GROUP_SECTION: Record<RuleGroup, number> = {
  structure: 1,
  integrity: 5,
  indexing: 4,
  security: 12,
  "migration-safety": 7,
  "performance-ops": 15,
};

/** Rules about the migrations folder itself, not about one migration's operations. */
const NOT_RISKS = new Set(["migrations-not-applied", "schema-drift"]);

export function buildReport(input: ReportInput): ReviewReport {
  const { result } = input;
  const model = input.schema?.model ?? input.model ?? { tables: [] };
  const locator = input.source ? sourceLocator(input.source.file, input.source.text, model) : NO_LOCATOR;
  const findings = result.findings.map((f) => locate(f, locator));
  const open = findings.filter((f) => !f.suppressed);
  const why = new Map(input.rules.map((r) => [r.id, r.why]));

  const boxes = BOXES.map((spec) => evaluateBox(spec, { input, model, open }));
  const sections = SECTIONS.map(({ number, title }): ReportSection => {
    const own = findings.filter((f) => sectionOf(f) === number);
    const sectionBoxes = boxes.filter((b) => b.section === number).map(({ section: _, ...box }) => box);
    return { number, title, status: sectionStatus(own, sectionBoxes), findings: own, boxes: sectionBoxes };
  });

  const count = (s: Finding["severity"]) => open.filter((f) => f.severity === s).length;
  const counts = {
    error: count("error"),
    warning: count("warning"),
    info: count("info"),
    suppressed: findings.length - open.length,
  };
  const boxCounts: Record<BoxStatus, number> = {
    verified: 0,
    failed: 0,
    "not-applicable": 0,
    "not-checked": 0,
  };
  for (const b of boxes) boxCounts[b.status]++;
  const p0 = open.filter((f) => f.severity === "error").map((f) => ({ ...f, impact: why.get(f.rule) ?? "" }));
  const migrations = migrationPlan(input, open);
  const performance = performanceItems(result, open);

  return {
    title: input.title ?? "Database Models & Schema Architecture - Technical Review",
    engine: result.dialect ?? null,
    evidence: result.evidence,
    summary: {
      verdict:
        counts.error > 0 ? "needs-work" : counts.warning > 0 || boxCounts.failed > 0 ? "good" : "excellent",
      counts,
      critical: p0.map((f) => `${f.object}: ${f.message}`),
      performanceConcerns: open.filter(
        (f) => f.severity !== "info" && (f.group === "indexing" || f.group === "performance-ops"),
      ).length,
      migrationRisks: [
        ...migrations.risky.map((r) => `${r.migration}: ${r.message}`),
        ...open.filter((f) => f.rule === "migrations-not-applied").map((f) => f.message),
      ],
      boxes: boxCounts,
    },
    sections,
    p0,
    performance,
    migrations,
    erDiagram: erDiagram(model),
    references: findings
      .filter((f) => f.location)
      .map((f) => ({ location: f.location!, object: f.object, rule: f.rule, message: f.message }))
      .sort(
        (a, b) =>
          compare(a.location.file, b.location.file) ||
          a.location.line - b.location.line ||
          compare(a.rule, b.rule) ||
          compare(a.object, b.object),
      ),
    notRun: result.skipped,
  };
}

function locate(f: Finding, locator: Locator): ReportFinding {
  const { table, column } = objectParts(f.object, f.table);
  const location = table ? (locator.locate(table, column) ?? locator.locate(table)) : undefined;
  return location ? { ...f, location } : { ...f };
}

function sectionOf(f: Finding): number {
  return RULE_SECTION[f.rule] ?? GROUP_SECTION[f.group];
}

function sectionStatus(findings: readonly Finding[], boxes: readonly ReportBox[]): SectionStatus {
  const open = findings.filter((f) => !f.suppressed);
  if (open.some((f) => f.severity === "error")) return "fail";
  if (open.some((f) => f.severity === "warning") || boxes.some((b) => b.status === "failed")) return "warn";
  if (boxes.some((b) => b.status === "verified")) return "pass";
  return "not-checked";
}

interface BoxContext {
  input: ReportInput;
  model: SchemaModel;
  open: readonly ReportFinding[];
}

/** One box's status and the evidence for it; see the checklist's rules of evidence. */
function evaluateBox(spec: BoxSpec, ctx: BoxContext): ReportBox & { section: number } {
  const { result } = ctx.input;
  const box = (status: BoxStatus, evidence: string[], findings: string[] = []) => ({
    id: spec.id,
    section: spec.section,
    text: spec.text,
    status,
    rules: [...spec.rules],
    evidence,
    findings,
  });
  const table = spec.target ? ctx.model.tables.find((t) => t.name === spec.target!.table) : undefined;
  if (spec.target) {
    if (!table) return box("not-applicable", [`the schema has no table ${spec.target.table}`]);
    const missing = (spec.target.columns ?? []).filter((c) => !table.columns.some((x) => x.name === c));
    if (missing.length > 0)
      return box("not-applicable", [`${table.name} has no column ${missing.join(", ")}`]);
  } else {
    const why = inapplicable(spec.applies ?? "always", ctx);
    if (why) return box("not-applicable", [why]);
  }
  if (spec.rules.length === 0) return box("not-checked", [`no rule checks this: ${spec.unchecked}`]);

  const ran = spec.rules.filter((r) => result.ran.includes(r));
  const skipped = result.skipped.filter((s) => spec.rules.includes(s.rule));
  if (ran.length === 0) {
    if (skipped.length > 0 && skipped.every((s) => s.reason.startsWith("applies to ")))
      return box(
        "not-applicable",
        skipped.map((s) => `${s.rule} ${s.reason}`),
      );
    const reasons = skipped.map((s) => `${s.rule} did not run: ${s.reason}`);
    return box("not-checked", reasons.length > 0 ? reasons : [`${spec.rules.join(", ")} did not run`]);
  }

  const evidence: string[] = [];
  let failed = false;
  if (table && spec.target?.expect && spec.target.expect !== "exists") {
    const fact = expectation(table, spec.target.columns ?? [], spec.target.expect);
    evidence.push(`${ctx.input.schema ? "declaration" : "catalog"}: ${fact.text}`);
    failed ||= !fact.holds;
  }
  const inScope = ctx.open.filter(
    (f) =>
      spec.rules.includes(f.rule) &&
      f.severity !== "info" &&
      (!table || concerns(f, table, spec.target!.columns)),
  );
  for (const f of inScope) evidence.push(`${f.rule}: ${f.object}: ${f.message}`);
  failed ||= inScope.length > 0;
  const scope = table
    ? `${table.name}${spec.target?.columns?.length ? `.${spec.target.columns.join(", ")}` : ""}`
    : "the schema";
  for (const rule of ran)
    if (!inScope.some((f) => f.rule === rule)) evidence.push(`${rule} ran: no finding on ${scope}`);
  for (const o of result.observations ?? [])
    if (spec.rules.includes(o.rule) && (!table || o.table === table.name))
      evidence.push(
        `EXPLAIN ${o.object}: ${o.scans || o.sorts ? [o.scans && "reads the whole table", o.sorts && "sorts"].filter(Boolean).join(" and ") : "served by an index (no full scan, no sort)"}`,
      );
  for (const s of skipped) evidence.push(`${s.rule} did not run: ${s.reason}`);
  return box(failed ? "failed" : "verified", evidence, failed ? inScope.map((f) => f.fingerprint) : []);
}

/** Why a box about a property of the schema does not apply, or undefined when it does. */
function inapplicable(applies: Applicability, { input, model }: BoxContext): string | undefined {
  const columns = model.tables.flatMap((t) => t.columns.map((c) => ({ t, c })));
  const has = (test: (c: ColumnModel, t: TableModel) => boolean) => columns.some(({ t, c }) => test(c, t));
  switch (applies) {
    case "always":
      return undefined;
    case "foreign-keys":
      return model.tables.some((t) => t.foreignKeys.length > 0) ? undefined : "the schema has no foreign key";
    case "json-columns":
      return has((c) => c.type.kind === "json") ? undefined : "the schema has no JSON column";
    case "enum-columns":
      return has((c) => c.type.kind === "enum") ? undefined : "the schema has no enum column";
    case "audit-tables":
      return model.tables.some(isAuditTable) ? undefined : "the schema has no audit table";
    case "hot-queries":
      return model.tables.some((t) => (t.meta.hotQueries ?? []).length > 0)
        ? undefined
        : "the declaration names no hot query";
    case "secret-columns":
      return has((c) => Boolean(c.secret || c.hidden || c.encrypted) || /password|token|secret/i.test(c.name))
        ? undefined
        : "the schema has no password, token or secret column";
    case "timestamps":
      return has((c) => c.type.kind === "timestamp" && /(created|updated)_?at$/i.test(c.name))
        ? undefined
        : "the schema has no created/updated timestamp";
    case "soft-delete":
      return has((c) => c.role === "deletedAt") ? undefined : "no table is soft-deleted";
    case "migrations":
      return input.migrations && input.migrations.length > 0
        ? undefined
        : "no migrations were given to the review";
    case "high-growth":
      return model.tables.some(isHighGrowth)
        ? undefined
        : 'no table is declared growth "fast" or "append-only"';
  }
}

/** Whether a finding is about `table` (and, when given, one of `columns`). */
function concerns(f: Finding, table: TableModel, columns: readonly string[] | undefined): boolean {
  const parts = objectParts(f.object, f.table);
  if (parts.table !== table.name && f.table !== table.name) return false;
  if (!columns || columns.length === 0) return true;
  const text = `${f.object} ${f.message}`;
  // A column's name inside an index or constraint name counts (ix_realm_realm_value): a box fails
  // on a finding that may concern it rather than be verified past one.
  return columns.some((c) => new RegExp(`(?<![A-Za-z0-9])${c}(?![A-Za-z0-9])`).test(text));
}

/** What the declaration says about the box's columns, read from the model. */
function expectation(
  table: TableModel,
  columns: readonly string[],
  expect: Expectation,
): { holds: boolean; text: string } {
  const name = `${table.name}.${columns.join(", ")}`;
  const cols = columns.map((c) => table.columns.find((x) => x.name === c)!);
  const say = (holds: boolean, yes: string, no: string) => ({
    holds,
    text: holds ? `${name} ${yes}` : `${name} ${no}`,
  });
  switch (expect) {
    case "exists":
      return say(true, "is declared", "");
    case "unique": {
      const key = [
        { name: table.primaryKey.name, columns: table.primaryKey.columns },
        ...table.uniques,
        ...table.indexes.filter((i) => i.unique && (!i.where || isLiveUnique(table, i))),
      ].find((k) => sameSet(k.columns, columns));
      return say(Boolean(key), `is unique (${key?.name})`, "is not declared unique");
    }
    case "indexed":
      return say(isCovered(table, columns), "leads a key or index", "leads no key or index");
    case "not-null":
      return say(
        cols.every((c) => !c.nullable),
        "is NOT NULL",
        "is nullable",
      );
    case "nullable":
      return say(
        cols.every((c) => c.nullable),
        "is nullable",
        "is NOT NULL",
      );
    case "foreign-key": {
      const fk = table.foreignKeys.find((k) => sameSet(k.columns, columns));
      return say(Boolean(fk), `references ${fk?.refTable} (${fk?.name})`, "has no foreign key");
    }
    case "cascade": {
      const fk = table.foreignKeys.find((k) => sameSet(k.columns, columns));
      return say(
        fk?.onDelete === "cascade",
        `references ${fk?.refTable} ON DELETE CASCADE (${fk?.name})`,
        fk ? `references ${fk.refTable} ON DELETE ${fk.onDelete.toUpperCase()}` : "has no foreign key",
      );
    }
    case "json":
      return say(
        cols.every((c) => c.type.kind === "json"),
        "is JSON",
        "is not JSON",
      );
    case "enum-checked": {
      const checked = cols.every(
        (c) =>
          c.type.kind === "enum" ||
          table.checks.some((k) => k.predicate.op === "in" && k.predicate.column === c.name),
      );
      return say(checked, "is an enum kept in its domain", "has no enum type or CHECK");
    }
  }
}

function performanceItems(result: ReviewResult, open: readonly ReportFinding[]): PerformanceItem[] {
  const items: PerformanceItem[] = [];
  for (const o of result.observations ?? []) {
    if (o.kind !== "plan") continue;
    const finding = open.find((f) => f.rule === o.rule && f.object === o.object);
    const status = o.scans && o.sorts ? "scan-and-sort" : o.scans ? "scan" : o.sorts ? "sort" : "ok";
    const item: PerformanceItem = {
      object: o.object,
      status,
      recommendation: finding
        ? `${finding.message}; ${finding.recipe}`
        : "served by an index: nothing to change",
      plan: o.text,
    };
    if (o.table) item.table = o.table;
    if (finding?.fix) item.fix = finding.fix;
    items.push(item);
  }
  for (const f of open) {
    if (f.rule === "hot-query-scan" && items.some((i) => i.object === f.object)) continue;
    if (f.group !== "indexing" && f.group !== "performance-ops") continue;
    const item: PerformanceItem = {
      object: f.object,
      status: "finding",
      recommendation: `${f.message}; ${f.recipe}`,
    };
    if (f.table) item.table = f.table;
    if (f.fix) item.fix = f.fix;
    items.push(item);
  }
  return items;
}

function migrationPlan(input: ReportInput, open: readonly ReportFinding[]): MigrationPlan {
  const risky = open
    .filter((f) => f.group === "migration-safety" && !NOT_RISKS.has(f.rule))
    .map((f) => ({
      migration: /^migration:([^:]+)/.exec(f.object)?.[1] ?? f.object,
      rule: f.rule,
      message: f.message,
    }));
  const status = input.migrationStatus;
  if (status) {
    return {
      checked: "database",
      current: [...status.current],
      applied: status.migrations.filter((m) => m.state === "applied").map((m) => m.id),
      pending: status.migrations.filter((m) => m.state !== "applied").map((m) => m.id),
      risky,
    };
  }
  if (input.migrations && input.migrations.length > 0)
    return {
      checked: "files",
      current: [],
      applied: [],
      pending: [],
      risky,
      note: `${input.migrations.length} migration file(s) read; no database was given, so what is applied is unknown`,
    };
  return {
    checked: "none",
    current: [],
    applied: [],
    pending: [],
    risky,
    note: "no migrations were given to the review",
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
