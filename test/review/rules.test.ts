/**
 * Each declaration-level rule on a fixture that makes it fire and one that does not. These rules
 * read a dialect-neutral model, so one run covers every engine; the per-engine catalog behaviour is
 * in broken-fixture.test.ts and blueprints.test.ts.
 */
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Schema, SchemaModel, TableModel } from "plinth";
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

const rule = (id: string): Rule => {
  const found = REVIEW_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};

/** A model as a declaration, for tables the DSL refuses to declare (no primary key). */
const asSchema = (model: SchemaModel) => ({ tables: {}, model }) as unknown as Schema;

const t = (name: string, over: Partial<TableModel> = {}): TableModel => ({
  name,
  columns: [{ name: "id", key: "id", type: { kind: "integer" }, nullable: false }],
  primaryKey: { name: `pk_${name}`, columns: ["id"] },
  uniques: [],
  checks: [],
  foreignKeys: [],
  indexes: [],
  meta: {},
  ...over,
});
const column = (name: string, kind: "integer" | "text" | "timestamp" = "integer", nullable = false) => ({
  name,
  key: name,
  type: { kind } as { kind: "integer" },
  nullable,
});
const fk = (columns: string[], refTable: string, refColumns = ["id"], onDelete = "no action") => ({
  name: `fk_${columns.join("_")}_${refTable}`,
  columns,
  refTable,
  refColumns,
  onDelete: onDelete as "no action",
  onUpdate: "no action" as const,
});

async function objects(id: string, model: SchemaModel | Schema): Promise<string[]> {
  const declared =
    "model" in model && "tables" in model && !Array.isArray(model.tables)
      ? model
      : asSchema(model as SchemaModel);
  const result = await runReview({ schema: declared as Schema, rules: [rule(id)] });
  expect(result.ran, `${id} ran`).toEqual([id]);
  return result.findings.map((f) => f.object);
}

const parent = t("account");
const CASES: { id: string; bad: SchemaModel; good: SchemaModel; fires: string[] }[] = [
  {
    id: "no-primary-key",
    bad: { tables: [t("note", { primaryKey: { name: "", columns: [] } })] },
    good: { tables: [t("note")] },
    fires: ["note"],
  },
  {
    id: "fk-without-index",
    bad: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    good: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
          indexes: [{ name: "ix_realm_account_id_id", columns: ["account_id", "id"], unique: false }],
        }),
      ],
    },
    fires: ["realm(account_id)"],
  },
  {
    id: "naming-case",
    bad: {
      tables: [t("user_account", { columns: [column("id"), column("first_name"), column("lastName")] })],
    },
    good: {
      tables: [t("user_account", { columns: [column("id"), column("first_name"), column("last_name")] })],
    },
    fires: ["user_account.lastName"],
  },
  {
    id: "duplicate-index",
    bad: {
      tables: [
        t("account", {
          columns: [column("id"), column("email", "text")],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
          indexes: [{ name: "ix_account_email", columns: ["email"], unique: false }],
        }),
      ],
    },
    good: {
      tables: [
        t("account", {
          columns: [column("id"), column("email", "text")],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
        }),
      ],
    },
    fires: ["account/ix_account_email"],
  },
  {
    id: "redundant-prefix-index",
    bad: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "text"), column("created_at", "timestamp")],
          indexes: [
            { name: "ix_job_status", columns: ["status"], unique: false },
            { name: "ix_job_status_created", columns: ["status", "created_at"], unique: false },
          ],
        }),
      ],
    },
    good: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "text"), column("created_at", "timestamp")],
          indexes: [
            { name: "ix_job_created", columns: ["created_at"], unique: false },
            { name: "ix_job_status_created", columns: ["status", "created_at"], unique: false },
          ],
        }),
      ],
    },
    fires: ["job/ix_job_status"],
  },
  {
    id: "nullable-in-multicolumn-fk",
    bad: {
      tables: [
        t("project", {
          columns: [column("tenant_id"), column("id")],
          primaryKey: { name: "pk", columns: ["tenant_id", "id"] },
        }),
        t("task", {
          columns: [column("id"), column("tenant_id"), column("project_id", "integer", true)],
          foreignKeys: [fk(["tenant_id", "project_id"], "project", ["tenant_id", "id"])],
        }),
      ],
    },
    good: {
      tables: [
        t("project", {
          columns: [column("tenant_id"), column("id")],
          primaryKey: { name: "pk", columns: ["tenant_id", "id"] },
        }),
        t("task", {
          columns: [column("id"), column("tenant_id"), column("project_id")],
          foreignKeys: [fk(["tenant_id", "project_id"], "project", ["tenant_id", "id"])],
        }),
      ],
    },
    fires: ["task.project_id/fk_tenant_id_project_id_project"],
  },
  {
    id: "fk-target-not-unique",
    bad: {
      tables: [
        t("realm", { columns: [column("id"), column("label", "text")] }),
        t("tag", {
          columns: [column("id"), column("label", "text")],
          foreignKeys: [fk(["label"], "realm", ["label"])],
        }),
      ],
    },
    good: {
      tables: [
        t("realm", {
          columns: [column("id"), column("label", "text")],
          uniques: [{ name: "uq", columns: ["label"] }],
        }),
        t("tag", {
          columns: [column("id"), column("label", "text")],
          foreignKeys: [fk(["label"], "realm", ["label"])],
        }),
      ],
    },
    fires: ["tag/fk_label_realm"],
  },
  {
    id: "fk-cycle",
    bad: {
      tables: [
        t("account", {
          columns: [column("id"), column("realm_id")],
          foreignKeys: [fk(["realm_id"], "realm")],
        }),
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    // A table referencing itself (a tree) is not a cycle between tables.
    good: {
      tables: [
        t("folder", {
          columns: [column("id"), column("parent_id", "integer", true)],
          foreignKeys: [fk(["parent_id"], "folder")],
        }),
      ],
    },
    fires: ["account↔realm"],
  },
  {
    id: "id-column-without-fk",
    bad: {
      tables: [parent, t("session", { columns: [column("id"), column("account_id"), column("request_id")] })],
    },
    good: {
      tables: [
        parent,
        t("session", {
          columns: [column("id"), column("account_id"), column("request_id")],
          foreignKeys: [fk(["account_id"], "account")],
        }),
      ],
    },
    fires: ["session.account_id"],
  },
  {
    id: "enum-without-check",
    bad: { tables: [t("job", { columns: [column("id"), column("status", "text")] })] },
    good: {
      tables: [
        t("job", {
          columns: [column("id"), column("status", "text")],
          checks: [
            { name: "ck_job_status", predicate: { op: "in", column: "status", values: ["queued", "done"] } },
          ],
        }),
      ],
    },
    fires: ["job.status"],
  },
  {
    id: "timestamp-without-default",
    bad: { tables: [t("job", { columns: [column("id"), column("created_at", "timestamp")] })] },
    good: {
      tables: [
        t("job", {
          columns: [{ ...column("created_at", "timestamp"), default: { kind: "now" } }, column("id")],
        }),
      ],
    },
    fires: ["job.created_at"],
  },
  {
    id: "soft-delete-unique",
    bad: {
      tables: [
        t("account", {
          columns: [
            column("id"),
            column("email", "text"),
            { ...column("deleted_at", "timestamp", true), role: "deletedAt" },
          ],
          uniques: [{ name: "uq_account_email", columns: ["email"] }],
        }),
      ],
    },
    good: {
      tables: [
        t("account", {
          columns: [
            column("id"),
            column("email", "text"),
            { ...column("deleted_at", "timestamp", true), role: "deletedAt" },
          ],
          indexes: [
            {
              name: "uq_account_email",
              columns: ["email"],
              unique: true,
              where: { op: "isNull", column: "deleted_at" },
            },
          ],
        }),
      ],
    },
    fires: ["account/uq_account_email"],
  },
  {
    id: "cascade-deletes-audit",
    bad: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account", ["id"], "cascade")],
        }),
        t("realm_audit", {
          columns: [column("id"), column("realm_id")],
          foreignKeys: [fk(["realm_id"], "realm", ["id"], "cascade")],
        }),
      ],
    },
    good: {
      tables: [
        parent,
        t("realm", {
          columns: [column("id"), column("account_id")],
          foreignKeys: [fk(["account_id"], "account", ["id"], "cascade")],
        }),
        t("realm_audit", { columns: [column("id"), column("realm_id")] }),
      ],
    },
    // The chain counts: deleting an account reaches realm_audit through realm.
    fires: ["account→realm_audit", "realm→realm_audit"],
  },
];

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
    const log = (options: Parameters<typeof table>[2]) =>
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
