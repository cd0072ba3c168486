import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import type {} from "../engines/global-setup.js";

/** Every blueprint that ships migrations is verified on every engine this run has. */
const blueprints = readdirSync("blueprints").filter((b) => existsSync(`blueprints/${b}/migrations`));

describe("plinth migrate verify, for every blueprint", () => {
  it("finds blueprints with migrations", () => {
    expect(blueprints).toContain("dns-filter");
  });

  for (const blueprint of blueprints) {
    it(`${blueprint}: every migration goes up, down and up again on every engine, ending at the declaration`, () => {
      const servers: string[] = [];
      const pg = inject("pgAdminUrl");
      const mysql = inject("mysqlAdminUrl");
      if (pg) servers.push("--postgres", pg);
      if (mysql) servers.push("--mysql", mysql);
      const r = spawnSync(
        process.execPath,
        ["bin/plinth.js", "migrate", "verify", "--blueprint", blueprint, "--json", ...servers],
        {
          encoding: "utf8",
          env: { ...process.env, NO_COLOR: "1" },
        },
      );
      expect(r.stderr).toBe("");
      const report = JSON.parse(r.stdout);
      expect(report.engines.map((e: { name: string }) => e.name)).toEqual(
        ["sqlite", "pglite", pg && "postgres", mysql && "mysql"].filter(Boolean),
      );
      for (const engine of report.engines) {
        expect(engine.error, engine.name).toBeUndefined();
        expect(
          engine.checks.filter((c: { differences: string[] }) => c.differences.length > 0),
          engine.name,
        ).toEqual([]);
      }
      expect(report.structure).toEqual([]);
      expect(report.declaration).toEqual([]);
      expect(report.ok).toBe(true);
      expect(r.status).toBe(0);
      // Its own budget: one process proves every migration three times on four engines.
    }, 240_000);
  }
});
