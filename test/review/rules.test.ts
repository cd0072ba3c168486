/**
 * Each declaration-level rule on a fixture that makes it fire and one that does not. These rules
 * read a dialect-neutral model, so one run covers every engine; the per-engine catalog behaviour is
 * in broken-fixture.test.ts and blueprints.test.ts.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Schema, SchemaModel } from "plinth";
import type { Rule } from "plinth/review";
import {
  applySuppressions,
  fingerprint,
  formatReview,
  REVIEW_RULES,
  readBaseline,
  runReview,
  writeBaseline,
} from "plinth/review";
import { col, ref, schema, table } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { CASES, column, t } from "./rule-fixtures.js";

const rule = (id: string): Rule => {
  const found = REVIEW_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};

/** A model as a declaration, for tables the DSL refuses to declare (no primary key). */
const asSchema = (model: SchemaModel) => ({ tables: {}, model }) as unknown as Schema;

async function objects(id: string, model: SchemaModel | Schema): Promise<string[]> {
  const declared =
    "model" in model && "tables" in model && !Array.isArray(model.tables)
      ? model
      : asSchema(model as SchemaModel);
  const result = await runReview({ schema: declared as Schema, rules: [rule(id)] });
  expect(result.ran, `${id} ran`).toEqual([id]);
  return result.findings.map((f) => f.object);
}

describe("review rules on declarations", () => {
  for (const c of CASES) {
    it(`${c.id}: fires on its bad fixture, not on its good one`, async () => {
      expect((await objects(c.id, c.bad)).sort()).toEqual([...c.fires].sort());
      expect(await objects(c.id, c.good)).toEqual([]);
    });
  }

  it("json-without-validation: a JSON column without a validator fires; one with a validator does not", async () => {
    const validator = {
      "~standard": { version: 1, vendor: "test", validate: (v: unknown) => ({ value: v }) },
    };
    const bad = schema({ doc: table("doc", { id: col.id(), body: col.json() }) });
    const good = schema({ doc: table("doc", { id: col.id(), body: col.json(validator as never) }) });
    expect(await objects("json-without-validation", bad)).toEqual(["doc.body"]);
    expect(await objects("json-without-validation", good)).toEqual([]);
  });

  it("partition-plan: a high-growth table with a time column needs partitions or a retention", async () => {
    const log = (options: {
      growth: "append-only" | "slow";
      retention?: { days: number; column: "createdAt" };
    }) =>
      table(
        "job_log",
        { id: col.bigId(), line: col.text(), createdAt: col.timestamp().defaultNow() },
        options,
      );
    expect(await objects("partition-plan", schema({ log: log({ growth: "append-only" }) }))).toEqual([
      "job_log",
    ]);
    const kept = schema({
      log: log({ growth: "append-only", retention: { days: 90, column: "createdAt" } }),
    });
    expect(await objects("partition-plan", kept)).toEqual([]);
    // Slow growth, or no column saying when a row came: no plan to make.
    expect(await objects("partition-plan", schema({ log: log({ growth: "slow" }) }))).toEqual([]);
    const untimed = table("tally", { id: col.bigId(), n: col.integer() }, { growth: "fast" });
    expect(await objects("partition-plan", schema({ untimed }))).toEqual([]);
  });

  it("partition-plan: without a declaration, the engine's row estimate makes a table large", async () => {
    const model: SchemaModel = {
      tables: [t("event", { columns: [column("id"), column("created_at", "timestamp")] }), t("tag")],
    };
    const check = (rows: number) =>
      rule("partition-plan").check({
        model,
        catalog: model,
        statistics: {
          tables: [
            { table: "event", rows },
            { table: "tag", rows: 50_000_000 },
          ],
        },
      });
    expect((await check(12_000_000)).map((h) => [h.object, h.message])).toEqual([
      [
        "event",
        "event holds about 12,000,000 rows and has created_at, but neither partitions nor a retention: every row stays forever",
      ],
    ]);
    expect(await check(9_000_000)).toEqual([]);
  });

  it("large-table: reports the tables past ten million rows or 10 GiB, with their size", async () => {
    const model: SchemaModel = { tables: [t("event"), t("blob"), t("tag")] };
    const hits = await rule("large-table").check({
      model,
      statistics: {
        tables: [
          { table: "event", rows: 12_500_000, bytes: 3 * 1024 ** 3, indexBytes: 1024 ** 3 },
          { table: "blob", rows: 2_000, bytes: 11 * 1024 ** 3 },
          { table: "tag", rows: 9_999_999, bytes: 1024 ** 3, indexBytes: 1024 ** 3 },
        ],
      },
    });
    expect(hits.map((h) => h.message)).toEqual([
      "event holds about 12,500,000 rows in 3.0 GiB, indexes 1.0 GiB",
      "blob holds about 2,000 rows in 11.0 GiB",
    ]);
  });

  it("every rule has an id, a group, evidence, an explanation and a recipe; ids are unique", () => {
    for (const r of REVIEW_RULES) {
      expect(r.id).toMatch(/^[a-z][a-z-]+$/);
      expect(r.why.length, r.id).toBeGreaterThan(20);
      expect(r.recipe.length, r.id).toBeGreaterThan(10);
      expect(r.needs.length, r.id).toBeGreaterThan(0);
      const module = new URL(`../../src/review/rules/${r.id}.ts`, import.meta.url);
      if (r.group !== "migration-safety" || existsSync(module))
        expect(existsSync(module), `src/review/rules/${r.id}.ts`).toBe(true);
    }
    expect(new Set(REVIEW_RULES.map((r) => r.id)).size).toBe(REVIEW_RULES.length);
  });
});

describe("the engine", () => {
  const bad = CASES.find((c) => c.id === "fk-without-index")!.bad;

  it("fingerprints a finding by rule and object, not by its message", async () => {
    const result = await runReview({ schema: asSchema(bad), rules: [rule("fk-without-index")] });
    expect(result.findings[0]!.fingerprint).toBe(fingerprint("fk-without-index", "realm(account_id)"));
    expect(fingerprint("fk-without-index", "realm(account_id)")).not.toBe(
      fingerprint("fk-without-index", "realm(label)"),
    );
  });

  it("lists the rules it could not run and why, without a database", async () => {
    const result = await runReview({ schema: asSchema(bad), rules: REVIEW_RULES });
    const reasons = Object.fromEntries(result.skipped.map((s) => [s.rule, s.reason]));
    expect(reasons["json-not-jsonb"]).toBe("applies to postgres only, and no engine was given");
    expect(reasons["schema-drift"]).toMatch(/needs a database to introspect/);
    expect(reasons["set-not-null"]).toBe("needs the migrations folder");
    expect(result.ran).not.toContain("schema-drift");
  });

  it("suppresses by inline table option, by configured rule and glob, and by baseline", async () => {
    const account = table("account", { id: col.id() });
    const declared = schema({
      account,
      realm: table(
        "realm",
        { id: col.id(), accountId: ref(() => account.id) },
        { review: { ignore: ["fk-without-index"] } },
      ),
      token: table("token", { id: col.id(), accountId: ref(() => account.id) }),
    });
    const inline = await runReview({ schema: declared, rules: [rule("fk-without-index")] });
    expect(inline.findings.map((f) => [f.object, f.suppressed])).toEqual([
      ["realm(account_id)", "inline"],
      ["token(account_id)", undefined],
    ]);
    const configured = await runReview({
      schema: declared,
      rules: [rule("fk-without-index")],
      ignore: [{ rule: "fk-without-index", object: "tok*" }],
    });
    expect(configured.findings.map((f) => f.suppressed)).toEqual(["inline", "config"]);

    const file = join(mkdtempSync(join(tmpdir(), "plinth-baseline-")), "baseline.json");
    writeBaseline(file, inline.findings);
    const baselined = applySuppressions(
      inline.findings.map(({ suppressed: _, ...f }) => f),
      { baseline: readBaseline(file) },
    );
    expect(baselined.map((f) => f.suppressed)).toEqual(["baseline", "baseline"]);
    writeFileSync(file, "{}");
    expect(() => readBaseline(file)).toThrow(/not a review baseline/);
  });

  it("a rule set to off does not run; a severity setting overrides the default", async () => {
    const result = await runReview({
      schema: asSchema(bad),
      rules: [rule("fk-without-index"), rule("no-primary-key")],
      settings: { "fk-without-index": "error", "no-primary-key": "off" },
    });
    expect(result.findings.map((f) => f.severity)).toEqual(["error"]);
    expect(result.skipped).toEqual([{ rule: "no-primary-key", reason: "turned off in the configuration" }]);
  });

  it("renders md, json, sarif and github from the same findings", async () => {
    const result = await runReview({ schema: asSchema(bad), rules: [rule("fk-without-index")] });
    expect(formatReview(result, "md", REVIEW_RULES)).toMatch(
      /\*\*warning\*\* `fk-without-index` realm\(account_id\)/,
    );
    expect(JSON.parse(formatReview(result, "json", REVIEW_RULES)).findings).toHaveLength(1);
    const sarif = JSON.parse(formatReview(result, "sarif", REVIEW_RULES));
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].results[0]).toMatchObject({ ruleId: "fk-without-index", level: "warning" });
    expect(formatReview(result, "github", REVIEW_RULES)).toMatch(
      /^::warning title=fk-without-index::realm\(account_id\): /,
    );
  });
});
