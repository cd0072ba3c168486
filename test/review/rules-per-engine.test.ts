/**
 * The declaration rules' fixtures created on each engine and reviewed there without a declaration:
 * each rule reads the engine's catalog and fires on the bad fixture only. Where an engine itself
 * changes what a fixture says (MySQL indexes every foreign key), the expectation says so.
 */
import { sql } from "kysely";
import type { SchemaModel } from "plinth";
import { connect, dialectOf, renderSchema } from "plinth";
import type { Rule } from "plinth/review";
import { REVIEW_RULES, runReview } from "plinth/review";
import { schema } from "plinth/schema";
import { expect, it } from "vitest";
import type { TestEngine } from "../engines/matrix.js";
import { describeEngines } from "../engines/matrix.js";
import { CASES } from "./rule-fixtures.js";

const rule = (id: string): Rule => {
  const found = REVIEW_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};

/** A rule that can read the catalog instead of the declaration: any-of evidence that includes it. */
const readsCatalog = (r: Rule) =>
  r.needs.every((n) => n !== "declaration" && (typeof n === "string" || n.includes("catalog")));

/** What an engine makes of a fixture, where it is not the declaration's finding. */
const ON_ENGINE: Partial<
  Record<TestEngine["dialect"], Record<string, { bad?: string[]; refused?: RegExp; why: string }>>
> = {
  postgres: {
    "fk-target-not-unique": {
      refused: /no unique constraint matching given keys/,
      why: "PostgreSQL refuses to create the bad fixture",
    },
  },
  mysql: {
    "fk-without-index": {
      bad: [],
      why: "InnoDB creates an index for a foreign key that has none, so the bad fixture is fixed on creation",
    },
  },
};

async function reviewOn(engine: TestEngine, model: SchemaModel, id: string): Promise<string[]> {
  const fresh = await engine.freshDatabase();
  const db = await connect(fresh.url, schema({}), { retry: { attempts: 1 } });
  try {
    for (const statement of renderSchema(model, dialectOf(engine.dialect)))
      await sql.raw(statement).execute(db.kysely);
    const result = await runReview({ db: db.kysely, dialect: db.dialect, rules: [rule(id)] });
    expect(result.ran, `${id} ran on ${engine.name}`).toEqual([id]);
    return result.findings.map((f) => f.object).sort();
  } finally {
    await db.close();
    await fresh.drop();
  }
}

describeEngines(
  "review rules on each engine's catalog",
  (engine) => {
    for (const c of CASES) {
      const r = rule(c.id);
      if (!readsCatalog(r) || (r.dialects && !r.dialects.includes(engine.dialect))) continue;
      const differs = ON_ENGINE[engine.dialect]?.[c.id];
      it(`${c.id}: fires on its bad fixture, not on its good one${differs ? ` (${differs.why})` : ""}`, async () => {
        if (differs?.refused) await expect(reviewOn(engine, c.bad, c.id)).rejects.toThrow(differs.refused);
        else expect(await reviewOn(engine, c.bad, c.id)).toEqual([...(differs?.bad ?? c.fires)].sort());
        expect(await reviewOn(engine, c.good, c.id)).toEqual([]);
      });
    }
  },
  { timeout: 60_000 },
);
