import { comparable, describeDifferences } from "../../dialect/index.js";
import type { Rule } from "../engine/types.js";

/**
 * The live database differs from the declaration: a column added by hand, an index dropped in an
 * incident, a migration that never ran. The code is written against the declaration.
 *
 * Bad:  the declaration has `ix_job_status`; the database does not
 * Good: the database is exactly what the declaration (through comparable()) says
 */
export const schemaDrift: Rule = {
  id: "schema-drift",
  group: "migration-safety",
  severity: "error",
  needs: ["declaration", "catalog"],
  summary: "The database differs from the declaration.",
  why: "The application and its queries assume the declared schema; the database has another.",
  recipe:
    "make a migration for a deliberate change (plinth migrate make), or apply the missing ones (plinth up)",
  check: ({ declaration, catalog, dialect }) => {
    const name = dialect!.name;
    return describeDifferences(comparable(declaration!.model, name), comparable(catalog!, name)).map((d) => {
      // `table t: …`, `missing table t`, or `missing index ix on t`: the table it concerns.
      const table = (/^(?:missing |unexpected )?table (\w+)/.exec(d) ?? / on (\w+)$/.exec(d))?.[1];
      return { object: `drift:${d}`, ...(table ? { table } : {}), message: d };
    });
  },
};
