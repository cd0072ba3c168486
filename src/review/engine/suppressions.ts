import { readFileSync, writeFileSync } from "node:fs";
import { PlinthError } from "../../errors.js";
import type { SchemaModel } from "../../schema/index.js";
import type { Finding, Severity } from "./types.js";

/**
 * Suppressions from configuration: `{ rule: "fk-without-index", object: "audit_*" }` silences that
 * rule on matching objects; `object` is a glob (`*` any run of characters, `?` one) matched against
 * the finding's object (`table`, `table.column`, `table/index`); without it the whole rule is off.
 */
export interface SuppressionRule {
  rule: string;
  object?: string;
}

/** Per-rule settings: a new severity, or "off" to not run it at all. */
export type RuleSettings = Record<string, Severity | "off">;

/**
 * The baseline file: the fingerprints of findings a project has accepted for now. New findings
 * fail the gate; baselined ones are still reported, marked as such.
 */
export interface Baseline {
  version: 1;
  findings: { fingerprint: string; rule: string; object: string }[];
}

export function readBaseline(path: string): Baseline {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new PlinthError(`cannot read the review baseline ${path}: ${(error as Error).message}`);
  }
  const b = parsed as Baseline;
  if (b?.version !== 1 || !Array.isArray(b.findings))
    throw new PlinthError(`${path} is not a review baseline (expected {"version": 1, "findings": [...]})`);
  return b;
}

/** The baseline that accepts every finding given (unsuppressed or not), sorted for stable diffs. */
export function baselineOf(findings: readonly Finding[]): Baseline {
  const entries = findings
    .map((f) => ({ fingerprint: f.fingerprint, rule: f.rule, object: f.object }))
    .sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  return { version: 1, findings: entries };
}

export function writeBaseline(path: string, findings: readonly Finding[]): void {
  writeFileSync(path, `${JSON.stringify(baselineOf(findings), null, 2)}\n`);
}

/** `*` and `?` globs, anchored; every other character literal. */
export function globMatches(glob: string, text: string): boolean {
  const pattern = glob
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${pattern}$`).test(text);
}

/**
 * Marks each finding with why it is suppressed, if it is: the table's own `review.ignore` first
 * (the declaration says it on purpose), then the configuration, then the baseline.
 */
export function applySuppressions(
  findings: Finding[],
  options: { model?: SchemaModel; ignore?: readonly SuppressionRule[]; baseline?: Baseline },
): Finding[] {
  const inline = new Map<string, Set<string>>();
  for (const t of options.model?.tables ?? []) {
    if (t.meta.review?.ignore.length) inline.set(t.name, new Set(t.meta.review.ignore));
  }
  const baselined = new Set(options.baseline?.findings.map((f) => f.fingerprint));
  return findings.map((f) => {
    if (f.table && inline.get(f.table)?.has(f.rule)) return { ...f, suppressed: "inline" };
    const configured = options.ignore?.some(
      (s) => s.rule === f.rule && (s.object === undefined || globMatches(s.object, f.object)),
    );
    if (configured) return { ...f, suppressed: "config" };
    if (baselined.has(f.fingerprint)) return { ...f, suppressed: "baseline" };
    return f;
  });
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

/** The findings that fail a gate at `level`: unsuppressed, at that severity or above. */
export function failing(findings: readonly Finding[], level: Severity): Finding[] {
  return findings.filter((f) => !f.suppressed && RANK[f.severity] >= RANK[level]);
}
