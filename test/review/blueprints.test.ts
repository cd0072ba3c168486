/**
 * Every blueprint, created on each engine by plinth and reviewed with the whole rule set (its
 * declaration and the live database): no error-level finding, and the rules that need what a fresh
 * database cannot give are listed as not run rather than passed.
 */
import type { Schema } from "plinth";
import { connect } from "plinth";
import { REVIEW_RULES, runReview } from "plinth/review";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";
import { infraAutomation } from "../../blueprints/infra-automation/schema.js";
import { knowledgeHub } from "../../blueprints/knowledge-hub/schema.js";
import { serviceAudit } from "../../blueprints/service-audit/schema.js";
import { taGenerator } from "../../blueprints/ta-generator/schema.js";
import { describeEngines } from "../engines/matrix.js";

const BLUEPRINTS: Record<string, Schema> = {
  "dns-filter": dnsFilter,
  "infra-automation": infraAutomation,
  "knowledge-hub": knowledgeHub,
  "service-audit": serviceAudit,
  "ta-generator": taGenerator,
};

describe("blueprints, declaration only", () => {
  for (const [name, declared] of Object.entries(BLUEPRINTS)) {
    it(`${name}: no error-level finding, and the live rules say why they did not run`, async () => {
      const result = await runReview({ schema: declared, rules: REVIEW_RULES });
      expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
      expect(result.skipped.find((s) => s.rule === "schema-drift")?.reason).toMatch(/needs .*--db/);
      expect(result.ran).toContain("no-primary-key");
    });
  }
});

describeEngines(
  "blueprints reviewed on a live database",
  (engine) => {
    for (const [name, declared] of Object.entries(BLUEPRINTS)) {
      describe(name, () => {
        let close: () => Promise<void> = async () => {};
        let result: Awaited<ReturnType<typeof runReview>>;
        beforeAll(async () => {
          const fresh = await engine.freshDatabase();
          const db = await connect(fresh.url, declared, { retry: { attempts: 1 } });
          close = async () => {
            await db.close();
            await fresh.drop();
          };
          await db.createSchema();
          result = await runReview({
            schema: declared,
            db: db.kysely,
            dialect: db.dialect,
            rules: REVIEW_RULES,
          });
        });
        afterAll(() => close());

        it("has no error-level finding", () => {
          expect(result.findings.filter((f) => f.severity === "error")).toEqual([]);
        });

        it("ran the catalog and probe rules: the database matches its declaration", () => {
          expect(result.ran).toEqual(expect.arrayContaining(["schema-drift", "foreign-keys-not-enforced"]));
          expect(result.findings.filter((f) => f.rule === "schema-drift")).toEqual([]);
        });

        it("ran the live rules (probes, EXPLAIN) without one of them failing", () => {
          expect(result.ran).toEqual(expect.arrayContaining(["constraint-probe", "hot-query-scan"]));
          expect(result.skipped.filter((s) => s.reason.startsWith("failed"))).toEqual([]);
        });
      });
    }
  },
  { timeout: 60_000 },
);
