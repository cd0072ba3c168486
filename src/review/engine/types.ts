import type { Kysely } from "kysely";
import type { IndexStats, SqlDialect, TableStats } from "../../dialect/index.js";
import type { Migration, StatusReport } from "../../migrate/index.js";
import type { Dialect, Schema, SchemaModel } from "../../schema/index.js";

/** What a rule is about, as the catalogue of existing linters groups them. */
export type RuleGroup =
  | "structure"
  | "integrity"
  | "indexing"
  | "security"
  | "migration-safety"
  | "performance-ops";

export type Severity = "error" | "warning" | "info";

/**
 * What a rule needs to look at. A rule lists what it needs; a list inside the list means any one of
 * them will do (a structural rule reads the declaration, or the catalog when there is none).
 *
 * - declaration: the schema module (plinth's own declaration: intent, validators, hot queries)
 * - catalog: the live database's structure, read by introspection
 * - statistics: the engine's runtime statistics (row counts, sizes, index scans)
 * - explain: the engine's plan of a query
 * - probe: statements run against the live database (pragmas, trigger catalogs, consistency checks)
 * - migrations: the project's migration files (and, with a database, what it has applied)
 */
export type Evidence = "declaration" | "catalog" | "statistics" | "explain" | "probe" | "migrations";

/** Everything the review could gather; a rule only sees it after the runner checked what it needs. */
export interface ReviewContext {
  /** The engine, when a database was given (or a dialect was named for a declaration). */
  dialect?: SqlDialect;
  /** The declaration when there is one, else the catalog: what structural rules read. */
  model: SchemaModel;
  declaration?: Schema;
  catalog?: SchemaModel;
  /** The live database. Probes run in transactions that are rolled back, or read catalogs only. */
  db?: Kysely<any>;
  /** Tables and indexes as the engine's statistics see them (see SqlDialect.diagnostics). */
  statistics?: { tables: readonly TableStats[]; indexes?: readonly IndexStats[] };
  /**
   * What a rule looked at and found fine or not (a query plan): the evidence a report shows beside
   * a passed check. Rules push into it; the runner hands it on in ReviewResult.observations.
   */
  observations?: Observation[];
  migrations?: {
    list: Migration[];
    /** The schema each migration is applied to. */
    stateBefore(id: string): SchemaModel;
    /** What the database has applied, when a database was given. */
    status?: StatusReport;
  };
}

/** What a rule reports about one object; the runner adds the rule's identity and the fingerprint. */
export interface RuleHit {
  /**
   * The object the finding is about, as `table`, `table.column`, `table/index-name`,
   * `migration:<id>`… It is part of the fingerprint, so it must not contain counts or values.
   */
  object: string;
  /** The table it concerns, for inline suppressions (`review: { ignore }` on the table). */
  table?: string;
  message: string;
  /** SQL (or a declaration change) that fixes it, where one exists. */
  fix?: string;
  /** Overrides the rule's default severity for this hit (e.g. a warning that becomes an error). */
  severity?: Severity;
}

/**
 * One rule: one small module in src/review/rules/, with its documentation (a bad and a good
 * example in its doc comment) and its tests.
 */
export interface Rule {
  /** Stable: baselines, suppressions and fingerprints name rules by it. */
  id: string;
  group: RuleGroup;
  /** Engines the rule applies to; every engine when absent. */
  dialects?: readonly Dialect[];
  severity: Severity;
  needs: readonly (Evidence | readonly Evidence[])[];
  /** The matching rule(s) in the shared catalogue of linters (S01, X01…), for cross-reference. */
  catalog?: string;
  summary: string;
  /** Why it matters. */
  why: string;
  /** The safe way to get what the flagged design wanted. */
  recipe: string;
  check(ctx: ReviewContext): RuleHit[] | Promise<RuleHit[]>;
}

/** Evidence a rule gathered, whether or not it found a problem: an EXPLAIN plan of a hot query. */
export interface Observation {
  rule: string;
  /** The object it is about, as in RuleHit.object (`table:query` for a hot query). */
  object: string;
  table?: string;
  kind: "plan";
  /** The engine's own text (the plan, as SqlDialect.explain gives it). */
  text: string;
  /** What the rule read in it: the query reads its table whole, or sorts after reading. */
  scans?: boolean;
  sorts?: boolean;
}

/** Why a finding does not count towards --fail-on. */
export type Suppression = "baseline" | "config" | "inline";

export interface Finding {
  rule: string;
  group: RuleGroup;
  severity: Severity;
  object: string;
  table?: string;
  message: string;
  recipe: string;
  fix?: string;
  /** sha256 of rule id and object, 16 hex digits: stable across runs and message rewording. */
  fingerprint: string;
  suppressed?: Suppression;
}

/** A rule the runner did not run, and why (missing evidence, another engine, an error). */
export interface SkippedRule {
  rule: string;
  reason: string;
}

export interface ReviewResult {
  /** The engine reviewed, when there was a database (or a named dialect). */
  dialect?: Dialect;
  /** What evidence was available. */
  evidence: Evidence[];
  findings: Finding[];
  /** Ids of the rules that ran. */
  ran: string[];
  skipped: SkippedRule[];
  /** Evidence the rules gathered (query plans), in rule then object order. */
  observations?: Observation[];
}
