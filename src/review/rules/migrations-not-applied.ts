import type { Rule, RuleHit } from "../engine/types.js";

/**
 * Migrations the database has not applied, applied migrations whose file changed since, and applied
 * migrations the folder no longer has: the database and the code disagree about the schema's history.
 *
 * Bad:  0004_add_index.ts in the folder, not in the database's history
 * Good: `plinth migrate status` shows every migration applied, with its recorded checksum
 */
export const migrationsNotApplied: Rule = {
  id: "migrations-not-applied",
  group: "migration-safety",
  severity: "error",
  needs: ["migrations", "catalog"],
  catalog: "M37",
  summary: "Migrations are unapplied, edited after being applied, or missing from the folder.",
  why: "The database's schema is not the one the migrations (and so the code) describe.",
  recipe: "run plinth up for unapplied ones; restore an edited file and put the change in a new migration",
  check: ({ migrations }) => {
    const status = migrations?.status;
    if (!status) throw new Error("no migration status was gathered for this database");
    const hits: RuleHit[] = [];
    for (const m of status.migrations) {
      if (m.state !== "applied")
        hits.push({
          object: `migration:${m.id}`,
          message: `migration ${m.id} is not applied`,
          fix: "plinth up",
        });
      if (m.checksumMismatch)
        hits.push({
          object: `migration:${m.id}:edited`,
          message: `migration ${m.id} changed after it was applied`,
        });
    }
    for (const id of status.unknown)
      hits.push({
        object: `migration:${id}:unknown`,
        message: `applied migration ${id} is missing from the folder`,
      });
    return hits;
  },
};
