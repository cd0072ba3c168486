/**
 * The review report on every blueprint and engine: each checklist box that applies is marked with
 * its evidence, and a box is verified only by rules that ran; a broken copy of dns-filter's
 * database turns the right boxes red and lists the right P0 items, without printing the secret the
 * review sampled; the JSON output follows the published schema.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv } from "ajv";
import { sql } from "kysely";
import type { Schema } from "plinth";
import { connect, dialectOf } from "plinth";
import type { ReportBox, ReportInput, ReviewReport } from "plinth/review";
import { buildReport, REVIEW_RULES, renderReport, runReview } from "plinth/review";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { infraAutomation } from "../../blueprints/infra-automation/schema.js";
import { knowledgeHub } from "../../blueprints/knowledge-hub/schema.js";
import { serviceAudit } from "../../blueprints/service-audit/schema.js";
import { taGenerator } from "../../blueprints/ta-generator/schema.js";
import { introspect } from "../../src/dialect/index.js";
import { describeEngines } from "../engines/matrix.js";

const BLUEPRINTS: Record<string, Schema> = {
  "dns-filter": dnsFilter,
  "infra-automation": infraAutomation,
  "knowledge-hub": knowledgeHub,
  "service-audit": serviceAudit,
  "ta-generator": taGenerator,
};

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const source = (name: string) => {
  const file = `blueprints/${name}/schema.ts`;
  return { file, text: readFileSync(root(file), "utf8") };
};
const validate = new Ajv({ allErrors: true }).compile(
  JSON.parse(readFileSync(root("schema/review-report.schema.json"), "utf8")),
);

const boxes = (r: ReviewReport): ReportBox[] => r.sections.flatMap((s) => s.boxes);
const box = (r: ReviewReport, id: string) => boxes(r).find((b) => b.id === id)!;

/** A database created the way `plinth up` creates it: tables, then the audit table made append-only. */
async function created(url: string, declared: Schema) {
  const db = await connect(url, declared, { retry: { attempts: 1 } });
  await db.createSchema();
  if (declared.table("plinth_audit_log")) {
    for (const s of dialectOf(db.dialect).appendOnlyStatements("plinth_audit_log"))
      await sql.raw(s).execute(db.kysely);
  }
  return db;
}

describeEngines(
  "the review report of each blueprint",
  (engine) => {
    for (const [name, declared] of Object.entries(BLUEPRINTS)) {
      describe(name, () => {
        let close: () => Promise<void> = async () => {};
        let input: ReportInput;
        let report: ReviewReport;
        beforeAll(async () => {
          const fresh = await engine.freshDatabase();
          const db = await created(fresh.url, declared);
          close = async () => {
            await db.close();
            await fresh.drop();
          };
          const result = await runReview({
            schema: declared,
            db: db.kysely,
            dialect: db.dialect,
            rules: REVIEW_RULES,
          });
          input = { result, rules: REVIEW_RULES, schema: declared, source: source(name) };
          report = buildReport(input);
        });
        afterAll(() => close());

        it("marks every box, each with its evidence, in the fifteen areas", () => {
          expect(report.sections.map((s) => s.number)).toEqual([...Array(15).keys()].map((i) => i + 1));
          for (const b of boxes(report)) {
            expect(["verified", "failed", "not-applicable", "not-checked"], b.id).toContain(b.status);
            expect(b.evidence.length, b.id).toBeGreaterThan(0);
          }
          expect(boxes(report).filter((b) => b.status === "verified").length).toBeGreaterThanOrEqual(5);
        });

        it("verifies a box only by rules that ran, and leaves none a rule ran for unchecked", () => {
          const ran = new Set(input.result.ran);
          for (const b of boxes(report)) {
            const backedAndRan = b.rules.some((r) => ran.has(r));
            if (b.status === "verified" || b.status === "failed") expect(backedAndRan, b.id).toBe(true);
            if (b.status === "verified")
              expect(
                b.evidence.some((e) => b.rules.some((r) => e.startsWith(`${r} ran:`))),
                b.id,
              ).toBe(true);
            if (b.status === "not-checked" && b.rules.length > 0) expect(backedAndRan, b.id).toBe(false);
            if (b.rules.length === 0) expect(["not-checked", "not-applicable"], b.id).toContain(b.status);
          }
        });

        it("fails a box only with the findings it cites; the blueprint has no P0 item", () => {
          const fingerprints = new Set(input.result.findings.map((f) => f.fingerprint));
          for (const b of boxes(report).filter((x) => x.status === "failed"))
            for (const f of b.findings) expect(fingerprints.has(f), b.id).toBe(true);
          expect(report.p0).toEqual([]);
          // plinth's audit table is append-only, as plinth up leaves it; a box can only fail for
          // another table named for auditing that nothing guards.
          const audit = box(report, "12.4");
          const unguarded = input.result.findings.filter((f) => audit.findings.includes(f.fingerprint));
          expect(unguarded.map((f) => f.object)).not.toContain("plinth_audit_log");
          if (audit.status === "failed") expect(unguarded.length).toBeGreaterThan(0);
        });

        it("shows each hot query's plan as the EXPLAIN evidence", () => {
          const hot = declared.model.tables.flatMap((t) =>
            (t.meta.hotQueries ?? []).map((q) => `${t.name}:${q}`),
          );
          expect(report.performance.filter((p) => p.plan).map((p) => p.object)).toEqual(
            expect.arrayContaining(hot),
          );
          for (const p of report.performance.filter((x) => x.plan)) expect(p.plan).not.toBe("");
        });

        it("renders JSON that follows schema/review-report.schema.json, and Markdown byte for byte again", () => {
          const json = JSON.parse(renderReport(input, "json").text);
          expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
          const md = renderReport(input, "md").text;
          expect(renderReport(input, "md").text).toBe(md);
          expect(md).toMatch(/^# Database Models & Schema Architecture - Technical Review\n/);
          for (const s of report.sections) expect(md).toContain(`### ${s.number}. ${s.title}`);
          expect(md).toContain("```mermaid\nerDiagram\n");
        });
      });
    }
  },
  { timeout: 90_000 },
);

const PLAINTEXT_TOTP = "JBSWY3DPEHPK3PXP";

describeEngines(
  "the report of a broken copy of dns-filter's database",
  (engine) => {
    let close: () => Promise<void> = async () => {};
    let input: ReportInput;
    let report: ReviewReport;
    beforeAll(async () => {
      const fresh = await engine.freshDatabase();
      const db = await created(fresh.url, dnsFilter);
      close = async () => {
        await db.close();
        await fresh.drop();
      };
      const d = dialectOf(db.dialect);
      const activity = dnsFilter.model.tables.find((t) => t.name === "activity_log")!;
      const realm = dnsFilter.model.tables.find((t) => t.name === "realm")!;
      const breaks = [
        // The audit trail can be rewritten again.
        ...d.dropAppendOnlyStatements("plinth_audit_log"),
        // Realm lookups by value lose their index.
        d.dropIndexStatement(realm, "ix_realm_realm_value"),
        // The activity log's hot query loses every index that could serve it; MySQL keeps an index for
        // each foreign key, so the key on account_id goes first there.
        ...(d.capabilities.foreignKeysIndexed
          ? ["ALTER TABLE activity_log DROP FOREIGN KEY fk_activity_log_account_id_account"]
          : []),
        d.dropIndexStatement(activity, "ix_activity_log_account_id_created_at"),
        d.dropIndexStatement(activity, "ix_activity_log_created_at_account_id_activity_type"),
        d.dropIndexStatement(activity, "ix_activity_log_activity_type_created_at"),
      ];
      for (const s of breaks) await sql.raw(s).execute(db.kysely);
      // A TOTP secret written as given, past the data layer that would have encrypted it.
      await sql`INSERT INTO account (username, password_hash, totp_secret) VALUES (${"eve"}, ${`$2b$10$${"a".repeat(53)}`}, ${PLAINTEXT_TOTP})`.execute(
        db.kysely.withoutPlugins(),
      );
      const result = await runReview({
        schema: dnsFilter,
        db: db.kysely,
        dialect: db.dialect,
        rules: REVIEW_RULES,
      });
      input = { result, rules: REVIEW_RULES, schema: dnsFilter, source: source("dns-filter") };
      report = buildReport(input);
    });
    afterAll(() => close());

    it("turns the boxes of what was broken red, and leaves the others verified", () => {
      expect(box(report, "12.4").status).toBe("failed"); // audit trail append-only
      expect(box(report, "12.1").status).toBe("failed"); // no plaintext secrets
      expect(box(report, "1.12").status).toBe("failed"); // realm_value index
      expect(box(report, "4.4").status).toBe("failed"); // hot queries use an index
      expect(box(report, "4.7").status).toBe("failed"); // activity log filtering
      expect(box(report, "1.3").status).toBe("verified"); // username unique: untouched
      expect(box(report, "4.5").status).toBe("verified"); // token lookup: untouched
      expect(report.sections.find((s) => s.number === 12)!.status).toBe("fail");
      expect(report.summary.verdict).toBe("needs-work");
    });

    it("lists the right P0 items, each with its impact", () => {
      const p0 = report.p0.map((f) => `${f.rule} ${f.object}`);
      expect(p0).toEqual(
        expect.arrayContaining([
          "hot-query-scan activity_log:accountActivityLastWeek",
          "secret-in-plaintext account.totp_secret:plaintext",
        ]),
      );
      expect(p0.some((p) => p.startsWith("schema-drift ") && /ix_realm_realm_value/.test(p))).toBe(true);
      // A dropped audit trigger is a warning: a failed box, not a P0 item.
      expect(p0.some((p) => p.startsWith("audit-without-immutability"))).toBe(false);
      for (const f of report.p0) expect(f.impact).not.toBe("");
      const hot = report.performance.find((p) => p.object === "activity_log:accountActivityLastWeek")!;
      expect(hot.status).not.toBe("ok");
      expect(hot.plan).toBeTruthy();
      expect(hot.fix).toMatch(/CREATE INDEX/i);
    });

    it("cites the declaration's file and line for a finding about a declared table", () => {
      const at = report.p0.find((f) => f.rule === "secret-in-plaintext")!.location!;
      expect(at.file).toBe("blueprints/dns-filter/schema.ts");
      expect(source("dns-filter").text.split("\n")[at.line - 1]).toMatch(/totpSecret:/);
      const sarif = JSON.parse(renderReport(input, "sarif").text);
      const result = sarif.runs[0].results.find(
        (r: { ruleId: string }) => r.ruleId === "secret-in-plaintext",
      );
      expect(result.locations[0].physicalLocation).toEqual({
        artifactLocation: { uri: "blueprints/dns-filter/schema.ts" },
        region: { startLine: at.line },
      });
      expect(renderReport(input, "github").text).toContain(
        `::error file=blueprints/dns-filter/schema.ts,line=${at.line},title=secret-in-plaintext::`,
      );
    });

    it("never prints the secret it sampled, in any format", () => {
      for (const format of ["md", "html", "json", "sarif", "github"] as const) {
        const text = renderReport(input, format).text;
        expect(text, format).not.toContain(PLAINTEXT_TOTP);
        if (format === "sarif") expect(JSON.parse(text).version).toBe("2.1.0");
      }
      const json = JSON.parse(renderReport(input, "json").text);
      expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    });
  },
  { timeout: 90_000 },
);

describe("the report of a database reviewed without a declaration", () => {
  it("leaves the boxes that need the declaration unchecked, saying why, and still validates", async () => {
    const { default: Database } = await import("better-sqlite3");
    const { Kysely, SqliteDialect } = await import("kysely");
    const raw = new Database(":memory:");
    raw.exec(
      "CREATE TABLE account (id INTEGER PRIMARY KEY, username TEXT NOT NULL, password_hash TEXT NOT NULL) STRICT",
    );
    const kysely = new Kysely<any>({ dialect: new SqliteDialect({ database: raw }) });
    try {
      const result = await runReview({ db: kysely, dialect: "sqlite", rules: REVIEW_RULES });
      // The CLI draws the diagram and finds the tables from the catalog, as here.
      const model = await introspect(kysely, "sqlite");
      const report = buildReport({ result, rules: REVIEW_RULES, model });
      const unique = box(report, "1.3");
      expect(unique.status).toBe("not-checked");
      expect(unique.evidence.join("\n")).toMatch(
        /constraint-probe did not run: needs the schema declaration/,
      );
      expect(box(report, "1.1").status).toBe("verified");
      expect(report.erDiagram).toMatch(/^erDiagram\n\s+account \{/);
      const json = JSON.parse(renderReport({ result, rules: REVIEW_RULES, model }, "json").text);
      expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    } finally {
      await kysely.destroy();
    }
  });
});

describe("the migration plan", () => {
  it("lists applied and pending migrations and the risky ones, and fails the boxes their rules back", () => {
    const risky = {
      rule: "drop-column",
      group: "migration-safety" as const,
      severity: "warning" as const,
      object: "migration:0002_trim:drop column account.nickname",
      message: "0002_trim: drops account.nickname while the running code may still read it",
      recipe: "stop reading the column first, then drop it in a later release",
      fingerprint: "0123456789abcdef",
    };
    const result = {
      evidence: ["declaration" as const, "migrations" as const],
      findings: [risky],
      ran: ["drop-column", "rename-column", "rename-table", "drop-table", "migrations-not-applied"],
      skipped: [],
    };
    const migrations = [
      { id: "0001_initial", description: "", parents: [], operations: [] },
      { id: "0002_trim", description: "", parents: ["0001_initial"], operations: [] },
    ];
    const status = {
      migrations: [
        {
          id: "0001_initial",
          description: "",
          file: "",
          parents: [],
          state: "applied" as const,
          checksumMismatch: false,
        },
        {
          id: "0002_trim",
          description: "",
          file: "",
          parents: ["0001_initial"],
          state: "pending" as const,
          checksumMismatch: false,
        },
      ],
      unknown: [],
      heads: ["0002_trim"],
      current: ["0001_initial"],
    };
    const report = buildReport({
      result,
      rules: REVIEW_RULES,
      schema: dnsFilter,
      migrations,
      migrationStatus: status,
    });
    expect(report.migrations).toEqual({
      checked: "database",
      current: ["0001_initial"],
      applied: ["0001_initial"],
      pending: ["0002_trim"],
      risky: [{ migration: "0002_trim", rule: "drop-column", message: risky.message }],
    });
    expect(report.summary.migrationRisks).toEqual([`0002_trim: ${risky.message}`]);
    expect(box(report, "7.4").status).toBe("failed");
    expect(box(report, "7.4").findings).toEqual([risky.fingerprint]);
    expect(box(report, "7.1").status).toBe("verified");
    expect(report.sections.find((s) => s.number === 7)!.status).toBe("warn");
    expect(
      renderReport({ result, rules: REVIEW_RULES, migrations, migrationStatus: status }, "md").text,
    ).toMatch(
      /- Pending migrations: 0002_trim\n- Breaking changes \/ risky migrations:\n {2}- 0002_trim \(`drop-column`\)/,
    );
  });
});
