import { spawnSync } from "node:child_process";
import { col, expr, ref, schema, snapshot, snapshotJson, table, timestamps } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { dnsFilter } from "../../blueprints/dns-filter/schema.js";

function declare(order: "forward" | "reverse") {
  const a = table(
    "alpha",
    { id: col.id(), name: col.varchar(40).unique(), score: col.double().between(0, 1), ...timestamps() },
    { indexes: [["score"], { columns: ["name"], where: expr.isNotNull("name") }], doc: "first" },
  );
  const b = table(
    "beta",
    { id: col.uuidPk(), alphaId: ref(() => a.id, { onDelete: "cascade" }) },
    { unique: [["alphaId"]] },
  );
  return order === "forward" ? schema({ a, b }) : schema({ b, a });
}

describe("canonical snapshot", () => {
  it("is byte-identical for the same schema declared in a different order", () => {
    expect(snapshotJson(declare("forward"))).toBe(snapshotJson(declare("reverse")));
  });

  it("is byte-identical across processes (no dependence on object identity or locale)", () => {
    const script = `import { snapshotJson } from "./src/schema/index.ts"; import { dnsFilter } from "./blueprints/dns-filter/schema.ts"; process.stdout.write(snapshotJson(dnsFilter));`;
    const run = (lang: string) =>
      spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        env: { ...process.env, LANG: lang, LC_ALL: lang },
        encoding: "utf8",
      });
    const first = run("C");
    expect(first.stderr).toBe("");
    expect(first.stdout).toBe(run("tr_TR.UTF-8").stdout);
    expect(first.stdout).toBe(snapshotJson(dnsFilter));
  });

  it("sorts tables, constraints and object keys, but keeps column order", () => {
    const snap = snapshot(declare("reverse"));
    expect(snap.tables.map((t) => t.name)).toEqual(["alpha", "beta"]);
    expect(snap.tables[0]!.columns.map((c) => c.name)).toEqual([
      "id",
      "name",
      "score",
      "created_at",
      "updated_at",
    ]);
    expect(snap.tables[0]!.indexes.map((i) => i.name)).toEqual(["ix_alpha_name", "ix_alpha_score"]);
    const json = snapshotJson(declare("forward"));
    const keys = [...json.matchAll(/^ {6}"(\w+)":/gm)].map((m) => m[1]);
    const tableKeys = keys.slice(0, keys.indexOf("uniques") + 1);
    expect(tableKeys).toEqual([...tableKeys].sort());
  });

  it("changes when the schema changes", () => {
    const before = snapshotJson(declare("forward"));
    const changed = schema({ a: table("alpha", { id: col.id(), name: col.varchar(41) }) });
    expect(snapshotJson(changed)).not.toBe(before);
  });

  it("is dialect-neutral JSON that records docs, defaults and metadata", () => {
    const snap = JSON.parse(snapshotJson(dnsFilter));
    expect(snap.format).toBe("plinth.snapshot/1");
    const account = snap.tables.find((t: { name: string }) => t.name === "account");
    expect(account.doc).toMatch(/log in/);
    expect(account.columns.find((c: { name: string }) => c.name === "is_active").default).toEqual({
      kind: "literal",
      value: true,
    });
    expect(account.columns.find((c: { name: string }) => c.name === "created_at").default).toEqual({
      kind: "now",
    });
    expect(account.meta).toEqual({ audit: true, growth: "slow" });
    expect(JSON.stringify(snap)).not.toMatch(/INTEGER|varchar\(|timestamptz|AUTO_INCREMENT/);
  });
});
