/**
 * Schemas plinth did not design (the public samples, in each engine's own DDL) review without a
 * declaration and without crashing: every rule that can run on a database runs, and the findings
 * are ones a reviewer would agree with.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { connect } from "plinth";
import { REVIEW_RULES, runReview } from "plinth/review";
import { schema } from "plinth/schema";
import { describe, expect, it } from "vitest";
import { describeEngines } from "../engines/matrix.js";
import { haveSamples, PUBLIC_SAMPLES, SAMPLES_DIR, statements } from "../helpers/samples.js";

const present = haveSamples();

describeEngines(
  "public samples reviewed without a declaration",
  (engine) => {
    for (const [name, files] of Object.entries(PUBLIC_SAMPLES)) {
      for (const sample of files.filter((f) => f.dialect === engine.dialect)) {
        describe.skipIf(!present)(`${name} (${sample.file})`, () => {
          it("reviews without crashing; no rule fails; the catalog rules ran on every table", async () => {
            const fresh = await engine.freshDatabase();
            const db = await connect(fresh.url, schema({}), { retry: { attempts: 1 } });
            try {
              const script = readFileSync(join(SAMPLES_DIR, sample.file), "utf8");
              for (const s of statements(script)) await sql.raw(s).execute(db.kysely.withoutPlugins());
              const result = await runReview({ db: db.kysely, dialect: db.dialect, rules: REVIEW_RULES });
              expect(result.skipped.filter((s) => s.reason.startsWith("failed"))).toEqual([]);
              expect(result.ran).toEqual(
                expect.arrayContaining(["no-primary-key", "fk-without-index", "fk-cycle"]),
              );
              // The samples have keys on every table, and name their columns in one case.
              expect(result.findings.filter((f) => f.rule === "no-primary-key")).toEqual([]);
              expect(result.findings.filter((f) => f.rule === "naming-case")).toEqual([]);
              for (const f of result.findings) expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
            } finally {
              await db.close();
              await fresh.drop();
            }
          });
        });
      }
    }
  },
  { timeout: 120_000 },
);
