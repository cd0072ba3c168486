import type { AnyTable } from "../../schema/index.js";
import type { Rule, RuleHit } from "../engine/types.js";

/**
 * A JSON column declared without a validator: any shape is stored, and every reader must defend
 * itself against every shape ever written.
 *
 * Bad:  `metadata: col.json()`
 * Good: `metadata: col.json(z.object({ tags: z.array(z.string()) }))`
 */
export const jsonWithoutValidation: Rule = {
  id: "json-without-validation",
  group: "integrity",
  severity: "warning",
  needs: ["declaration"],
  summary: "A JSON column has no validator.",
  why: "The column accepts any document; readers meet shapes nobody meant to store.",
  recipe: "pass a Standard Schema validator (zod, valibot…) to col.json(), checked on every write",
  check: ({ declaration }) => {
    const hits: RuleHit[] = [];
    for (const handle of Object.values(declaration?.tables ?? {}) as AnyTable[]) {
      for (const [key, column] of Object.entries(handle.$columns as Record<string, { spec: any }>)) {
        if (column.spec.type.kind !== "json" || column.spec.validator) continue;
        const name = declaration!.model.tables
          .find((t) => t.name === handle.$name)
          ?.columns.find((c) => c.key === key)?.name;
        hits.push({
          object: `${handle.$name}.${name ?? key}`,
          table: handle.$name,
          message: `${handle.$name}.${name ?? key} is JSON without a validator: any document is accepted`,
        });
      }
    }
    return hits;
  },
};
