import type { LintRule } from "../../migrate/index.js";
import { LINT_RULES, lintMigration } from "../../migrate/index.js";
import type { Rule } from "../engine/types.js";

/**
 * The migration lint rules (src/migrate/lint/, in the manner of squawk and strong_migrations) as
 * review rules of the migration-safety group. They stay in the migrate module, because
 * `plinth migrate make` and `migrate verify` run them and migrate sits below review; here each one
 * runs over every migration of the folder against the schema that migration meets.
 */
export function migrationSafetyRule(lint: LintRule): Rule {
  return {
    id: lint.id,
    group: "migration-safety",
    severity: "warning",
    needs: ["migrations"],
    catalog: lint.catalog,
    summary: lint.summary,
    why: lint.why,
    recipe: lint.good,
    check: ({ migrations }) =>
      migrations!.list.flatMap((m) =>
        lintMigration(m, migrations!.stateBefore(m.id), [lint]).map((f) => ({
          object: `migration:${m.id}:${f.operation}`,
          message: `${m.id}: ${f.message}${f.dialects ? ` [${f.dialects.join(", ")}]` : ""}`,
          fix: f.alternative,
        })),
      ),
  };
}

export const MIGRATION_SAFETY_RULES: Rule[] = LINT_RULES.map(migrationSafetyRule);
