import type { Kysely } from "kysely";
import { dialectOf, introspect } from "../../dialect/index.js";
import type { Migration, StatusReport } from "../../migrate/index.js";
import { MigrationGraph } from "../../migrate/index.js";
import type { Dialect, Schema } from "../../schema/index.js";
import { fingerprint } from "./fingerprint.js";
import { EvidenceNotAvailable } from "./not-available.js";
import type { Baseline, RuleSettings, SuppressionRule } from "./suppressions.js";
import { applySuppressions } from "./suppressions.js";
import type {
  Evidence,
  Finding,
  Observation,
  ReviewContext,
  ReviewResult,
  Rule,
  Severity,
  SkippedRule,
} from "./types.js";

export interface ReviewOptions {
  /** The declaration (plinth's schema module). */
  schema?: Schema;
  /** A live database to read, probe and EXPLAIN on; `dialect` says which engine it is. */
  db?: Kysely<any>;
  /** The engine of `db`; alone, it names the engine a declaration is reviewed for. */
  dialect?: Dialect;
  /** The project's migrations, oldest first or in any order (the graph orders them). */
  migrations?: readonly Migration[];
  /** What `db` has applied (Migrator.status()), for the rule on unapplied and edited migrations. */
  migrationStatus?: StatusReport;
  /** The rules to run (default: every rule, REVIEW_RULES). */
  rules: readonly Rule[];
  settings?: RuleSettings;
  ignore?: readonly SuppressionRule[];
  baseline?: Baseline;
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

const WHERE_FROM: Record<Evidence, string> = {
  declaration: "the schema declaration (--schema or --blueprint)",
  catalog: "a database to introspect (--db)",
  statistics: "a database whose engine keeps statistics",
  explain: "a database to EXPLAIN on (--db)",
  probe: "a database to probe (--db)",
  migrations: "the migrations folder",
};

/**
 * Gathers whatever evidence the options allow, runs every rule whose evidence is there, and says
 * for every other rule why it did not run. A rule that throws is reported as not run, with its
 * error: one broken rule never hides the others' findings.
 */
export async function runReview(options: ReviewOptions): Promise<ReviewResult> {
  const ctx = await gatherEvidence(options);
  const available = availableEvidence(ctx);
  const findings: Finding[] = [];
  const ran: string[] = [];
  const observations: Observation[] = [];
  const skipped: SkippedRule[] = [];
  for (const rule of options.rules) {
    const setting = options.settings?.[rule.id];
    if (setting === "off") {
      skipped.push({ rule: rule.id, reason: "turned off in the configuration" });
      continue;
    }
    const why = whyNot(rule, ctx, available);
    if (why) {
      skipped.push({ rule: rule.id, reason: why });
      continue;
    }
    try {
      const seen: Observation[] = [];
      const hits = await rule.check({ ...ctx, observations: seen });
      observations.push(...seen.map((o) => ({ ...o, rule: rule.id })));
      ran.push(rule.id);
      for (const hit of hits) {
        const finding: Finding = {
          rule: rule.id,
          group: rule.group,
          severity: setting ?? hit.severity ?? rule.severity,
          object: hit.object,
          message: hit.message,
          recipe: rule.recipe,
          fingerprint: fingerprint(rule.id, hit.object),
        };
        if (hit.table) finding.table = hit.table;
        if (hit.fix) finding.fix = hit.fix;
        findings.push(finding);
      }
    } catch (error) {
      if (error instanceof EvidenceNotAvailable) {
        skipped.push({ rule: rule.id, reason: error.message });
        continue;
      }
      skipped.push({
        rule: rule.id,
        reason: `failed: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  findings.sort(
    (a, b) =>
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      compare(a.rule, b.rule) ||
      compare(a.object, b.object),
  );
  const result: ReviewResult = {
    evidence: [...available].sort(),
    findings: applySuppressions(findings, {
      model: options.schema?.model ?? ctx.catalog,
      ignore: options.ignore,
      baseline: options.baseline,
    }),
    ran,
    skipped,
  };
  if (ctx.dialect) result.dialect = ctx.dialect.name;
  if (observations.length > 0)
    result.observations = observations.sort((a, b) => compare(a.rule, b.rule) || compare(a.object, b.object));
  return result;
}

async function gatherEvidence(o: ReviewOptions): Promise<ReviewContext> {
  const dialect = o.dialect ? dialectOf(o.dialect) : undefined;
  let catalog: ReviewContext["catalog"];
  let statistics: ReviewContext["statistics"];
  // Probes name tables and columns as the database spells them: no plugin (CamelCasePlugin) may
  // rewrite an identifier such as "InvoiceLine".
  const raw = o.db?.withoutPlugins();
  if (raw && o.dialect && dialect) {
    catalog = await introspect(raw, o.dialect);
    const { tables, indexes } = await dialect.diagnostics(raw, { longRunningSeconds: 60 });
    statistics = { tables };
    // Index usage only where the engine counts scans: no count is not the same as no use.
    if (indexes.some((i) => i.scans !== undefined)) statistics.indexes = indexes;
  }
  const model = o.schema?.model ?? catalog ?? { tables: [] };
  const ctx: ReviewContext = { model };
  if (dialect) ctx.dialect = dialect;
  if (o.schema) ctx.declaration = o.schema;
  if (catalog) ctx.catalog = catalog;
  if (raw && dialect) ctx.db = raw;
  if (statistics) ctx.statistics = statistics;
  if (o.migrations) {
    const graph = new MigrationGraph([...o.migrations]);
    ctx.migrations = {
      list: graph.order(),
      stateBefore: (id) => graph.stateAt(graph.ancestorsOf(id)),
    };
    if (o.migrationStatus) ctx.migrations.status = o.migrationStatus;
  }
  return ctx;
}

function availableEvidence(ctx: ReviewContext): Set<Evidence> {
  const out = new Set<Evidence>();
  if (ctx.declaration) out.add("declaration");
  if (ctx.catalog) out.add("catalog");
  if (ctx.statistics) out.add("statistics");
  if (ctx.db) {
    out.add("probe");
    out.add("explain");
  }
  if (ctx.migrations) out.add("migrations");
  return out;
}

function whyNot(rule: Rule, ctx: ReviewContext, available: Set<Evidence>): string | undefined {
  if (rule.dialects) {
    if (!ctx.dialect) return `applies to ${rule.dialects.join(", ")} only, and no engine was given`;
    if (!rule.dialects.includes(ctx.dialect.name)) return `applies to ${rule.dialects.join(", ")} only`;
  }
  for (const need of rule.needs) {
    const options = typeof need === "string" ? [need] : need;
    if (!options.some((e) => available.has(e)))
      return `needs ${options.map((e) => WHERE_FROM[e]).join(" or ")}`;
  }
  return undefined;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
